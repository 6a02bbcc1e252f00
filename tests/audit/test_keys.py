import base64
import json

import pytest

from audit import keys
from audit.models import ServiceKey

P = keys.KeyPurpose.ID_TOKEN


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _header(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_current_key_is_created_once_and_reused(db):
    first = keys.current_key(purpose=P)
    assert first.alg == "ES256" and first.active and first.retired_at is None
    assert keys.current_key(purpose=P).pk == first.pk
    assert ServiceKey.objects.count() == 1


def test_current_key_per_algorithm(db):
    es, ed = keys.current_key("ES256", purpose=P), keys.current_key("EdDSA", purpose=P)
    assert es.pk != ed.pk
    assert ed.public_jwk["kty"] == "OKP"


def test_unknown_algorithm_is_refused(db):
    with pytest.raises(ValueError):
        keys.current_key("HS256", purpose=P)


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_sign_and_verify_round_trip(db, alg):
    token = keys.sign_jws({"b": 2, "a": "é"}, purpose=P, alg=alg)
    header = _header(token)
    assert header == {"alg": alg, "kid": keys.current_key(alg, purpose=P).kid}
    assert keys.verify_jws(token) == {"a": "é", "b": 2}


def test_payload_is_canonical_json(db):
    token = keys.sign_jws({"b": 1, "a": [1, 2]}, purpose=P)
    part = token.split(".")[1]
    assert (
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) == b'{"a":[1,2],"b":1}'
    )


def test_public_jwks_has_no_private_parameters(db):
    keys.current_key("ES256", purpose=P)
    keys.current_key("RS256", purpose=P)
    published = keys.public_jwks()["keys"]
    assert len(published) == 2
    for jwk in published:
        assert jwk["use"] == "sig" and jwk["kid"] and jwk["alg"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


def test_rotation_retires_but_keeps_publishing_the_old_key(db, assert_journaled):
    old_token = keys.sign_jws({"n": 1}, purpose=P)
    old = keys.current_key(purpose=P)
    new = keys.rotate_key(purpose=P)
    old.refresh_from_db()
    assert keys.current_key(purpose=P).pk == new.pk != old.pk
    assert not old.active and old.retired_at is not None
    assert {old.kid, new.kid} == {k["kid"] for k in keys.public_jwks()["keys"]}
    assert keys.verify_jws(old_token) == {"n": 1}
    assert _header(keys.sign_jws({"n": 2}, purpose=P))["kid"] == new.kid
    assert_journaled(
        "signing_key_rotated",
        details={
            "purpose": "id_token",
            "alg": "ES256",
            "kid": new.kid,
            "previous_kid": old.kid,
        },
    )


def test_deleted_key_no_longer_verifies(db):
    token = keys.sign_jws({"n": 1}, purpose=P)
    keys.rotate_key(purpose=P)
    ServiceKey.objects.filter(active=False).delete()
    with pytest.raises(keys.InvalidSignature, match="unknown key id"):
        keys.verify_jws(token)


def test_tampered_payload_is_refused(db):
    header, _, signature = keys.sign_jws({"amount": 1}, purpose=P).split(".")
    payload = _b64(b'{"amount":1000}')
    forged = f"{header}.{payload}.{signature}"
    with pytest.raises(keys.InvalidSignature, match="bad signature"):
        keys.verify_jws(forged)


def test_unknown_kid_is_refused(db):
    token = keys.sign_jws({"n": 1}, purpose=P)
    _, payload, signature = token.split(".")
    header = _b64(json.dumps({"alg": "ES256", "kid": "nope"}).encode())
    with pytest.raises(keys.InvalidSignature, match="unknown key id"):
        keys.verify_jws(f"{header}.{payload}.{signature}")


def test_signature_from_another_key_with_same_kid_is_refused(db):
    token = keys.sign_jws({"n": 1}, purpose=P)
    other = keys.rotate_key(purpose=P)  # a different key pair
    jwks = {"keys": [dict(other.public_jwk, kid=_header(token)["kid"])]}
    with pytest.raises(keys.InvalidSignature, match="bad signature"):
        keys.verify_jws(token, jwks)


def test_algorithm_mismatch_is_refused(db):
    token = keys.sign_jws({"n": 1}, purpose=P)
    _, payload, signature = token.split(".")
    kid = _header(token)["kid"]
    for alg in ("none", "HS256", "RS256"):
        header = _b64(json.dumps({"alg": alg, "kid": kid}).encode())
        with pytest.raises(keys.InvalidSignature, match="algorithm mismatch"):
            keys.verify_jws(f"{header}.{payload}.{signature}")


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b.c", "a.b", "....", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"]
)
def test_malformed_tokens_are_refused(db, token):
    keys.current_key(purpose=P)
    with pytest.raises(keys.InvalidSignature):
        keys.verify_jws(token)


def test_verify_with_an_explicit_jwks(db):
    token = keys.sign_jws({"n": 1}, purpose=P)
    jwks = keys.public_jwks()
    assert keys.verify_jws(token, jwks) == {"n": 1}
    with pytest.raises(keys.InvalidSignature):
        keys.verify_jws(token, {"keys": []})


def test_non_object_payload_is_refused(db):
    from joserfc import jws

    key = keys.current_key(purpose=P)
    token = jws.serialize_compact(
        {"alg": "ES256", "kid": key.kid}, b"[1,2]", keys._private_key(key)
    )
    with pytest.raises(keys.InvalidSignature, match="not a JSON object"):
        keys.verify_jws(token)
