"""OIDC edge cases driven as a hostile page or a careless service would: bounded
`claims`, request objects refused, `iss` in every authorization response,
pairwise `mandat`, `acr`, prompt=login as a step-up (never a logout)."""

import json
from datetime import timedelta

import time_machine
from django.db import DatabaseError
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from audit.models import JournalEntry
from oidc.claims import pairwise_id
from oidc.models import Token
from tests.factories import totp_now
from tests.oidc.conftest import (
    ISSUER,
    authorize_params,
    exchange,
    get_code,
    make_rp,
    query_of,
)


def _redirected_error(response):
    assert response.status_code == 302, response.content[:300]
    return query_of(response["Location"])


def _id_token(client, body):
    keys = KeySet.import_key_set(client.get("/oidc/jwks").json())
    return jwt.decode(body["id_token"], keys, algorithms=["ES256"]).claims


def test_deeply_nested_claims_are_an_oauth_error_not_a_500(aidant_client, rp):
    deep = '{"a":' * 1500 + "1" + "}" * 1500
    params, _ = authorize_params(rp, claims=deep)
    answer = _redirected_error(aidant_client.get("/oidc/authorize", params))
    assert answer["error"] == "invalid_request"
    assert answer["state"] == params["state"]


def test_claims_deeper_than_needed_or_too_long_are_refused(aidant_client, rp):
    nested = {"id_token": {"rep_scope": {"values": [[[[["social"]]]]]}}}
    too_long = {"id_token": {"x": "y" * 3000}}
    for claims in (nested, too_long):
        params, _ = authorize_params(rp, claims=json.dumps(claims))
        answer = _redirected_error(aidant_client.get("/oidc/authorize", params))
        assert answer["error"] == "invalid_request"


def test_request_objects_are_answered_not_supported(aidant_client, rp):
    for name, error in (
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ):
        params, _ = authorize_params(rp, **{name: "eyJhbGciOiJub25lIn0.e30."})
        answer = _redirected_error(aidant_client.get("/oidc/authorize", params))
        assert answer["error"] == error
        # POSTed by the service (OIDC Core §3.1.2.1): same answer.
        posted = aidant_client.post("/oidc/authorize", params)
        again = _redirected_error(aidant_client.get(posted["Location"]))
        assert again["error"] == error
        assert answer["state"] == params["state"]
        assert answer["iss"] == ISSUER


def test_every_authorization_response_names_the_issuer(
    aidant_client, rp, usager_with_mandat
):
    document = aidant_client.get("/.well-known/openid-configuration").json()
    assert document["authorization_response_iss_parameter_supported"] is True
    params, _ = authorize_params(rp, response_type="token")
    refused = _redirected_error(aidant_client.get("/oidc/authorize", params))
    assert refused["error"] == "unsupported_response_type"
    assert refused["iss"] == ISSUER
    params, _ = authorize_params(rp, scope="profile")
    assert _redirected_error(aidant_client.get("/oidc/authorize", params))["iss"] == (
        ISSUER
    )
    code, _, params = get_code(aidant_client, rp, usager_with_mandat)
    response = aidant_client.post(
        "/oidc/authorize",
        dict(
            params, relais_usager=str(usager_with_mandat.uuid), relais_demarche="social"
        ),
    )
    assert query_of(response["Location"])["iss"] == ISSUER


def test_mandat_claim_is_pairwise_per_service(aidant_client, usager_with_mandat):
    mandat = usager_with_mandat.mandats.get()
    seen = []
    for name in ("CAF", "CPAM"):
        rp = make_rp(name=name)
        code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
        body = exchange(aidant_client, rp, code, verifier).json()
        claims = _id_token(aidant_client, body)
        assert claims["mandat"] == pairwise_id(rp, "mandat", mandat.uuid)
        seen.append(claims["mandat"])
    assert seen[0] != seen[1]
    assert str(mandat.uuid) not in seen


def test_essential_acr_we_cannot_meet_is_an_error(aidant_client, rp):
    claims = {"id_token": {"acr": {"essential": True, "values": ["eidas3"]}}}
    params, _ = authorize_params(rp, claims=json.dumps(claims))
    answer = _redirected_error(aidant_client.get("/oidc/authorize", params))
    assert answer["error"] == "unmet_authentication_requirements"


def test_voluntary_acr_gets_the_level_actually_met(
    aidant_client, rp, usager_with_mandat
):
    code, verifier, _ = get_code(
        aidant_client, rp, usager_with_mandat, acr_values="eidas2"
    )
    body = exchange(aidant_client, rp, code, verifier).json()
    assert _id_token(aidant_client, body)["acr"] == "eidas1"


def test_a_link_with_prompt_login_logs_nobody_out(aidant_client, rp, tokens):
    """Cross-site: any page may link an aidant to /oidc/authorize?prompt=login."""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    params, _ = authorize_params(rp, prompt="login")
    response = aidant_client.get("/oidc/authorize", params)
    assert response.status_code == 200  # fresh second factor: straight to the pick
    assert "_auth_user_id" in aidant_client.session
    assert not JournalEntry.objects.filter(action="logged_out").exists()
    assert Token.objects.get().revoked_at is None
    assert aidant_client.get("/oidc/userinfo", **bearer).status_code == 200


def test_stale_second_factor_is_asked_again_and_the_session_kept(
    aidant_client, aidant, rp, tokens, settings
):
    settings.OTP_FRESHNESS_SECONDS = 60
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    session_key = aidant_client.session.session_key
    params, _ = authorize_params(rp, prompt="login")
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        response = aidant_client.get("/oidc/authorize", params)
        assert response["Location"].startswith("/connexion/confirmer/?next=")
        assert "prompt" not in response["Location"]
        page = aidant_client.get(response["Location"])
        assert "Confirmez votre identité" in page.content.decode()
        device = aidant.totp_devices.get()
        done = aidant_client.post(
            "/connexion/confirmer/",
            {"otp_token": totp_now(device), "next": "/usagers/"},
        )
        assert done["Location"] == "/usagers/"
        assert aidant_client.get("/oidc/authorize", params).status_code == 200
        # Same session: the tokens it issued still work.
        assert aidant_client.session.session_key == session_key
        assert aidant_client.get("/oidc/userinfo", **bearer).status_code == 200
    assert not JournalEntry.objects.filter(action="logged_out").exists()


def test_wrong_step_up_code_is_journaled_and_keeps_the_session(aidant_client):
    wrong = aidant_client.post(
        "/connexion/confirmer/", {"otp_token": "000000", "next": "/usagers/"}
    )
    assert wrong.status_code == 200
    assert "incorrect" in wrong.content.decode()
    assert JournalEntry.objects.filter(action="otp_failed").exists()
    assert aidant_client.get("/usagers/").status_code == 200


def test_step_up_page_needs_a_verified_session(client):
    response = client.get("/connexion/confirmer/")
    assert response["Location"].startswith("/connexion/code/")


def test_status_url_answers_when_the_database_does(client, db, monkeypatch):
    assert client.get("/oidc/status").json()["status"] == "ok"

    class Down:
        def cursor(self):
            raise DatabaseError("down")

    # The one thing that cannot run here: a database that stops answering.
    monkeypatch.setattr("oidc.services.connection", Down())
    assert client.get("/oidc/status").status_code == 503


def test_max_age_alone_is_not_narrowed_to_the_freshness_window(
    aidant_client, rp, settings
):
    settings.OTP_FRESHNESS_SECONDS = 60
    assert aidant_client.get("/usagers/").status_code == 200  # the session clock
    params, _ = authorize_params(rp, max_age="3600")
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        assert aidant_client.get("/oidc/authorize", params).status_code == 200
    params, _ = authorize_params(rp, max_age="3600", prompt="login")
    with time_machine.travel(later, tick=False):
        response = aidant_client.get("/oidc/authorize", params)
    assert response["Location"].startswith("/connexion/confirmer/")
