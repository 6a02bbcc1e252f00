"""Upgrading a database from before sealing: the clear private keys, TOTP seeds
and bare SHA-256 backup codes it holds are sealed / peppered by the migrations,
and what they signed or protect keeps working."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from joserfc import jws
from joserfc.jwk import ECKey

from aidants.models import BackupCodeDevice, CarteTOTP, TOTPDevice
from audit.keys import InvalidSignature, canonical_json, verify_jws
from audit.models import ServiceKey
from mandats.signing import mandat_jwks
from oidc import keys as oidc_keys
from tests.factories import totp_now

BEFORE = [("audit", "0005_journal_triggers"), ("aidants", "0002_carte_totp")]
SEED = bytes(range(20))


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def leaves() -> list:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def old_database(apps) -> tuple[str, str]:
    """Rows as the previous version wrote them; returns (a JWS it signed, kid)."""
    key = ECKey.generate_key("P-256", auto_kid=True)
    apps.get_model("audit", "ServiceKey").objects.create(
        kid=key.kid,
        alg="ES256",
        private_pem=key.as_pem(private=True).decode(),
        public_jwk=dict(key.as_dict(private=False), kid=key.kid),
        active=True,
    )
    token = jws.serialize_compact(
        {"alg": "ES256", "kid": key.kid},
        canonical_json({"typ": "relais-mandat+jws", "n": 1}),
        key,
    )
    structure = apps.get_model("aidants", "Structure").objects.create(
        name="Mairie", siret="35600000000048", commune="Berck"
    )
    aidant = apps.get_model("aidants", "Aidant").objects.create(
        email="a@example.fr", first_name="A", last_name="B", password="!"
    )
    device = apps.get_model("otp_totp", "TOTPDevice").objects.create(
        user_id=aidant.pk, name="Carte 1", key=SEED.hex(), confirmed=True
    )
    apps.get_model("aidants", "CarteTOTP").objects.create(
        serial="C-1", structure_id=structure.pk, aidant_id=aidant.pk, device=device
    )
    codes = apps.get_model("aidants", "BackupCodeDevice").objects.create(
        user_id=aidant.pk, name="Codes", confirmed=True
    )
    apps.get_model("aidants", "BackupCode").objects.create(
        device=codes, code_hash=hashlib.sha256(b"1234567890").hexdigest()
    )
    return token, key.kid


@pytest.mark.django_db(transaction=True)
def test_migrations_seal_what_the_previous_version_stored_in_clear():
    latest = leaves()
    migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        token, kid = old_database(apps)
    finally:
        migrate(latest)

    key = ServiceKey.objects.get(kid=kid)
    assert (key.purpose, key.active) == ("legacy", False)
    assert "PRIVATE KEY" not in key.sealed_private_key
    assert key.private_pem().startswith(b"-----BEGIN PRIVATE KEY")
    # What the shared key signed still verifies, in the mandate key set and JWKS.
    assert verify_jws(token, mandat_jwks())["n"] == 1
    assert kid in {k["kid"] for k in oidc_keys.jwks()["keys"]}
    # ...but it signs nothing new: each purpose gets its own key.
    assert oidc_keys.sign_id_token({"n": 2}).count(".") == 2
    assert ServiceKey.objects.get(purpose="id_token", alg="ES256").kid != kid

    device = TOTPDevice.objects.get()
    assert device.bin_key == SEED and SEED.hex() not in device.sealed_key
    assert CarteTOTP.objects.get(serial="C-1").device == device
    assert device.verify_token(totp_now(device))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0

    codes = BackupCodeDevice.objects.get()
    assert codes.codes.get().code_hash != hashlib.sha256(b"1234567890").hexdigest()
    assert not codes.consume("0000000000")
    assert codes.consume("12345 67890")


def test_a_token_from_an_unknown_key_is_still_refused(db):
    with pytest.raises(InvalidSignature):
        verify_jws("e30.e30.AAAA", mandat_jwks())
