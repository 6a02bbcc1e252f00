"""The `franceconnect` client profile: FranceConnect's parameter set, checked
strictly; PKCE exempt for that registered client only; client_secret_post."""

import json
import secrets

import pytest

from oidc.models import AuthorizationCode, ClientProfile
from tests.oidc.conftest import REDIRECT_URI, SECRET, make_rp, pick, query_of

REP_SCOPE = json.dumps(
    {"id_token": {"rep_scope": {"essential": True, "values": ["social"]}}}
)


@pytest.fixture
def fc_rp(db):
    return make_rp(
        name="FranceConnect",
        profile=ClientProfile.FRANCECONNECT,
        token_endpoint_auth_method="client_secret_post",
    )


def fc_params(rp, **overrides):
    """The exact request FranceConnect's core sends to an identity provider."""
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email birth",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "acr_values": "eidas1",
        "prompt": "login",
        "claims": REP_SCOPE,
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def _error(response):
    assert response.status_code == 302, response.content[:300]
    return query_of(response["Location"])


def test_franceconnect_request_reaches_the_pick_without_pkce(
    aidant_client, fc_rp, usager_with_mandat
):
    response = aidant_client.get("/oidc/authorize", fc_params(fc_rp))
    assert response.status_code == 200
    assert str(usager_with_mandat.uuid) in response.content.decode()


def test_franceconnect_code_is_exchanged_with_client_secret_post_only(
    aidant_client, fc_rp, usager_with_mandat
):
    params = fc_params(fc_rp)
    answer = query_of(pick(aidant_client, params, usager_with_mandat)["Location"])
    assert AuthorizationCode.objects.get().code_challenge == ""
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": fc_rp.client_id,
        "client_secret": SECRET,
    }
    # A stray verifier for a code issued without a challenge: RFC 9700 §4.8.
    stray = aidant_client.post("/oidc/token", dict(form, code_verifier="a" * 50))
    assert stray.status_code == 400
    response = aidant_client.post("/oidc/token", form)
    assert response.status_code == 200, response.content
    assert response.json()["id_token"]


def test_franceconnect_client_cannot_use_basic_auth(
    aidant_client, fc_rp, usager_with_mandat
):
    import base64

    answer = query_of(
        pick(aidant_client, fc_params(fc_rp), usager_with_mandat)["Location"]
    )
    basic = base64.b64encode(f"{fc_rp.client_id}:{SECRET}".encode()).decode()
    response = aidant_client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"state": None}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"acr_values": None}, "invalid_request"),
        ({"acr_values": "eidas2 eidas3"}, "unmet_authentication_requirements"),
        ({"prompt": "login select_account"}, "invalid_request"),
        ({"prompt": "none"}, "interaction_required"),
        ({"login_hint": "x"}, "invalid_request"),
        ({"ui_locales": "fr"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"scope": "profile email"}, "invalid_scope"),
        (
            {"code_challenge_method": "plain", "code_challenge": "a" * 43},
            "invalid_request",
        ),
    ],
)
def test_franceconnect_parameters_are_checked_strictly(
    aidant_client, fc_rp, overrides, error
):
    params = fc_params(fc_rp, **overrides)
    answer = _error(aidant_client.get("/oidc/authorize", params))
    assert answer["error"] == error
    if "state" in params:
        assert answer["state"] == params["state"]
    assert answer["iss"] == "http://testserver"


def test_pkce_exemption_belongs_to_the_client_not_to_the_request(aidant_client, rp):
    """A standard client sending FranceConnect's request (or claiming any
    profile in it) still needs PKCE."""
    params = fc_params(rp, profile="franceconnect")
    answer = _error(aidant_client.get("/oidc/authorize", params))
    assert answer["error"] == "invalid_request"
    assert "PKCE" in answer["error_description"]


def test_rep_scope_outside_the_client_is_refused(aidant_client, fc_rp):
    claims = json.dumps(
        {"id_token": {"rep_scope": {"essential": True, "values": ["argent"]}}}
    )
    answer = _error(
        aidant_client.get("/oidc/authorize", fc_params(fc_rp, claims=claims))
    )
    assert answer["error"] == "invalid_request"


def test_rep_scope_outside_the_structure_is_refused(
    aidant_client, aidant, fc_rp, usager_with_mandat
):
    structure = aidant.current_structure
    structure.allowed_demarches = ["papiers"]
    structure.save()
    response = aidant_client.get("/oidc/authorize", fc_params(fc_rp))
    assert response.status_code == 403
    assert "Aucune démarche demandée" in response.content.decode()
    assert "error=access_denied" in response.content.decode()
