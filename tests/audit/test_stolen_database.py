"""A copy of the database alone (no key-encryption key) opens no private key and
no OTP seed, and cannot make an id_token that verifies against the JWKS."""

import base64
import json
import time
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from aidants.models import BackupCode, TOTPDevice
from aidants.services.otp import create_backup_codes
from audit.models import ServiceKey
from oidc import keys as oidc_keys


def seed_everything() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    oidc_keys.ensure_keys()  # id_token keys, as after the first login of a service
    return json.loads(out.getvalue())


def database_dump() -> tuple[list, str]:
    """What a thief gets: every row (dumpdata), and its text plus the SQL dump
    when SQLite."""
    out = StringIO()
    call_command("dumpdata", stdout=out)
    text = out.getvalue()
    rows = json.loads(text)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        text += "\n" + "\n".join(connection.connection.iterdump())
    return rows, text


def private_jwk_members(value) -> list:
    """Any JSON object anywhere in `value` carrying a private JWK member."""
    found = []
    if isinstance(value, dict):
        if "kty" in value and {"d", "p", "q"} & set(value):
            found.append(value)
        for item in value.values():
            found += private_jwk_members(item)
    elif isinstance(value, list):
        for item in value:
            found += private_jwk_members(item)
    return found


@pytest.mark.django_db
def test_a_dump_after_seed_demo_holds_no_private_key_nor_seed():
    data = seed_everything()
    codes = create_backup_codes(aidant=TOTPDevice.objects.first().user)
    rows, dump = database_dump()
    assert ServiceKey.objects.filter(purpose="checkpoint").exists()
    assert ServiceKey.objects.filter(purpose="mandat").exists()
    assert ServiceKey.objects.filter(purpose="id_token").count() == 2
    assert "PRIVATE KEY" not in dump
    assert private_jwk_members(rows) == []
    for login in (data["referent"], data["aidant"]):
        secret = login["totp_secret"]
        for form in (secret, base64.b32decode(secret).hex()):
            assert form not in dump
    for code in codes:
        assert code.replace(" ", "") not in dump
    # Backup codes: not the bare SHA-256 either (10^10 guesses offline).
    import hashlib

    bare = hashlib.sha256(codes[0].replace(" ", "").encode()).hexdigest()
    assert bare not in dump and BackupCode.objects.count() == 10


def forged_tokens(own_key) -> list[str]:
    """Every way to sign an id_token with what the database holds: each stored
    key (sealed private, public JWK) tried as a signing key, each sealed value
    as an HMAC secret, and a key of the thief's own."""
    claims = {"iss": "x", "sub": "s", "aud": "rp", "exp": int(time.time()) + 600}
    tokens = []
    for row in ServiceKey.objects.all():
        candidates = [row.sealed_private_key, row.public_jwk]
        for candidate in candidates:
            for cls, alg in ((ECKey, "ES256"), (RSAKey, "RS256"), (OKPKey, "EdDSA")):
                try:
                    key = cls.import_key(candidate)
                    tokens.append(jwt.encode({"alg": alg, "kid": row.kid}, claims, key))
                except Exception:  # noqa: S112 - not a usable key: the point
                    continue
        from joserfc.jwk import OctKey

        secret = OctKey.import_key(row.sealed_private_key.encode())
        tokens.append(
            jwt.encode({"alg": "HS256", "kid": row.kid}, claims, secret, ["HS256"])
        )
    tokens.append(jwt.encode({"alg": "ES256", "kid": own_key.kid}, claims, own_key))
    return tokens


def accepted_by_a_relying_party(token: str) -> bool:
    published = Client().get("/oidc/jwks").json()
    try:
        jwt.decode(token, KeySet.import_key_set(published), ["ES256", "RS256"])
    except (JoseError, ValueError):
        return False
    return True


@pytest.mark.django_db
def test_a_stolen_database_cannot_sign_an_id_token_that_verifies():
    seed_everything()
    genuine = oidc_keys.sign_id_token({"sub": "s", "aud": "rp"})
    assert accepted_by_a_relying_party(genuine)
    # The thief, who can also write, adds a key of their own for id_tokens.
    own = ECKey.generate_key("P-256", auto_kid=True)
    ServiceKey.objects.filter(purpose="id_token").update(active=False)
    ServiceKey.objects.create(
        kid=own.kid,
        purpose="id_token",
        alg="ES256",
        sealed_private_key=Fernet(Fernet.generate_key())
        .encrypt(own.as_pem(private=True))
        .decode(),
        public_jwk=dict(own.as_dict(private=False), kid=own.kid, alg="ES256"),
    )
    forged = forged_tokens(own)
    assert len(forged) >= 2
    assert not any(accepted_by_a_relying_party(token) for token in forged)
    published = {k["kid"] for k in Client().get("/oidc/jwks").json()["keys"]}
    assert own.kid not in published


@pytest.mark.django_db
def test_keys_and_seeds_do_not_open_with_another_kek(settings):
    seed_everything()
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert Client().get("/oidc/jwks").json() == {"keys": []}
    from audit.sealing import SealError

    with pytest.raises(SealError):
        TOTPDevice.objects.first().bin_key  # noqa: B018
