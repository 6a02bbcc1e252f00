"""Fill the structures' usager directory from the existing mandates (purged
usagers left out), and, on PostgreSQL, the name search indexes: pg_trgm GIN
indexes on UPPER(name), the expression `icontains` compiles to. The planner
ANDs their bitmap with the structure's btree entries (or walks the structure's
order index for a frequent fragment); a GIN index led by structure_id
(btree_gin) was not chosen by the planner on the 1 M bench, so none is built.
Other databases (SQLite) keep the plain LIKE scan of the structure's rows."""

from django.db import migrations

COLUMNS = ("family_name", "given_name", "preferred_username")
FILL = (
    "INSERT INTO mandats_structureusager"
    " (structure_id, usager_id, family_name, given_name, preferred_username,"
    " birthdate)"
    " SELECT s.structure_id, u.id, u.family_name, u.given_name,"
    " u.preferred_username, u.birthdate"
    " FROM (SELECT DISTINCT structure_id, usager_id FROM mandats_mandat) s"
    " JOIN mandats_usager u ON u.id = s.usager_id"
    " WHERE u.purged_at IS NULL"
)


def _index(column: str) -> str:
    return f"structure_usager_{column}_trgm_idx"


def search_indexes() -> list[str]:
    """The PostgreSQL statements creating the search indexes (also run by
    bench.scale.load after its bulk fill)."""
    return [
        f"CREATE INDEX IF NOT EXISTS {_index(column)} ON mandats_structureusager"
        f" USING gin (UPPER({column}::text) gin_trgm_ops)"
        for column in COLUMNS
    ]


def fill(apps, schema_editor):
    schema_editor.execute(FILL)


def empty(apps, schema_editor):
    schema_editor.execute("DELETE FROM mandats_structureusager")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in search_indexes():
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


class Migration(migrations.Migration):
    dependencies = [("mandats", "0006_structure_usager_directory")]

    operations = [
        migrations.RunPython(fill, empty, elidable=False),
        migrations.RunPython(create, drop, elidable=False),
    ]
