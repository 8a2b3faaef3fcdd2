"""INSERT … SELECT from a Django queryset: many rows written without passing through Python.

Drift creates a finding per unexplained assignment, possibly millions at a first
check. Building model instances for `bulk_create` cost most of a minute per 300k rows;
one INSERT … SELECT lets the database do it. The SELECT is the queryset compiled by
Django (`query.sql_with_params()`), so filters, joins and subqueries stay ORM code and
the statement works on SQLite and PostgreSQL alike.

Adopting existing access writes grants the same way; `first_id` and
`refresh_statistics` keep its statements over millions of rows planned well on
PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Subquery, Value

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

STAGING_TABLE = "insert_select_staging"


def insert_select(
    model: type[Model], rows: QuerySet[Any], columns: dict[str, Any]
) -> int:
    """INSERT INTO model's table the `columns` (field name → expression) of `rows`.

    Other fields get their default; those defaulting to None are left out (NULL):
    PostgreSQL would type a bare NULL in the SELECT as text. Returns the rows inserted.
    """
    for field in model._meta.concrete_fields:
        default = field.get_default()
        if field.name not in columns and not field.primary_key and default is not None:
            columns[field.name] = Value(default, output_field=field)
    select = rows.order_by().values(**{f"new_{n}": e for n, e in columns.items()})
    try:
        sql, params = select.query.sql_with_params()
    except EmptyResultSet:  # e.g. a filter on an empty list: nothing to insert
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(n).column) for n in columns)
    # Table and column names come from our model; every value is a parameter.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # SQLite evaluates the whole SELECT first when it reads the target table.
            cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)
            return max(cursor.rowcount, 0)
        # PostgreSQL streams the SELECT into the INSERT. When the SELECT reads the
        # target table (is this already known?) and that table is nearly empty, the
        # planner picks a nested loop that re-scans it for every row, and the rows this
        # very INSERT adds make each scan longer: quadratic (minutes for 300k rows).
        # Staging the rows first keeps the table as it was while the SELECT reads it.
        staging = quote(STAGING_TABLE)
        cursor.execute(f"CREATE TEMP TABLE {staging} AS {sql}", params)
        copy = f"INSERT INTO {table} ({names}) SELECT * FROM {staging}"  # noqa: S608 - our names
        cursor.execute(copy)
        inserted = max(cursor.rowcount, 0)
        cursor.execute(f"DROP TABLE {staging}")
    return inserted


def refresh_statistics(*models: type[Model]) -> None:
    """ANALYZE the models' tables on PostgreSQL, before statements over many of their rows.

    Right after a first drift check inserted millions of findings, autovacuum has not
    yet looked at the table: the planner still believes it nearly empty and picks
    plans that scan it whole per statement (adopting 175k findings: 84 s instead of
    13 s). SQLite plans from its indexes and needs nothing.
    """
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def first_id(rows: QuerySet[Any]) -> Subquery:
    """The first row's id or NULL, looked up per outer row through an index.

    Use it instead of EXISTS in statements over many rows: PostgreSQL turns an EXISTS
    into a join that may hash the whole other table (when its statistics are old, for
    every statement: adopting 175k findings, 0.2 -> 1.1 s per window of 5,000 as
    grants grew); a scalar subquery with a LIMIT stays a lookup per row. SQLite runs
    both the same way.
    """
    return Subquery(rows.values("pk")[:1])
