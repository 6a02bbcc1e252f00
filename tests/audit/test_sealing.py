import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import Client

from aidants.models import TOTPDevice
from audit import keys
from audit.models import ServiceKey
from audit.sealing import SealError, seal, unseal
from tests.factories import totp_device_for, totp_now


def test_sealed_value_round_trips_and_hides_the_secret(settings):
    token = seal(b"secret seed")
    assert b"secret" not in token.encode() and unseal(token) == b"secret seed"
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SealError):
        unseal(token)


def test_key_encryption_key_rotation_reseals_everything(settings, aidant, capsys):
    old = settings.KEY_ENCRYPTION_KEYS[0]
    es = keys.current_key(purpose=keys.KeyPurpose.ID_TOKEN)
    token = keys.sign_jws({"n": 1}, purpose=keys.KeyPurpose.ID_TOKEN)
    device = TOTPDevice.objects.get(user=aidant)
    new = Fernet.generate_key().decode()
    settings.KEY_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_key_encryption_key")
    assert "valeur(s) re-chiffrée(s)" in capsys.readouterr().out
    settings.KEY_ENCRYPTION_KEYS = [new]  # the old KEK is gone
    kids = {k["kid"] for k in Client().get("/oidc/jwks").json()["keys"]}
    assert es.kid in kids
    assert keys.verify_jws(token, keys.public_jwks(keys.KeyPurpose.ID_TOKEN))
    keys.sign_jws({"n": 2}, purpose=keys.KeyPurpose.ID_TOKEN)
    device = TOTPDevice.objects.get(pk=device.pk)
    assert device.verify_token(totp_now(device))
    assert ServiceKey.objects.get(pk=es.pk).sealed_private_key != es.sealed_private_key


def test_rotation_stops_on_a_value_no_key_opens(settings, aidant):
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="illisible"):
        call_command("rotate_key_encryption_key")


def test_totp_device_keeps_the_django_otp_api(aidant):
    device = totp_device_for(aidant, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert device.key == device.bin_key.hex() and len(device.bin_key) == 20
    assert device.sealed_key and device.key not in device.sealed_key
    assert device.config_url.startswith("otpauth://totp/")
    code = totp_now(device)
    assert device.verify_token(code) and not device.verify_token(code)


def test_signing_key_rotation_per_purpose(db, assert_journaled):
    old = keys.current_key(purpose=keys.KeyPurpose.MANDAT)
    call_command("rotate_signing_key", "--purpose", "mandat")
    new = keys.current_key(purpose=keys.KeyPurpose.MANDAT)
    assert new.pk != old.pk
    assert assert_journaled("signing_key_rotated").details["purpose"] == "mandat"
    assert {old.kid, new.kid} <= {
        k["kid"] for k in keys.public_jwks(keys.KeyPurpose.MANDAT)["keys"]
    }
    published = {k["kid"] for k in Client().get("/oidc/jwks").json()["keys"]}
    assert not {old.kid, new.kid} & published  # mandate keys sign no id_token


def test_checkpoint_is_refused_whole_when_the_witness_cannot_be_written(
    db, settings, tmp_path
):
    from audit.models import JournalCheckpoint

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.JOURNAL_WITNESS_DIR = blocker / "witness"
    with pytest.raises(CommandError, match="Témoin impossible à écrire"):
        call_command("journal_checkpoint")
    assert not JournalCheckpoint.objects.exists()


def test_no_code_uses_django_otp_clear_seed_device():
    """django-otp's own TOTPDevice stores the seed in clear: only aidants.models.devices
    (to reuse its logic) and aidants.admin (to unregister it) may name it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {
        root / "aidants" / "models" / "devices.py",
        root / "aidants" / "admin.py",
    }
    offenders = [
        str(path.relative_to(root))
        for folder in ("aidants", "mandats", "oidc", "audit", "config", "tests")
        for path in (root / folder).rglob("*.py")
        if "migrations" not in path.parts
        and path not in allowed
        and path != Path(__file__).resolve()
        and "otp_totp.models" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
