"""Trigram indexes for the catalog's search on PostgreSQL.

The catalog searches entitlements with `icontains`, which PostgreSQL runs as
`UPPER(column::text) LIKE UPPER('%words%')`: without an index that is a scan of every
entitlement. A GIN trigram index on the same expression answers it from the index.
pg_trgm is a trusted extension (PostgreSQL 13+), so the database's owner may create
it; where that is refused, the search still works, only without these indexes.
SQLite has no such index: nothing is done there.
"""

from django.db import migrations

INDEXES = [
    (
        "connectors_entitlement_display_name_trgm",
        "connectors_entitlement",
        "display_name",
    ),
    ("connectors_entitlement_name_trgm", "connectors_entitlement", "name"),
    (
        "connectors_entitlement_description_trgm",
        "connectors_entitlement",
        "description",
    ),
    ("connectors_resource_name_trgm", "connectors_resource", "name"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT trigram_extension")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no permission: search works unindexed
                cursor.execute("ROLLBACK TO SAVEPOINT trigram_extension")
                return
            cursor.execute("RELEASE SAVEPOINT trigram_extension")
        for name, table, column in INDEXES:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _, _ in INDEXES:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0004_assignment_indexes_for_scale"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
