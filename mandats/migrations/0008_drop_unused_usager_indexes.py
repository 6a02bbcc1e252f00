"""The usager lists read the structures' directory (0006, 0007): nothing reads
the usager table by name order or birthdate any more, nor searches its names
through the trigram indexes (the admin's usager search ORs an iexact on the
uuid's text, which no index serves: a sequential scan with or without them), so
these indexes only cost writes."""

from django.db import migrations

COLUMNS = ("family_name", "given_name", "preferred_username")


def _index(column: str) -> str:
    return f"usager_{column}_trgm_idx"


def drop_trigram(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


def create_trigram(apps, schema_editor):
    # As migration 0005 built them.
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON mandats_usager"
            f" USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("mandats", "0007_structure_usager_fill_and_search")]

    operations = [
        migrations.RemoveIndex(model_name="usager", name="usager_name_order_idx"),
        migrations.RemoveIndex(model_name="usager", name="usager_birthdate_idx"),
        migrations.RunPython(drop_trigram, create_trigram, elidable=False),
    ]
