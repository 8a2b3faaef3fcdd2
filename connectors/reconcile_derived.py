"""Derived access: an account holds what its groups hold, written by SQL, not row by row.

While group members stream in, each batch of memberships is expanded in one
INSERT ... SELECT that joins the batch with the groups' current holdings (a partial
index on holder_group): the database does the work, without Python building millions
of parameter rows and without holding the GIL that the reading threads need (SQLite
and psycopg release it while a statement runs). At the sweep, derived assignments
whose membership or holding ended are ended, and new holdings of groups whose members
were not read are expanded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

from connectors.models import Application, Assignment, AssignmentOrigin
from connectors.reconcile_sql import adapt_datetime, execute_statement

if TYPE_CHECKING:
    from collections.abc import Sequence

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
MEMBERS_PER_STATEMENT = 10_000


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


def _members_source(
    members: Sequence[tuple[int, int, bool]],
) -> tuple[str, list[Any], str, list[Any]]:
    """The (account, group, is_new) rows as a relation `b`: (WITH clause, its
    parameters, FROM item, its parameters).

    One parameter whatever the batch size (arrays on PostgreSQL, a JSON array on
    SQLite), so the statement text never changes: it is parsed once, and the driver's
    statement cache does not keep a large statement per batch size (megabytes each).
    """
    if connection.vendor == "postgresql":
        columns = [list(column) for column in zip(*members, strict=True)]
        source = (
            "unnest(%s::bigint[], %s::bigint[], %s::boolean[]) "
            "AS b(account_id, group_id, is_new)"
        )
        return "", [], source, columns
    prefix = (
        "WITH b(account_id, group_id, is_new) AS ("
        "SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(%s)) "
    )
    return prefix, [json.dumps(members)], "b", []


def derive_for_members(
    application: Application,
    members: Sequence[tuple[int, int, bool]],
    since: datetime | None,
    stamp: datetime,
) -> int:
    """Derived assignments for (account, group, is_new) memberships; returns how many were created.

    A new member gets every current holding of its group; the others only the holdings
    first seen after `since` (they have the older ones since the run that read them).
    Idempotent (ON CONFLICT DO NOTHING on the derived partial unique index).
    """
    created = 0
    for start in range(0, len(members), MEMBERS_PER_STATEMENT):
        chunk = members[start : start + MEMBERS_PER_STATEMENT]
        created += _derive_chunk(application, chunk, since, stamp)
    return created


def _derive_chunk(
    application: Application,
    members: Sequence[tuple[int, int, bool]],
    since: datetime | None,
    stamp: datetime,
) -> int:
    table = connection.ops.quote_name(Assignment._meta.db_table)
    prefix, prefix_params, source, source_params = _members_source(members)
    # Sorted like the derived unique index (account first): cheaper B-tree inserts.
    # The WITH goes after the column list: Python's sqlite3 counts the changed rows
    # only of statements that begin with INSERT.
    sql = f"""INSERT INTO {table} (application_id, entitlement_id, account_id,
            holder_group_id, via_group_id, origin, first_seen, last_seen, ended_at)
        {prefix}SELECT %s, h.entitlement_id, b.account_id, NULL, b.group_id, %s, %s, %s, NULL
        FROM {source} JOIN {table} h ON h.holder_group_id = b.group_id
        WHERE h.holder_group_id IS NOT NULL AND h.ended_at IS NULL
          AND (b.is_new OR h.first_seen > %s)
        ORDER BY b.account_id, h.entitlement_id, b.group_id
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - the table name is ours, every value is a parameter
    when = adapt_datetime(stamp)
    origin = AssignmentOrigin.RECONCILED.value
    params = [*prefix_params, application.pk, origin, when, when, *source_params]
    return execute_statement(sql, [*params, adapt_datetime(since or BEGINNING)])


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
