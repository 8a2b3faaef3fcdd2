"""Writing who holds what: direct assignments in batches.

Assignments (an account or a whole group holds an entitlement; an account is a member
of a group) stream in from the connector. Each batch costs one or two SELECTs of the
stored current assignments with the same entitlements and holders and one prepared
INSERT of the new ones; the ids of the stored ones are marked seen in a bitmap, so the
sweep can end the rest. Access an account holds through a group is not stored: it is
computed from memberships and group holdings when asked (`AssignmentQuerySet.reaching`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from connectors.base import HolderType
from connectors.models import Assignment, AssignmentOrigin
from connectors.reconcile_sql import RowInserter, adapt_datetime
from connectors.reconcile_stream import IdSet

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from connectors.reconcile_catalog import CatalogIndex
    from connectors.reconcile_progress import RunTracker
    from connectors.records import AssignmentRecord

Key = tuple[int, int | None, int | None]  # (entitlement, account, holder group)
COLUMNS = (
    "application_id", "entitlement_id", "account_id", "holder_group_id",
    "origin", "first_seen", "last_seen",
)  # fmt: skip


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
        batch_size: int = 10000,
    ) -> None:
        self.index = index
        self.tracker = tracker
        self.stamp = stamp
        self.when = adapt_datetime(stamp)
        self.fetch_accounts = fetch_accounts
        self.batch_size = batch_size
        self.buffer: list[AssignmentRecord] = []
        self.seen = IdSet()
        self.inserter = RowInserter(Assignment, COLUMNS, fill_defaults=True)

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
        self.seen.update(stored[key][0] for key in keys if key in stored)
        origin = AssignmentOrigin.RECONCILED.value
        app = self.index.application.pk
        # In index order (account first): neighbouring inserts share B-tree pages.
        new = sorted(
            (key for key in keys if key not in stored),
            key=lambda key: (key[1] or 0, key[2] or 0, key[0]),
        )
        with transaction.atomic():  # one commit per batch
            self.inserter.insert(
                [(app, e, a, g, origin, self.when, self.when) for e, a, g in new],
                prepared=True,
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
                    f"Skipped an assignment of {ref.kind} {ref.external_id} to "
                    f"{record.holder_type} {record.holder_id}: unknown {what}."
                )
                continue
            keys[key] = str(ref.kind)
        return keys

    def _stored(self, keys: dict[Key, str]) -> dict[Key, tuple[int, datetime]]:
        """The current direct assignments among `keys`: key → (pk, first seen)."""
        stored: dict[Key, tuple[int, datetime]] = {}
        by_account = [k for k in keys if k[1] is not None]
        by_group = [k for k in keys if k[2] is not None]
        current = Assignment.objects.current()
        if by_account:
            stored.update(
                _stored_direct({k[1] for k in by_account}, {k[0] for k in by_account})
            )
        if by_group:
            rows = current.filter(
                entitlement_id__in={k[0] for k in by_group},
                holder_group_id__in={k[2] for k in by_group},
            ).values_list("pk", "entitlement_id", "holder_group_id", "first_seen")
            stored.update({(e, None, g): (pk, f) for pk, e, g, f in rows})
        return stored


def _stored_direct(
    accounts: set[int | None], entitlements: set[int]
) -> dict[Key, tuple[int, datetime]]:
    """Current direct assignments of these accounts to these entitlements.

    Looked up in the (account, entitlement) partial unique index. Without statistics
    SQLite prefers the (entitlement, ended_at) index, which walks every member of a
    group of 100,000 for each batch: INDEXED BY says which index to use.
    """
    table = connection.ops.quote_name(Assignment._meta.db_table)
    if connection.vendor == "postgresql":  # one array parameter each, parsed once
        where = "account_id = ANY(%s) AND entitlement_id = ANY(%s)"
        params: list[Any] = [list(accounts), list(entitlements)]
    else:  # one JSON parameter each: one statement text, parsed and cached once
        where = (
            "account_id IN (SELECT value FROM json_each(%s)) "
            "AND entitlement_id IN (SELECT value FROM json_each(%s))"
        )
        params = [json.dumps(list(accounts)), json.dumps(list(entitlements))]
        table += " INDEXED BY assignment_direct_unique"
    sql = (
        f"SELECT id, entitlement_id, account_id, first_seen FROM {table} "  # noqa: S608 - our names
        f"WHERE {where} "
        "AND account_id IS NOT NULL AND ended_at IS NULL"
    )
    field = Assignment._meta.get_field("first_seen")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = connection.ops.get_db_converters(
        field.get_col(Assignment._meta.db_table)
    )
    result: dict[Key, tuple[int, datetime]] = {}
    for pk, entitlement, account, first_seen in rows:
        for converter in converters:
            first_seen = converter(first_seen, field, connection)
        result[(entitlement, account, None)] = (pk, first_seen)
    return result
