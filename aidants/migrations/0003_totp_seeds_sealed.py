"""TOTP seeds sealed under the key-encryption key; backup codes peppered.

Upgrade of an existing database: every django-otp `otp_totp.TOTPDevice` (clear
hex seed) is copied into `aidants.TOTPDevice` with its seed sealed, cards follow
their device, and the clear rows are deleted. Each backup code's SHA-256 becomes
HMAC-SHA-256(pepper, that SHA-256), the pepper being derived from the KEK
(`aidants.services.otp.code_hash`).
"""

import aidants.models
import audit.sealing
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


COPIED = (
    "user_id", "name", "confirmed", "throttling_failure_timestamp",
    "throttling_failure_count", "created_at", "last_used_at", "step", "t0",
    "digits", "tolerance", "drift", "last_t",
)


def seal_seeds_and_pepper_codes(apps, schema_editor):
    from audit.sealing import pepper_hmacs, seal

    Plain = apps.get_model("otp_totp", "TOTPDevice")
    Sealed = apps.get_model("aidants", "TOTPDevice")
    CarteTOTP = apps.get_model("aidants", "CarteTOTP")
    for plain in Plain.objects.all():
        sealed = Sealed.objects.create(
            sealed_key=seal(bytes.fromhex(plain.key)),
            **{name: getattr(plain, name) for name in COPIED},
        )
        CarteTOTP.objects.filter(device_id=plain.pk).update(sealed_device=sealed)
    CarteTOTP.objects.update(device=None)
    Plain.objects.all().delete()
    BackupCode = apps.get_model("aidants", "BackupCode")
    for code in BackupCode.objects.all():
        # The stored value was SHA-256(code): wrap it, the code is not known.
        code.code_hash = pepper_hmacs(code.code_hash.encode(), purpose="backup-code")[0]
        code.save(update_fields=["code_hash"])
    if schema_editor.connection.vendor == "postgresql":
        # Fire the deferred FK checks now: PostgreSQL refuses the ALTER TABLE
        # below while trigger events are pending in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('aidants', '0002_carte_totp'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='TOTPDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('sealed_key', audit.sealing.SealedField(default=aidants.models.new_sealed_totp_key, verbose_name='graine chiffrée')),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, related_name='totp_devices', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'dispositif TOTP',
                'verbose_name_plural': 'dispositifs TOTP',
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='cartetotp',
            name='sealed_device',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='aidants.totpdevice'),
        ),
        migrations.RunPython(seal_seeds_and_pepper_codes, migrations.RunPython.noop),
        migrations.RemoveField(model_name='cartetotp', name='device'),
        migrations.RenameField(model_name='cartetotp', old_name='sealed_device', new_name='device'),
        migrations.AlterField(
            model_name='cartetotp',
            name='device',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='carte', to='aidants.totpdevice'),
        ),
    ]
