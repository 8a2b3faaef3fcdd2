"""Writing who holds what: direct assignments in batches, derived ones as members stream.

Direct assignments (an account or a group holds an entitlement) stream in from the
connector. Each batch costs one or two SELECTs of the stored current assignments with
the same entitlements and holders and one prepared INSERT of the new ones; the ids of
the stored ones are marked seen in a bitmap, so the sweep can end the rest.

Derived assignments (an account holds something through a group) are written while
group members stream in: the run first reads role actors and space permissions (so
it knows which entitlements each group holds, a small map), then members; each batch
of members adds member x the group's holdings, ON CONFLICT DO NOTHING. Only members
that are new since the last run covering groups are expanded against every holding;
the others only against holdings that are new. The sweep ends derived assignments
whose membership or holding ended (see `end_stale_derived`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

from connectors.base import EntitlementKind, HolderType
from connectors.models import Application, Assignment, AssignmentOrigin
from connectors.reconcile_sql import RowInserter, adapt_datetime
from connectors.reconcile_stream import IdSet

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.base import AssignmentRecord
    from connectors.reconcile_catalog import CatalogIndex
    from connectors.reconcile_progress import RunTracker

Key = tuple[int, int | None, int | None]  # (entitlement, account, holder group)
COLUMNS = (
    "application_id", "entitlement_id", "account_id", "holder_group_id",
    "via_group_id", "origin", "first_seen", "last_seen",
)  # fmt: skip
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
# Derived rows are buffered this many at a time and inserted sorted by their unique
# key: ~2.5x faster on SQLite than small random batches (random B-tree inserts).
DERIVED_BATCH = 50_000


def count_key(kind: str) -> str:
    """The counts key of a kind's direct assignments: "group_assignments"."""
    return f"{kind}_assignments"


class Holdings:
    """Which entitlements each group holds (current), and which of those are new."""

    def __init__(self, application: Application, since: datetime | None) -> None:
        self.all: dict[int, list[int]] = defaultdict(list)
        self.new: dict[int, list[int]] = defaultdict(list)
        rows = (
            Assignment.objects.current()
            .held_by_groups()
            .filter(application=application)
            .values_list("holder_group_id", "entitlement_id", "first_seen")
        )
        for group, entitlement, first_seen in rows.iterator(chunk_size=5000):
            self.all[group].append(entitlement)
            if since is None or first_seen > since:
                self.new[group].append(entitlement)


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
        self.when = adapt_datetime(stamp)
        self.fetch_accounts = fetch_accounts
        self.batch_size = batch_size
        self.buffer: list[AssignmentRecord] = []
        self.seen = IdSet()
        self.holdings: Holdings | None = None  # set before members stream: derive
        self.since: datetime | None = None  # members first seen after it are "new"
        self.streamed_groups: set[int] = set()
        self.derived: list[tuple[object, ...]] = []
        self.inserter = RowInserter(Assignment, COLUMNS, fill_defaults=True)

    def add(self, record: AssignmentRecord) -> None:
        """Take one record; writes when the batch is full."""
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records (and, for members, their derived access)."""
        records, self.buffer = self.buffer, []
        if not records:
            return
        keys = self._resolve(records)
        stored = self._stored(keys)
        self.seen.update(stored[key][0] for key in keys if key in stored)
        origin = AssignmentOrigin.RECONCILED.value
        app = self.index.application.pk
        new = [key for key in keys if key not in stored]
        self.inserter.insert(
            [(app, e, a, g, None, origin, self.when, self.when) for e, a, g in new],
            prepared=True,
        )
        for key, kind in keys.items():
            self.tracker.count(
                count_key(kind), "unchanged" if key in stored else "created"
            )
        if self.holdings is not None:
            self._derive(keys, stored)
        self.tracker.advance(len(records))

    def _derive(
        self, keys: dict[Key, str], stored: dict[Key, tuple[int, datetime]]
    ) -> None:
        """Write member x the group's holdings for the members in this batch."""
        assert self.holdings is not None  # noqa: S101 - only called when set
        app, origin, rows = (
            self.index.application.pk,
            AssignmentOrigin.RECONCILED.value,
            [],
        )
        for key, kind in keys.items():
            entitlement, account, _ = key
            if kind != EntitlementKind.GROUP or account is None:
                continue
            self.streamed_groups.add(entitlement)
            first_seen = stored[key][1] if key in stored else None
            is_new = first_seen is None or self.since is None or first_seen > self.since
            held = (self.holdings.all if is_new else self.holdings.new).get(
                entitlement, ()
            )
            rows.extend(
                (app, e, account, None, entitlement, origin, self.when, self.when)
                for e in held
            )
        self.derived.extend(rows)
        if len(self.derived) >= DERIVED_BATCH:
            self.flush_derived()

    def flush_derived(self) -> None:
        """Write the buffered derived rows, sorted: inserting in index order is cheap."""
        rows, self.derived = self.derived, []
        rows.sort(key=lambda row: (row[2], row[1], row[4]))
        created = self.inserter.insert(rows, prepared=True)
        self.tracker.count("derived_assignments", "created", created)
        self.tracker.count("derived_assignments", "unchanged", len(rows) - created)

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
    else:
        where = (
            f"account_id IN ({', '.join(['%s'] * len(accounts))}) "
            f"AND entitlement_id IN ({', '.join(['%s'] * len(entitlements))})"
        )
        params = [*accounts, *entitlements]
        table += " INDEXED BY assignment_direct_unique"
    sql = (
        f"SELECT id, entitlement_id, account_id, first_seen FROM {table} "  # noqa: S608 - our names
        f"WHERE {where} "
        "AND account_id IS NOT NULL AND ended_at IS NULL AND via_group_id IS NULL"
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


# -- derived assignments at the sweep ---------------------------------------------------------


def end_stale_derived(
    application: Application, since: datetime | None, stamp: datetime
) -> int:
    """End derived assignments whose membership or group holding ended since `since`.

    Driven by the ended rows (a partial index on `ended_at`), so it costs what
    changed, not the size of the catalog. Returns how many ended.
    """
    table = connection.ops.quote_name(Assignment._meta.db_table)
    sql = f"""
        UPDATE {table} SET ended_at = %s WHERE id IN (
            SELECT d.id FROM {table} e JOIN {table} d
              ON d.account_id = e.account_id AND d.via_group_id = e.entitlement_id
            WHERE e.application_id = %s AND e.ended_at >= %s AND e.ended_at IS NOT NULL
              AND e.account_id IS NOT NULL AND e.via_group_id IS NULL
              AND d.via_group_id IS NOT NULL AND d.ended_at IS NULL
            UNION
            SELECT d.id FROM {table} e JOIN {table} d
              ON d.entitlement_id = e.entitlement_id AND d.via_group_id = e.holder_group_id
            WHERE e.application_id = %s AND e.ended_at >= %s AND e.ended_at IS NOT NULL
              AND e.holder_group_id IS NOT NULL
              AND d.via_group_id IS NOT NULL AND d.ended_at IS NULL
        ) AND NOT (
            EXISTS (SELECT 1 FROM {table} h WHERE h.holder_group_id = {table}.via_group_id
                    AND h.entitlement_id = {table}.entitlement_id AND h.ended_at IS NULL)
            AND EXISTS (SELECT 1 FROM {table} m WHERE m.entitlement_id = {table}.via_group_id
                    AND m.account_id = {table}.account_id AND m.via_group_id IS NULL
                    AND m.ended_at IS NULL)
        )
    """  # noqa: S608 - the table name is ours, every value is a parameter
    start = adapt_datetime(since or BEGINNING)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [adapt_datetime(stamp), application.pk, start, application.pk, start]
        )
        return max(cursor.rowcount, 0)


def derive_for_holdings(
    application: Application, holdings: list[tuple[int, int]], stamp: datetime
) -> int:
    """Derived assignments for every current member of each (group, entitlement) holding."""
    table = connection.ops.quote_name(Assignment._meta.db_table)
    sql = f"""
        INSERT INTO {table} (application_id, entitlement_id, account_id, holder_group_id,
                             via_group_id, origin, first_seen, last_seen, ended_at)
        SELECT m.application_id, %s, m.account_id, NULL, m.entitlement_id, %s, %s, %s, NULL
        FROM {table} m
        WHERE m.entitlement_id = %s AND m.application_id = %s AND m.ended_at IS NULL
          AND m.account_id IS NOT NULL AND m.via_group_id IS NULL
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - the table name is ours, every value is a parameter
    when, origin, created = adapt_datetime(stamp), AssignmentOrigin.RECONCILED.value, 0
    with connection.cursor() as cursor:
        for group, entitlement in holdings:
            cursor.execute(
                sql, [entitlement, origin, when, when, group, application.pk]
            )
            created += max(cursor.rowcount, 0)
    return created
