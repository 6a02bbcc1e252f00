"""Private keys sealed under the key-encryption key, one key per purpose.

Upgrade of an existing database: every clear `private_pem` is sealed (Fernet under
RELAIS_KEY_ENCRYPTION_KEY) into `sealed_private_key`, then the clear column is
dropped. Those keys signed everything (id_tokens, mandates, checkpoints): they
become retired LEGACY keys, still published for what they signed, and new keys
are made per purpose on first use.
"""

from django.db import migrations, models
from django.utils import timezone

import audit.sealing


def seal_clear_keys(apps, schema_editor):
    from audit.sealing import seal

    ServiceKey = apps.get_model("audit", "ServiceKey")
    now = timezone.now()
    for key in ServiceKey.objects.all():
        key.sealed_private_key = seal(key.private_pem.encode("ascii"))
        key.private_pem = ""
        key.purpose = "legacy"
        if key.active:
            key.active = False
            key.retired_at = now
        key.save()


def unseal_keys(apps, schema_editor):
    from audit.sealing import unseal

    ServiceKey = apps.get_model("audit", "ServiceKey")
    for key in ServiceKey.objects.all():
        key.private_pem = unseal(key.sealed_private_key).decode("ascii")
        key.save(update_fields=["private_pem"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_journal_triggers")]

    operations = [
        migrations.RemoveConstraint(
            model_name="servicekey", name="one_active_key_per_alg"
        ),
        migrations.AddField(
            model_name="servicekey",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("id_token", "id_tokens (publiée dans le JWKS)"),
                    ("mandat", "signature des mandats"),
                    ("checkpoint", "points de contrôle du journal"),
                    ("legacy", "ancienne clé commune (retirée)"),
                ],
                db_index=True,
                default="legacy",
                max_length=16,
                verbose_name="usage",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="servicekey",
            name="sealed_private_key",
            field=audit.sealing.SealedField(
                default="", verbose_name="clé privée chiffrée"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(seal_clear_keys, unseal_keys),
        migrations.RemoveField(model_name="servicekey", name="private_pem"),
        migrations.AddConstraint(
            model_name="servicekey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("purpose", "alg"),
                name="one_active_key_per_purpose_alg",
            ),
        ),
    ]
