"""Fast bulk writes for reconciliation: one prepared INSERT, many parameter rows.

`bulk_create` builds a model instance and compiles every field of every row; at a
million assignments that costs minutes. `RowInserter` prepares each value with the
field's own `get_db_prep_save` (so JSON, datetimes and booleans are stored exactly as
the ORM would store them), fills the other columns with their defaults, and sends
the rows with `executemany`. `ON CONFLICT DO NOTHING` / `DO UPDATE` is understood by
SQLite (3.24+) and PostgreSQL alike.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils.timezone import now

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from django.db import models


class RowInserter:
    """INSERT rows of `model` given as dicts of attribute name → Python value."""

    def __init__(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        *,
        conflict_keys: Sequence[str] = (),
        update: Sequence[str] = (),
        fill_defaults: bool = False,
    ) -> None:
        meta = model._meta
        self.fields = [meta.get_field(name) for name in columns]
        if fill_defaults:  # every other concrete column gets its default
            given = {f.attname for f in self.fields}
            self.defaults = [
                f
                for f in meta.concrete_fields
                if not f.primary_key and f.attname not in given
            ]
        else:
            self.defaults = []
        quote = connection.ops.quote_name
        names = [quote(f.column) for f in (*self.fields, *self.defaults)]
        self.table, self.columns = meta.db_table, names
        self.row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
        self.head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(names)}) VALUES "  # noqa: S608 - names from our models; values are parameters
        # Many rows per statement (one round trip, one plan); within SQLite's and
        # PostgreSQL's parameter limits.
        self.rows_per_statement = max(1, min(1000, 30000 // len(names)))
        if update:
            targets = ", ".join(quote(meta.get_field(k).column) for k in conflict_keys)
            sets = ", ".join(
                f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
                for n in update
            )
            self.tail = f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
        else:
            self.tail = " ON CONFLICT DO NOTHING"
        self._statements: dict[int, str] = {}

    def _statement(self, rows: int) -> str:
        if rows not in self._statements:
            values = ", ".join([self.row_sql] * rows)
            self._statements[rows] = driver_sql(self.head + values + self.tail)
        return self._statements[rows]

    def _default_values(self) -> list[Any]:
        moment = now()
        values = []
        for field in self.defaults:
            if getattr(field, "auto_now", False) or getattr(
                field, "auto_now_add", False
            ):
                value = moment
            else:
                value = field.get_default()
            values.append(field.get_db_prep_save(value, connection))
        return values

    def insert(self, rows: Iterable[Sequence[Any]], *, prepared: bool = False) -> int:
        """Insert rows (values in column order); returns how many rows changed.

        `prepared=True` skips `get_db_prep_save` for rows of plain ints and
        already-adapted values (assignments: ids, a text and adapted datetimes).
        """
        defaults = self._default_values()
        if prepared:
            params = [(*row, *defaults) for row in rows]
        else:
            fields = self.fields
            params = [
                (
                    *(
                        f.get_db_prep_save(v, connection)
                        for f, v in zip(fields, row, strict=True)
                    ),
                    *defaults,
                )
                for row in rows
            ]
        if not params:
            return 0
        if connection.vendor == "postgresql":
            return self._insert_postgresql(params)
        return self._insert_sqlite(params)

    def _insert_sqlite(self, params: list[tuple[Any, ...]]) -> int:
        """Full statements of `rows_per_statement` rows, the rest row by row.

        Two statement texts only: each distinct text is parsed, and the driver caches
        up to 128 of them, about a megabyte each at a thousand rows.
        """
        size, changed = self.rows_per_statement, 0
        full = len(params) - len(params) % size
        # One transaction per batch: in autocommit every statement would commit.
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, full, size):
                chunk = params[start : start + size]
                changed += execute_driver(
                    cursor, self._statement(size), [v for row in chunk for v in row]
                )
            if full < len(params):
                driver = cursor.cursor  # Django's SQLiteCursorWrapper, a sqlite3.Cursor
                with connection.wrap_database_errors:
                    sqlite3.Cursor.executemany(
                        driver, self._statement(1), params[full:]
                    )
                changed += max(driver.rowcount, 0)
        return changed

    def _insert_postgresql(self, params: list[tuple[Any, ...]]) -> int:
        """PostgreSQL: COPY the rows into a session temp table, then one INSERT … SELECT.

        Row-by-row INSERTs (even pipelined) cost more in the client than in the
        server; COPY streams the rows and the INSERT applies ON CONFLICT once.
        """
        quote = connection.ops.quote_name
        staging = quote(f"reconcile_staging_{self.table}")
        columns = ", ".join(self.columns)
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own cursor, for COPY
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS "  # noqa: S608 - our names
                f"SELECT {columns} FROM {quote(self.table)} WITH NO DATA"
            )
            with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {quote(self.table)} ({columns}) "  # noqa: S608 - our names
                f"SELECT {columns} FROM {staging}{self.tail}"
            )
            changed = max(cursor.rowcount, 0)
            cursor.execute(f"TRUNCATE {staging}")
        return changed


def driver_sql(sql: str) -> str:
    """A statement written with %s placeholders, in the driver's own placeholders."""
    return sql.replace("%s", "?") if connection.vendor == "sqlite" else sql


def execute_driver(cursor: Any, sql: str, params: Sequence[Any]) -> int:
    """Run a `driver_sql` statement on a Django cursor; returns the rows it changed.

    On SQLite this bypasses Django's cursor wrapper, which rewrites the placeholders of
    every statement with a regular expression on each call: seconds over a run whose
    statements carry thousands of parameters. Errors are still Django's.
    """
    if connection.vendor != "sqlite":
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
    driver = cursor.cursor  # Django's SQLiteCursorWrapper, a sqlite3.Cursor
    with connection.wrap_database_errors:
        sqlite3.Cursor.execute(driver, sql, params)
    return max(driver.rowcount, 0)


def adapt_datetime(value: Any) -> Any:
    """A datetime as the database wants it in a raw parameter."""
    return connection.ops.adapt_datetimefield_value(value)


def update_by_pk(
    model: type[models.Model], field_name: str, pairs: Sequence[tuple[Any, int]]
) -> int:
    """Set one column per row: `pairs` of (value, pk); one prepared UPDATE, many rows."""
    if not pairs:
        return 0
    meta = model._meta
    field = meta.get_field(field_name)
    quote = connection.ops.quote_name
    sql = f"UPDATE {quote(meta.db_table)} SET {quote(field.column)} = %s WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names from our models
    params = [(field.get_db_prep_save(value, connection), pk) for value, pk in pairs]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return max(cursor.rowcount, 0)


@contextlib.contextmanager
def sqlite_bulk_settings(
    megabytes: int = 128, checkpoint_pages: int = 16384
) -> Iterator[None]:
    """On SQLite, settings for bulk writing while reconciling, given back afterwards
    (a worker process lives on). No-op elsewhere.

    A bigger page cache: index inserts land at random places in indexes of hundreds
    of megabytes, and the default 2 MB cache thrashes. Rarer WAL checkpoints: by
    default every commit of more than 1,000 pages (4 MB) copies them into the
    database and syncs it; every `checkpoint_pages` pages copies each page once for
    many commits. The WAL file grows to about that size (64 MB by default).
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous_cache = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous_checkpoint = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(megabytes) * 1024}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint_pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous_checkpoint)}")
            cursor.execute(f"PRAGMA cache_size = {int(previous_cache)}")
            cursor.execute("PRAGMA shrink_memory")
