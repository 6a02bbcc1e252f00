"""Name search on PostgreSQL: pg_trgm GIN indexes on UPPER(name), the expression
Django's `icontains` compiles to there. Other databases (SQLite) keep the plain
LIKE scan, which stays correct; nothing is created for them."""

from django.db import migrations

COLUMNS = ("family_name", "given_name", "preferred_username")


def _index(column: str) -> str:
    return f"usager_{column}_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON mandats_usager"
            f" USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


class Migration(migrations.Migration):
    dependencies = [("mandats", "0004_usager_list_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
