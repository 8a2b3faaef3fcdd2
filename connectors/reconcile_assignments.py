"""Writing who holds what: direct assignments in batches, derived ones in one statement.

Direct assignments (an account or a group holds an entitlement) stream in from the
connector. Each batch costs two SELECTs of the stored current assignments with the
same entitlements and holders and one INSERT of the new ones; the ids of the stored
ones are marked seen in a bitmap, so the sweep can end the rest. Derived assignments
(an account holds something through a group) are computed from the stored rows in
SQL, inside the sweep's transaction, so they always agree with what is current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Exists, OuterRef

from connectors.base import HolderType
from connectors.models import Assignment, AssignmentOrigin
from connectors.reconcile_stream import IdSet

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from connectors.base import AssignmentRecord
    from connectors.models import Application
    from connectors.reconcile_catalog import CatalogIndex
    from connectors.reconcile_progress import RunTracker

Key = tuple[int, int | None, int | None]  # (entitlement, account, holder group)


def count_key(kind: str) -> str:
    """The counts key of a kind's direct assignments: "group_assignments"."""
    return f"{kind}_assignments"


class AssignmentWriter:
    """Buffers assignment records and writes them in batches."""

    def __init__(
        self,
        index: CatalogIndex,
        tracker: RunTracker,
        stamp: datetime,
        *,
        fetch_accounts: Callable[[set[str]], None],
        batch_size: int = 2000,
    ) -> None:
        self.index = index
        self.tracker = tracker
        self.stamp = stamp
        self.fetch_accounts = fetch_accounts
        self.batch_size = batch_size
        self.buffer: list[AssignmentRecord] = []
        self.seen = IdSet()

    def add(self, record: AssignmentRecord) -> None:
        """Take one record; writes when the batch is full."""
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records."""
        records, self.buffer = self.buffer, []
        if not records:
            return
        keys = self._resolve(records)
        stored = self._stored(keys)
        new = [key for key in keys if key not in stored]
        self.seen.update(stored[key] for key in keys if key in stored)
        Assignment.objects.bulk_create(
            [
                Assignment(
                    application=self.index.application,
                    entitlement_id=entitlement,
                    account_id=account,
                    holder_group_id=group,
                    origin=AssignmentOrigin.RECONCILED,
                    first_seen=self.stamp,
                    last_seen=self.stamp,
                )
                for entitlement, account, group in new
            ],
            ignore_conflicts=True,  # provisioning may have recorded the same access
        )
        for key, kind in keys.items():
            self.tracker.count(
                count_key(kind), "unchanged" if key in stored else "created"
            )
        self.tracker.advance(len(records))

    def _resolve(self, records: list[AssignmentRecord]) -> dict[Key, str]:
        """Records → (entitlement pk, account pk, group pk) → kind; unknowns warned."""
        index = self.index
        index.load_entitlements(
            {(str(r.entitlement.kind), r.entitlement.external_id) for r in records}
            | {
                ("group", r.holder_id)
                for r in records
                if r.holder_type == HolderType.GROUP
            }
        )
        user_ids = {r.holder_id for r in records if r.holder_type == HolderType.USER}
        index.load_accounts(user_ids)
        unknown = {a for a in user_ids if a not in index.accounts}
        if unknown:  # not listed (yet): ask Atlassian for each, then catalog them
            self.fetch_accounts(unknown)
        keys: dict[Key, str] = {}
        for record in records:
            ref = record.entitlement
            entitlement = index.entitlements.get((str(ref.kind), ref.external_id))
            if record.holder_type == HolderType.USER:
                holder = index.accounts.get(record.holder_id, (None, None))[0]
                key: Key = (entitlement or 0, holder, None)
            else:
                holder = index.entitlements.get(("group", record.holder_id))
                key = (entitlement or 0, None, holder)
            if entitlement is None or holder is None:
                what = (
                    "entitlement"
                    if entitlement is None
                    else f"{record.holder_type} holder"
                )
                self.tracker.warn(
                    f"Skipped an assignment of {ref.kind} {ref.external_id} to {record.holder_type} {record.holder_id}: unknown {what}."
                )
                continue
            keys[key] = str(ref.kind)
        return keys

    def _stored(self, keys: dict[Key, str]) -> dict[Key, int]:
        """The current direct assignments among `keys`: key → pk."""
        stored: dict[Key, int] = {}
        by_account = [k for k in keys if k[1] is not None]
        by_group = [k for k in keys if k[2] is not None]
        current = Assignment.objects.current().filter(via_group__isnull=True)
        if by_account:
            rows = current.filter(
                entitlement_id__in={k[0] for k in by_account},
                account_id__in={k[1] for k in by_account},
            ).values_list("pk", "entitlement_id", "account_id")
            stored.update({(e, a, None): pk for pk, e, a in rows})
        if by_group:
            rows = current.filter(
                entitlement_id__in={k[0] for k in by_group},
                holder_group_id__in={k[2] for k in by_group},
            ).values_list("pk", "entitlement_id", "holder_group_id")
            stored.update({(e, None, g): pk for pk, e, g in rows})
        return stored


# -- derived assignments -------------------------------------------------------------------


def end_stale_derived(application: Application, stamp: datetime) -> int:
    """End derived assignments whose group holding or membership no longer holds."""
    holding = Assignment.objects.current().filter(
        holder_group=OuterRef("via_group"), entitlement=OuterRef("entitlement")
    )
    membership = Assignment.objects.current().filter(
        entitlement=OuterRef("via_group"),
        account=OuterRef("account"),
        via_group__isnull=True,
    )
    return (
        Assignment.objects.current()
        .derived()
        .filter(application=application)
        .exclude(Exists(holding) & Exists(membership))
        .update(ended_at=stamp)
    )


def add_missing_derived(application: Application, stamp: datetime) -> int:
    """Insert a derived assignment for each member of each group holding; returns rows.

    One INSERT … SELECT: group holdings joined to the group's current members, minus
    the derived assignments that already hold. Portable across SQLite and PostgreSQL.
    """
    table = connection.ops.quote_name(Assignment._meta.db_table)
    sql = f"""
        INSERT INTO {table} (application_id, entitlement_id, account_id, holder_group_id,
                             via_group_id, origin, first_seen, last_seen, ended_at)
        SELECT h.application_id, h.entitlement_id, m.account_id, NULL,
               h.holder_group_id, %s, %s, %s, NULL
        FROM {table} h
        JOIN {table} m ON m.entitlement_id = h.holder_group_id
        WHERE h.application_id = %s AND h.holder_group_id IS NOT NULL
          AND h.ended_at IS NULL
          AND m.account_id IS NOT NULL AND m.via_group_id IS NULL AND m.ended_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM {table} d
              WHERE d.account_id = m.account_id AND d.entitlement_id = h.entitlement_id
                AND d.via_group_id = h.holder_group_id AND d.via_group_id IS NOT NULL
                AND d.ended_at IS NULL)
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        when = connection.ops.adapt_datetimefield_value(stamp)
        cursor.execute(
            sql, [AssignmentOrigin.RECONCILED.value, when, when, application.pk]
        )
        return max(cursor.rowcount, 0)
