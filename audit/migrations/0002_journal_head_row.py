from django.db import migrations


def create_head(apps, schema_editor):
    JournalHead = apps.get_model("audit", "JournalHead")
    JournalHead.objects.get_or_create(pk=1, defaults={"seq": 0, "entry_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
