"""The FranceConnect client against the running sandbox, over real HTTP."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from mandats import franceconnect
from mandats.exceptions import FranceConnectError
from tests.fc_sandbox import closed_port_issuer, fc_login

REDIRECT_URI = "http://testserver/mandats/nouveau/franceconnect/retour"


@pytest.fixture
def session(db):
    store = SessionStore()
    store.create()
    return store


def request_with(session, params=None):
    request = RequestFactory().get("/retour", params or {})
    request.session = session
    return request


def start(session):
    return franceconnect.begin(
        request_with(session), redirect_uri=REDIRECT_URI, purpose="test"
    )


def test_authorization_url_carries_state_nonce_and_acr(franceconnect, session):
    url = start(session)
    query = parse_qs(urlsplit(url).query)
    flow = session["franceconnect:test"]
    assert url.startswith(franceconnect.issuer + "/")
    assert query["state"] == [flow["state"]] and query["nonce"] == [flow["nonce"]]
    assert query["acr_values"] == ["eidas1"]
    assert query["scope"] == ["openid profile email birth"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert len(flow["state"]) >= 43


def test_full_login_returns_the_identity_pivot(franceconnect, session):
    params = fc_login(start(session), sub="demo-angela-dubois")
    identity = franceconnect_complete(session, params)
    assert identity["sub"] == "demo-angela-dubois"
    assert identity["issuer"] == franceconnect.issuer
    assert identity["given_name"] == "Angela Claire Louise"
    assert identity["family_name"] == "DUBOIS"
    assert identity["birthdate"] == date(1962, 8, 24)
    assert identity["gender"] == "female"
    assert identity["birthplace"] == "75107"
    assert identity["birthcountry"] == "99100"
    assert identity["auth_time"] > 0
    assert "franceconnect:test" not in session


def test_person_born_abroad_has_no_birthplace(franceconnect, session):
    params = fc_login(start(session), sub="demo-fatou-diallo")
    identity = franceconnect_complete(session, params)
    assert identity["birthplace"] == "" and identity["birthcountry"] == "99341"


def franceconnect_complete(session, params):
    clean = {k: v for k, v in params.items() if not k.startswith("_")}
    return franceconnect.complete(request_with(session, clean), purpose="test")


def test_cancel_at_franceconnect(franceconnect, session):
    params = fc_login(start(session), deny=True)
    assert params["error"] == "access_denied"
    with pytest.raises(FranceConnectError, match="annulée"):
        franceconnect_complete(session, params)


def test_bad_state_is_refused_and_flow_consumed(franceconnect, session):
    params = fc_login(start(session), sub="demo-angela-dubois")
    with pytest.raises(FranceConnectError, match="ne correspond pas"):
        franceconnect_complete(session, {**params, "state": "forged"})
    # The genuine callback replayed afterwards finds no flow any more.
    with pytest.raises(FranceConnectError, match="Aucune identification"):
        franceconnect_complete(session, params)


def test_callback_without_flow_is_refused(franceconnect, session):
    with pytest.raises(FranceConnectError):
        franceconnect_complete(session, {"code": "x", "state": "y"})


def test_nonce_mismatch_is_refused(franceconnect, session):
    params = fc_login(start(session), sub="demo-angela-dubois")
    session["franceconnect:test"]["nonce"] = "another-nonce"
    with pytest.raises(FranceConnectError, match="vérifiée"):
        franceconnect_complete(session, params)


def test_wrong_audience_is_refused(franceconnect, session, settings):
    params = fc_login(start(session), sub="demo-angela-dubois")
    # The token is issued to FC_CLIENT_ID at /authorize time; checking it as
    # another client must fail on `aud`.
    settings.FC_CLIENT_ID = "some-other-client"
    with pytest.raises(FranceConnectError, match="vérifiée"):
        franceconnect_complete(session, params)


def test_code_replay_is_refused(franceconnect, session):
    params = fc_login(start(session), sub="demo-angela-dubois")
    flow = dict(session["franceconnect:test"])
    franceconnect_complete(session, params)
    session["franceconnect:test"] = flow
    with pytest.raises(FranceConnectError):
        franceconnect_complete(session, params)


def test_incomplete_identity_is_refused(franceconnect, session):
    franceconnect.set_identity(
        {"sub": "demo-incomplete", "given_name": "Sans", "family_name": "Date"}
    )
    params = fc_login(start(session), sub="demo-incomplete")
    with pytest.raises(FranceConnectError, match="incomplète"):
        franceconnect_complete(session, params)


def test_sandbox_down(settings, session):
    settings.FC_ISSUER = closed_port_issuer()
    with pytest.raises(FranceConnectError, match="ne répond pas"):
        start(session)


def test_sandbox_serves_discovery(fc_sandbox):
    metadata = requests.get(
        f"{fc_sandbox.issuer}/.well-known/openid-configuration", timeout=5
    ).json()
    assert metadata["issuer"] == fc_sandbox.issuer


def test_dev_sidecar_starts_the_sandbox_only_when_no_provider_is_set():
    from demo.sandbox import dev_sidecar

    env = {}
    command = dev_sidecar(env, port=9400)
    assert env["FC_ISSUER"] == "http://127.0.0.1:9400"
    assert command[1:3] == ["-m", "demo.sandbox"]
    assert command.count("--user-claims") == 4
    assert (
        dev_sidecar({"FC_ISSUER": "https://fcp.integ01.dev-franceconnect.fr"}) is None
    )


def test_sandbox_pages_are_styled_offline(fc_sandbox):
    """The sandbox's pages link a stylesheet it serves itself, never a CDN."""
    authorize = requests.get(
        f"{fc_sandbox.issuer}/.well-known/openid-configuration", timeout=5
    ).json()["authorization_endpoint"]
    pages = [
        requests.get(f"{fc_sandbox.issuer}/", timeout=5),
        requests.get(
            authorize,
            params={
                "client_id": "relais",
                "redirect_uri": "http://127.0.0.1/cb",
                "response_type": "code",
                "scope": "openid",
                "nonce": "n",
            },
            timeout=5,
        ),
        requests.get(authorize, timeout=5),  # the error page
    ]
    for page in pages:
        assert 'href="/sandbox-static/pico.min.css"' in page.text, page.text[:300]
        assert "cdn." not in page.text
    css = requests.get(f"{fc_sandbox.issuer}/sandbox-static/pico.min.css", timeout=5)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "Pico CSS" in css.text[:200]
