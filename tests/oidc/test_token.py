import base64
from datetime import timedelta

import time_machine
from django.test import Client as DjangoClient
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from oidc.claims import pairwise_id
from oidc.models import Token
from tests.oidc.conftest import (
    REDIRECT_URI,
    SECRET,
    exchange,
    get_code,
    make_rp,
)


def _verify(client, id_token):
    jwks = KeySet.import_key_set(client.get("/oidc/jwks").json())
    return jwt.decode(id_token, jwks, algorithms=["ES256", "RS256"])


def test_code_exchange_returns_a_signed_id_token(
    client, aidant, rp, usager_with_mandat, tokens, assert_journaled
):
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    decoded = _verify(client, tokens["id_token"])
    assert decoded.header["alg"] == "ES256" and decoded.header["kid"]
    claims = decoded.claims
    mandat = usager_with_mandat.mandats.get()
    assert claims["iss"] == "http://testserver"
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == tokens["_params"]["nonce"]
    assert claims["acr"] == "eidas1"
    assert claims["sub"] == pairwise_id(rp, "usager", usager_with_mandat.uuid)
    assert claims["given_name"] == "Angela Claire Louise"
    assert claims["birthdate"] == usager_with_mandat.birthdate.isoformat()
    assert claims["birthplace"] == "75107" and claims["birthcountry"] == "99100"
    assert claims["rep_scope"] == ["social"]
    assert claims["act"] == {
        "sub": pairwise_id(rp, "aidant", aidant.uuid),
        "structure": aidant.current_structure.siret,
    }
    assert claims["mandat"] == pairwise_id(rp, "mandat", mandat.uuid)
    assert claims["at_hash"] and claims["auth_time"] <= claims["iat"]
    token = Token.objects.get()
    assert token.access_token_hash != tokens["access_token"]
    assert_journaled("token_issued", client_id=rp.client_id, mandat_id=str(mandat.uuid))


def test_rs256_client_gets_an_rs256_id_token(aidant_client, usager_with_mandat):
    rp = make_rp(id_token_signed_response_alg="RS256")
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    body = exchange(aidant_client, rp, code, verifier).json()
    assert _verify(aidant_client, body["id_token"]).header["alg"] == "RS256"


def test_scope_limits_identity_claims(aidant_client, rp, usager_with_mandat):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat, scope="openid")
    claims = _verify(
        aidant_client, exchange(aidant_client, rp, code, verifier).json()["id_token"]
    ).claims
    assert "given_name" not in claims and "email" not in claims
    assert claims["rep_scope"] == ["social"] and "act" in claims


def test_pairwise_sub_is_stable_per_client_and_differs_across_clients(
    aidant_client, rp, usager_with_mandat
):
    other = make_rp(name="CPAM (test)")
    subs = []
    for service in (rp, rp, other):
        code, verifier, _ = get_code(aidant_client, service, usager_with_mandat)
        body = exchange(aidant_client, service, code, verifier).json()
        subs.append(_verify(aidant_client, body["id_token"]).claims["sub"])
    assert subs[0] == subs[1]
    assert subs[0] != subs[2]


def test_client_secret_post_is_honoured(aidant_client, usager_with_mandat):
    rp = make_rp(token_endpoint_auth_method="client_secret_post")
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    # Basic is not this client's method: refused.
    assert exchange(aidant_client, rp, code, verifier).status_code == 401
    response = aidant_client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": rp.client_id,
            "client_secret": SECRET,
        },
    )
    assert response.status_code == 200


def test_replayed_code_fails_and_revokes_its_tokens(
    aidant_client, rp, usager_with_mandat, assert_journaled
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    first = exchange(aidant_client, rp, code, verifier)
    assert first.status_code == 200
    second = exchange(aidant_client, rp, code, verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert Token.objects.get().revoked_at is not None
    assert_journaled("code_replayed", client_id=rp.client_id)
    userinfo = aidant_client.get(
        "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {first.json()['access_token']}"
    )
    assert userinfo.status_code == 401


def test_expired_code_is_invalid_grant(aidant_client, rp, usager_with_mandat):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = exchange(aidant_client, rp, code, verifier)
    assert response.json()["error"] == "invalid_grant"
    assert not Token.objects.exists()


def test_another_clients_code_is_invalid_grant(aidant_client, rp, usager_with_mandat):
    other = make_rp(name="CPAM (test)")
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    response = exchange(aidant_client, other, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # Still usable by its own client.
    assert exchange(aidant_client, rp, code, verifier).status_code == 200


def test_wrong_secret_is_invalid_client(aidant_client, rp, usager_with_mandat):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    response = exchange(aidant_client, rp, code, verifier, secret="mauvais")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not Token.objects.exists()


def test_missing_client_authentication_is_invalid_client(
    aidant_client, rp, usager_with_mandat
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    response = aidant_client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": rp.client_id,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_undecodable_basic_header_is_invalid_client(client, rp):
    garbage = base64.b64encode(b"\xff\xfe:\xff").decode()
    response = client.post(
        "/oidc/token",
        {"grant_type": "authorization_code", "code": "x"},
        HTTP_AUTHORIZATION=f"Basic {garbage}",
    )
    assert response.status_code == 401


def test_wrong_or_missing_verifier_is_refused(aidant_client, rp, usager_with_mandat):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    wrong = exchange(aidant_client, rp, code, "a" * 43)
    assert wrong.json()["error"] == "invalid_grant"
    missing = exchange(aidant_client, rp, code, "")
    assert missing.json()["error"] == "invalid_request"
    assert not Token.objects.exists()


def test_wrong_redirect_uri_is_invalid_grant(aidant_client, rp, usager_with_mandat):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    response = exchange(
        aidant_client, rp, code, verifier, redirect_uri="https://caf.example/autre"
    )
    assert response.json()["error"] == "invalid_grant"


def test_revoked_mandate_between_code_and_token_is_invalid_grant(
    aidant_client, aidant, rp, usager_with_mandat
):
    from mandats.services import revoke_mandat

    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    revoke_mandat(mandat=usager_with_mandat.mandats.get(), by_type="usager", by_id="x")
    response = exchange(aidant_client, rp, code, verifier)
    assert response.json()["error"] == "invalid_grant"


def test_unsupported_grant_type(client, rp):
    response = client.post("/oidc/token", {"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_endpoint_makes_a_bounded_number_of_queries(
    aidant_client, rp, usager_with_mandat, django_assert_max_num_queries
):
    from django.test import Client

    from oidc.keys import ensure_keys

    ensure_keys()
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    # The service calls without the aidant's cookies.
    with django_assert_max_num_queries(18):
        response = exchange(Client(), rp, code, verifier)
    assert response.status_code == 200


def test_repeated_token_parameter_is_invalid_request(
    aidant_client, rp, usager_with_mandat
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    raw = base64.b64encode(f"{rp.client_id}:{SECRET}".encode()).decode()
    response = aidant_client.post(
        "/oidc/token",
        f"grant_type=authorization_code&code={code}&code=autre"
        f"&redirect_uri={REDIRECT_URI}&code_verifier={verifier}",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {raw}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not Token.objects.exists()


def test_aidant_logout_between_code_and_token_is_invalid_grant(
    aidant_client, rp, usager_with_mandat
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    aidant_client.post("/deconnexion/")
    response = exchange(DjangoClient(), rp, code, verifier)
    assert response.json()["error"] == "invalid_grant"


def test_raw_codes_and_tokens_never_reach_the_database(
    aidant_client, rp, usager_with_mandat
):
    from django.db import connection

    from audit.models import JournalEntry

    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    body = exchange(aidant_client, rp, code, verifier).json()
    aidant_client.get(
        "/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}"
    )
    dumped = "\n".join(
        str(row)
        for table in ("oidc_token", "oidc_authorizationcode", "audit_journalentry")
        for row in connection.cursor().execute(f"SELECT * FROM {table}")  # noqa: S608
    )
    assert JournalEntry.objects.filter(action="userinfo_served").exists()
    for secret in (code, body["access_token"], verifier):
        assert secret not in dumped
