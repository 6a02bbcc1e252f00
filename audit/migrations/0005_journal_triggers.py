"""Append-only journal: triggers refusing UPDATE and DELETE, per database vendor."""

from django.db import migrations

from audit.triggers import drop_sql, install_sql


def install(apps, schema_editor):
    for sql in install_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    for sql in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_journalcheckpoint")]

    operations = [migrations.RunPython(install, uninstall)]
