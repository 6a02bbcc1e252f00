"""Keep the identity each mandate signed with the mandate (issue 9).

Existing mandates get the snapshot from the usager's current identity: for a
mandate whose usager was not re-identified since, that is exactly what was signed.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    Mandat = apps.get_model("mandats", "Mandat")
    for mandat in Mandat.objects.select_related("usager").iterator():
        usager = mandat.usager
        if usager.purged_at is not None:
            continue
        mandat.usager_identity = {
            "given_name": usager.given_name,
            "family_name": usager.family_name,
            "birthdate": usager.birthdate.isoformat(),
            "gender": usager.gender,
            "birthplace": usager.birthplace,
            "birthcountry": usager.birthcountry,
            "fc_issuer": usager.fc_issuer,
            "fc_sub": usager.fc_sub,
        }
        mandat.save(update_fields=["usager_identity"])


class Migration(migrations.Migration):
    dependencies = [
        ("mandats", "0002_mandat_reminder_sent_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="mandat",
            name="usager_identity",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                verbose_name="identité signée",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
