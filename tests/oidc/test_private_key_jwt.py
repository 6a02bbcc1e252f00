import time
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey

from oidc.models import Token
from tests.oidc.conftest import REDIRECT_URI, get_code, make_rp

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _assertion(rp, key, **overrides):
    now = int(time.time())
    claims = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": "http://testserver/oidc/token",
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def _token(client, rp, code, verifier, assertion):
    return client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )


def _rp_with_key():
    key = ECKey.generate_key("P-256", auto_kid=True)
    public = dict(key.as_dict(private=False), kid=key.kid, alg="ES256")
    rp = make_rp(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [public]})
    return rp, key


def test_private_key_jwt_authenticates_the_client(aidant_client, usager_with_mandat):
    rp, key = _rp_with_key()
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    response = _token(aidant_client, rp, code, verifier, _assertion(rp, key))
    assert response.status_code == 200, response.content
    assert Token.objects.count() == 1


def test_replayed_or_foreign_assertion_is_refused(aidant_client, usager_with_mandat):
    rp, key = _rp_with_key()
    assertion = _assertion(rp, key)
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    assert _token(aidant_client, rp, code, verifier, assertion).status_code == 200
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    replay = _token(aidant_client, rp, code, verifier, assertion)
    assert replay.json()["error"] == "invalid_client"
    other_key = ECKey.generate_key("P-256", auto_kid=True)
    forged = _token(aidant_client, rp, code, verifier, _assertion(rp, other_key))
    assert forged.json()["error"] == "invalid_client"
    wrong_audience = _assertion(rp, key, aud="https://ailleurs.example/token")
    assert (
        _token(aidant_client, rp, code, verifier, wrong_audience).json()["error"]
        == "invalid_client"
    )
    garbage = _token(aidant_client, rp, code, verifier, "pas.un.jwt")
    assert garbage.json()["error"] == "invalid_client"
    assert Token.objects.count() == 1
