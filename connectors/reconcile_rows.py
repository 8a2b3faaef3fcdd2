"""Compare a batch of rows with the stored ones and write only the differences.

A batch costs one SELECT of the stored rows with the same keys and at most one
INSERT … ON CONFLICT DO UPDATE (`RowInserter`, prepared here) for the new and changed
ones; unchanged rows are not written, and a removed row that reappears is restored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, models

from connectors.reconcile_sql import RowInserter
from connectors.reconcile_stream import batched

if TYPE_CHECKING:
    from datetime import datetime

    from connectors.models import Application

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# Fields whose database value is the Python value itself (str, bool, int or None),
# as our records give them: `get_db_prep_save` is skipped for them.
PLAIN_FIELDS = (
    models.CharField,
    models.EmailField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
)


def write_rows(
    model: type[models.Model],
    application: Application,
    wanted: dict[tuple[str, ...], dict[str, Any]],
    *,
    key_fields: tuple[str, ...],
    compare_fields: tuple[str, ...],
    stamp: datetime,
    extra_fields: tuple[str, ...] = (),
) -> dict[tuple[str, ...], tuple[int, str, dict[str, Any] | None]]:
    """Upsert rows keyed by `key_fields`; returns key → (pk, outcome, stored row or None).

    A removed row that reappears is restored (`removed_at` cleared) and counts as
    updated. Concurrent inserts of the same key are absorbed by ON CONFLICT.
    """
    lookup = {
        f"{name}__in": {key[i] for key in wanted} for i, name in enumerate(key_fields)
    }
    stored = {
        tuple(row[name] for name in key_fields): row
        for row in model._default_manager.filter(application=application, **lookup)
        .values("pk", "removed_at", *key_fields, *compare_fields, *extra_fields)
        .iterator(chunk_size=2000)
    }
    result: dict[tuple[str, ...], tuple[int, str, dict[str, Any] | None]] = {}
    to_write: list[tuple[Any, ...]] = []
    for key, values in wanted.items():
        row = stored.get(key)
        if (
            row is not None
            and row["removed_at"] is None
            and all(row[name] == values[name] for name in compare_fields)
        ):
            result[key] = (row["pk"], UNCHANGED, row)
            continue
        result[key] = (
            row["pk"] if row else 0,
            CREATED if row is None else UPDATED,
            row,
        )
        to_write.append((*key, *(values[n] for n in compare_fields)))
    if to_write:
        _insert_rows(model, application, to_write, key_fields, compare_fields, stamp)
        created = [key for key, (pk, _, _) in result.items() if not pk]
        for chunk in batched(created, 500):
            lookup = {
                f"{name}__in": {key[i] for key in chunk}
                for i, name in enumerate(key_fields)
            }
            rows = model._default_manager.filter(application=application, **lookup)
            for values in rows.values_list(*key_fields, "pk"):
                key, pk = tuple(values[:-1]), values[-1]
                if key in result:
                    _, outcome, row = result[key]
                    result[key] = (pk, outcome, row)
    return result


def _insert_rows(
    model: type[models.Model],
    application: Application,
    rows: list[tuple[Any, ...]],
    key_fields: tuple[str, ...],
    compare_fields: tuple[str, ...],
    stamp: datetime,
) -> None:
    """INSERT … ON CONFLICT DO UPDATE rows of (keys, compared values), prepared here.

    Only the columns that need it go through the field's `get_db_prep_save` (JSON,
    datetimes); the stamp is adapted once: per value and row that call cost about a
    third of writing an account.
    """
    names = (*key_fields, *compare_fields)
    columns = ("application_id", *names, "removed_at", "first_seen", "last_seen")
    meta = model._meta
    prepare = [
        (index, column)
        for index, column in enumerate(meta.get_field(name) for name in names)
        if not _is_plain(column)
    ]
    when = meta.get_field("last_seen").get_db_prep_save(stamp, connection)
    prepared = []
    for row in rows:
        values = list(row)
        for index, column in prepare:
            values[index] = column.get_db_prep_save(values[index], connection)
        prepared.append((application.pk, *values, None, when, when))
    RowInserter(
        model,
        columns,
        conflict_keys=("application_id", *key_fields),
        update=(*compare_fields, "removed_at", "last_seen"),
        fill_defaults=True,
    ).insert(prepared, prepared=True)


def _is_plain(field: models.Field[Any, Any]) -> bool:
    """Whether a column's value goes to the database as it is (text, bool, int, FK id)."""
    if isinstance(field, models.ForeignKey):
        target = field.target_field
        return isinstance(target, models.AutoField | models.BigAutoField)
    return type(field) in PLAIN_FIELDS
