from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from aidants.models import HabilitationStatus
from mandats.models import Autorisation
from oidc.models import AuthorizationCode
from tests.conftest import verified_client
from tests.factories import MandatFactory
from tests.oidc.conftest import (
    REDIRECT_URI,
    authorize_params,
    get_code,
    make_rp,
    pick,
    query_of,
)


def test_aidant_sees_usagers_with_a_live_mandate_for_the_service(
    aidant_client, aidant, rp, usager_with_mandat, other_structure
):
    MandatFactory(structure=other_structure, usager__family_name="Ailleurs")
    MandatFactory(
        structure=aidant.current_structure,
        demarches=["argent"],
        usager__family_name="Impots",
    )
    params, _ = authorize_params(rp)
    response = aidant_client.get("/oidc/authorize", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dubois" in page
    assert "Ailleurs" not in page  # another structure's mandate
    assert "Impots" not in page  # a démarche this service does not serve
    assert str(usager_with_mandat.uuid) in page


def test_search_box_filters_the_list(aidant_client, aidant, rp, usager_with_mandat):
    MandatFactory(structure=aidant.current_structure, usager__family_name="Martin")
    params, _ = authorize_params(rp)
    page = aidant_client.get("/oidc/authorize", dict(params, relais_q="martin"))
    assert "Martin" in page.content.decode()
    assert "Dubois" not in page.content.decode()


def test_demarche_page_lists_only_covered_demarches(
    aidant_client, rp, usager_with_mandat
):
    params, _ = authorize_params(rp)
    response = aidant_client.get(
        "/oidc/authorize", dict(params, relais_usager=str(usager_with_mandat.uuid))
    )
    page = response.content.decode()
    assert 'value="social"' in page
    assert 'value="papiers"' not in page  # covered, but not served by this client
    assert 'value="famille"' not in page  # served, but not covered


def test_other_structures_usager_is_404(
    aidant_client, rp, other_structure, usager_with_mandat
):
    elsewhere = MandatFactory(structure=other_structure).usager
    params, _ = authorize_params(rp)
    response = aidant_client.get(
        "/oidc/authorize", dict(params, relais_usager=str(elsewhere.uuid))
    )
    assert response.status_code == 404
    assert pick(aidant_client, params, elsewhere).status_code == 404
    assert pick(aidant_client, params, usager_with_mandat, "papiers").status_code == 400
    assert not AuthorizationCode.objects.exists()


def test_code_is_issued_and_use_journaled(
    aidant_client, aidant, rp, usager_with_mandat, assert_journaled
):
    code, _, _ = get_code(aidant_client, rp, usager_with_mandat)
    stored = AuthorizationCode.objects.get()
    assert stored.code_hash != code and len(stored.code_hash) == 64
    assert (stored.expires_at - stored.created_at).total_seconds() == 60
    assert_journaled(
        "mandat_used",
        actor_id=str(aidant.uuid),
        usager_id=str(usager_with_mandat.uuid),
        demarche="social",
        client_id=rp.client_id,
    )


def test_anonymous_goes_to_login_and_comes_back(client, rp):
    params, _ = authorize_params(rp)
    response = client.get("/oidc/authorize", params)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/connexion/"
    assert "oidc%2Fauthorize" in target.query


def test_password_only_session_goes_to_otp(client, aidant, rp):
    client.force_login(aidant)
    params, _ = authorize_params(rp)
    response = client.get("/oidc/authorize", params)
    assert urlsplit(response["Location"]).path == "/connexion/code/"


def test_suspended_aidant_is_refused(aidant_client, aidant, rp, usager_with_mandat):
    aidant.habilitations.update(status=HabilitationStatus.SUSPENDED)
    params, _ = authorize_params(rp)
    assert aidant_client.get("/oidc/authorize", params).status_code == 403
    assert pick(aidant_client, params, usager_with_mandat).status_code == 403
    assert not AuthorizationCode.objects.exists()


def test_revoked_autorisation_denies_authorize(
    aidant_client, rp, usager_with_mandat, assert_journaled
):
    params, _ = authorize_params(rp)
    Autorisation.objects.filter(demarche="social").update(
        revoked_at="2026-01-01T00:00:00Z", revoked_by_type="usager"
    )
    # The list no longer offers her, and a forged POST is refused.
    response = pick(aidant_client, params, usager_with_mandat)
    assert response.status_code == 404
    assert not AuthorizationCode.objects.exists()


def test_denied_decision_shows_french_page_and_is_journaled(
    aidant_client, aidant, rp, usager_with_mandat, assert_journaled, monkeypatch
):
    from mandats.access import Decision

    def refuse(**kwargs):
        from mandats.services import authorize_use

        decision = authorize_use(**dict(kwargs, session_verified=False))
        assert isinstance(decision, Decision)
        return decision

    monkeypatch.setattr("oidc.views.authorize_use", refuse)
    params, _ = authorize_params(rp)
    response = pick(aidant_client, params, usager_with_mandat)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Vous ne pouvez pas agir pour cette personne" in page
    assert "error=access_denied" in page and params["state"] in page
    assert_journaled("access_denied", client_id=rp.client_id)
    assert not AuthorizationCode.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "inconnu"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "https://caf.example/callback/"},
        {"redirect_uri": None},
        {"redirect_uri": 'https://caf.example/callback?x=é"\\'},
    ],
)
def test_bad_client_or_redirect_uri_shows_a_page_never_redirects(client, rp, overrides):
    params, _ = authorize_params(rp, **overrides)
    response = client.get("/oidc/authorize", params)
    assert response.status_code == 400
    assert "Demande de connexion invalide" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"nonce": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"prompt": "none"}, "interaction_required"),
        ({"claims": "{not json"}, "invalid_request"),
        (
            {"claims": '{"id_token": {"rep_scope": {"values": ["argent"]}}}'},
            "invalid_request",
        ),
        ({"state": "s" * 600}, "invalid_request"),
    ],
)
def test_bad_parameters_redirect_an_oauth_error(client, rp, overrides, error):
    params, _ = authorize_params(rp, **overrides)
    response = client.get("/oidc/authorize", params)
    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI + "?")
    query = query_of(response["Location"])
    assert query["error"] == error
    if "state" not in overrides:
        assert query["state"] == params["state"]


def test_duplicated_parameter_is_refused(client, rp):
    params, _ = authorize_params(rp)
    url = "/oidc/authorize?" + urlencode(params) + "&nonce=autre"
    response = client.get(url)
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_unknown_parameters_and_acr_values_are_accepted(aidant_client, rp):
    params, _ = authorize_params(rp, acr_values="eidas1", ui_locales="fr", foo="bar")
    assert aidant_client.get("/oidc/authorize", params).status_code == 200


def test_reused_nonce_is_refused(aidant_client, rp, usager_with_mandat):
    _, _, params = get_code(aidant_client, rp, usager_with_mandat)
    response = aidant_client.get("/oidc/authorize", params)
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_claims_parameter_restricts_the_demarches(
    aidant_client, aidant, usager_with_mandat
):
    rp = make_rp(demarches=["social", "papiers"])
    claims = '{"id_token": {"rep_scope": {"essential": true, "values": ["papiers"]}}}'
    params, _ = authorize_params(rp, claims=claims)
    page = aidant_client.get(
        "/oidc/authorize", dict(params, relais_usager=str(usager_with_mandat.uuid))
    ).content.decode()
    assert 'value="papiers"' in page and 'value="social"' not in page
    assert pick(aidant_client, params, usager_with_mandat, "social").status_code == 400
    code, _, _ = get_code(
        aidant_client, rp, usager_with_mandat, "papiers", claims=claims
    )
    stored = AuthorizationCode.objects.get()
    assert stored.demarche == "papiers"
    assert stored.claims["requested"]["id_token"]["rep_scope"]["values"] == ["papiers"]


def test_inactive_client_is_unknown(client, rp):
    rp.active = False
    rp.save()
    params, _ = authorize_params(rp)
    assert client.get("/oidc/authorize", params).status_code == 400


def test_other_aidant_of_structure_may_use_the_mandate(
    client, rp, usager_with_mandat, referent
):
    verified_client(client, referent)
    get_code(client, rp, usager_with_mandat)


def test_max_age_older_than_the_second_factor_asks_it_again(aidant_client, rp):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    params, _ = authorize_params(rp, max_age="60")
    assert aidant_client.get("/oidc/authorize", params).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        response = aidant_client.get("/oidc/authorize", params)
    assert urlsplit(response["Location"]).path == "/connexion/confirmer/"
    assert "_auth_user_id" in aidant_client.session


def test_aidant_logs_in_with_password_and_otp_then_picks(
    client, aidant, rp, usager_with_mandat
):
    from tests.factories import PASSWORD, totp_now

    params, _ = authorize_params(rp)
    to_login = client.get("/oidc/authorize", params)["Location"]
    next_url = parse_qs(urlsplit(to_login).query)["next"][0]
    to_otp = client.post(to_login, {"email": aidant.email, "password": PASSWORD})
    assert to_otp.status_code == 302
    device = aidant.totp_devices.get()
    back = client.post(to_otp["Location"], {"otp_token": totp_now(device)})
    assert back["Location"] == next_url
    page = client.get(back["Location"])
    assert page.status_code == 200
    assert str(usager_with_mandat.uuid) in page.content.decode()
    assert pick(client, params, usager_with_mandat).status_code == 302


def test_nul_characters_are_refused_before_any_lookup(client, rp):
    params, _ = authorize_params(rp, nonce="a\x00b")
    response = client.get("/oidc/authorize", params)
    assert response.status_code == 400
    assert "Demande de connexion invalide" in response.content.decode()


def test_service_may_post_the_request_and_approval_needs_csrf(
    aidant, rp, usager_with_mandat
):
    from django.test import Client as DjangoClient

    from tests.conftest import verified_client

    browser = verified_client(DjangoClient(enforce_csrf_checks=True), aidant)
    params, _ = authorize_params(rp)
    posted = browser.post("/oidc/authorize", dict(params, extra="ignoré"))
    assert posted.status_code == 303
    assert query_of(posted["Location"]) == params
    forged = pick(browser, params, usager_with_mandat)  # no CSRF token
    assert forged.status_code == 403
    assert not AuthorizationCode.objects.exists()


def test_demarche_page_starts_with_nothing_chosen_and_asks_for_one(
    aidant_client, rp, usager_with_mandat
):
    params, _ = authorize_params(rp)
    page = aidant_client.get(
        "/oidc/authorize", dict(params, relais_usager=str(usager_with_mandat.uuid))
    ).content.decode()
    assert 'value="social"' in page and "checked" not in page

    response = pick(aidant_client, params, usager_with_mandat, demarche="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choisissez la démarche pour laquelle vous vous connectez." in page
    assert 'aria-labelledby="demarches-legend demarches-errors"' in page
    assert not AuthorizationCode.objects.exists()
