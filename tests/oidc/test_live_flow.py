"""The whole flow over real HTTP against the live server, driven by Authlib's
client as a relying party would (and by the demo online service)."""

import html
import re

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client as DjangoClient
from joserfc import jwt
from joserfc.jwk import KeySet

from demo.rp import config as demo_config
from mandats.services import revoke_mandat
from oidc import services
from oidc.models import Client, Token
from tests.conftest import verified_client
from tests.oidc.conftest import SECRET

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _browser(aidant, live_url):
    """A browser holding the aidant's verified Relais session."""
    django_client = verified_client(DjangoClient(), aidant)
    browser = requests.Session()
    browser.cookies.set("sessionid", django_client.cookies["sessionid"].value)
    return browser


def _pick(browser, authorize_url, usager, demarche="social"):
    """The aidant's two pages: the list, then the démarche form, submitted."""
    listing = browser.get(authorize_url)
    assert listing.status_code == 200
    assert str(usager.uuid) in listing.text
    page = browser.get(f"{authorize_url}&relais_usager={usager.uuid}")
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
    fields["relais_demarche"] = demarche
    action = authorize_url.split("?")[0]
    return browser.post(
        action, data=fields, allow_redirects=False, headers={"Referer": action}
    )


def test_authlib_client_completes_the_flow_and_revocation_reaches_it(
    live, aidant, usager_with_mandat
):
    rp = Client(
        name="Impots (test)",
        redirect_uris=[f"{live}/rp/callback"],
        allowed_demarches=["social"],
    )
    services.register_client(client=rp, secret=SECRET)
    metadata = requests.get(
        f"{live}/.well-known/openid-configuration", timeout=10
    ).json()
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    oauth = OAuth2Session(
        client_id=rp.client_id,
        client_secret=SECRET,
        scope="openid profile birth",
        redirect_uri=f"{live}/rp/callback",
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(64), generate_token(20)
    uri, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = _browser(aidant, live)
    answer = _pick(browser, uri, usager_with_mandat)
    assert answer.status_code == 302
    token = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
    )
    jwks = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, algorithms=["ES256"]).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": rp.client_id},
        nonce={"essential": True, "value": nonce},
    ).validate(claims)
    assert claims["act"]["structure"] == aidant.current_structure.siret
    userinfo = oauth.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["birthplace"] == usager_with_mandat.birthplace

    revoke_mandat(mandat=usager_with_mandat.mandats.get(), by_type="usager", by_id="u")
    assert oauth.get(metadata["userinfo_endpoint"]).status_code == 401
    browser.close()
    oauth.close()


def test_demo_service_logs_in_through_relais(live, aidant, usager_with_mandat):
    from demo.aidants import DemoContext
    from demo.rp.seed import seed_demo_client

    seed_demo_client(
        DemoContext(
            structure=aidant.current_structure,
            staff=aidant,
            referent=aidant,
            aidant=aidant,
            extra_aidants=[],
        )
    )
    browser = _browser(aidant, live)
    home = browser.get(f"{live}/demo-service/")
    assert "Se connecter avec Relais" in home.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text)[1]
    start = browser.post(
        f"{live}/demo-service/connexion",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
    )
    assert start.status_code == 302
    authorize_url = start.headers["Location"]
    assert authorize_url.startswith(f"{live}/oidc/authorize?")
    answer = _pick(browser, authorize_url, usager_with_mandat)
    assert answer.headers["Location"].startswith(demo_config.redirect_uri())
    landing = browser.get(answer.headers["Location"])
    assert landing.status_code == 200, re.findall(r"<h1.*|<p>.*", landing.text)
    assert "Bienvenue Angela Claire Louise Dubois" in landing.text
    assert f"SIRET {aidant.current_structure.siret}" in landing.text

    # Logout: RP-initiated, back to the demo home, the token is revoked.
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', landing.text)[1]
    bye = browser.post(
        f"{live}/demo-service/deconnexion",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
    )
    assert bye.headers["Location"].startswith(f"{live}/oidc/end-session?")
    back = browser.get(bye.headers["Location"], allow_redirects=False)
    assert back.headers["Location"].startswith(demo_config.post_logout_redirect_uri())
    assert "Se connecter avec Relais" in browser.get(back.headers["Location"]).text
    assert Token.objects.get().revoked_at is not None
    browser.close()


def test_demo_service_refuses_a_callback_without_its_state(client, settings):
    settings.DEMO_SERVICE_ENABLED = True
    response = client.get("/demo-service/callback", {"state": "x", "code": "y"})
    assert response.status_code == 400
    assert "état de session invalide" in response.content.decode()


def test_demo_service_is_off_by_default(client, settings):
    settings.DEMO_SERVICE_ENABLED = False
    assert client.get("/demo-service/").status_code == 404


def test_authlib_client_sees_replay_wrong_secret_and_plain_pkce_refused(
    live, aidant, usager_with_mandat
):
    from authlib.integrations.base_client.errors import OAuthError

    rp = Client(
        name="CPAM (test)",
        redirect_uris=[f"{live}/rp/callback"],
        allowed_demarches=["social"],
    )
    services.register_client(client=rp, secret=SECRET)
    metadata = requests.get(f"{live}/.well-known/openid-configuration", timeout=10)
    metadata = metadata.json()
    browser = _browser(aidant, live)

    def session(secret=SECRET, method="S256"):
        return OAuth2Session(
            client_id=rp.client_id,
            client_secret=secret,
            scope="openid",
            redirect_uri=f"{live}/rp/callback",
            code_challenge_method=method,
        )

    # "plain" PKCE: refused at once, back to the service with an OAuth error.
    verifier = generate_token(64)
    uri, _ = session(method="plain").create_authorization_url(
        metadata["authorization_endpoint"],
        nonce=generate_token(20),
        code_challenge=verifier,
        code_challenge_method="plain",
    )
    refused = browser.get(uri, allow_redirects=False)
    assert "error=invalid_request" in refused.headers["Location"]

    oauth = session()
    uri, _ = oauth.create_authorization_url(
        metadata["authorization_endpoint"],
        code_verifier=verifier,
        nonce=generate_token(20),
    )
    callback = _pick(browser, uri, usager_with_mandat).headers["Location"]
    with pytest.raises(OAuthError) as wrong:
        session(secret="mauvais").fetch_token(
            metadata["token_endpoint"],
            authorization_response=callback,
            code_verifier=verifier,
        )
    assert wrong.value.error == "invalid_client"
    token = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        code_verifier=verifier,
    )
    with pytest.raises(OAuthError) as replay:
        session().fetch_token(
            metadata["token_endpoint"],
            authorization_response=callback,
            code_verifier=verifier,
        )
    assert replay.value.error == "invalid_grant"
    assert oauth.get(metadata["userinfo_endpoint"]).status_code == 401
    assert token["access_token"]
    browser.close()
    oauth.close()
