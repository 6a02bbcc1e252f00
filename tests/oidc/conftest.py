import os
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from oidc.models import Client

# Tests talk plain http to "testserver" / the live server (STYLE.md: tests only).
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

SECRET = "secret-de-test-" + "x" * 40
REDIRECT_URI = "https://caf.example/callback"
LOGOUT_URI = "https://caf.example/au-revoir"
ISSUER = "http://testserver"


@pytest.fixture(autouse=True)
def _issuer(settings):
    settings.OIDC_ISSUER = ISSUER


def make_rp(name="CAF (test)", demarches=("social", "famille"), **extra):
    rp = Client(
        name=name,
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[LOGOUT_URI],
        allowed_demarches=list(demarches),
        **extra,
    )
    rp.set_secret(SECRET)
    rp.save()
    return rp


@pytest.fixture
def rp(db):
    """A registered online service serving "social" and "famille"."""
    return make_rp()


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def authorize_params(rp, **overrides):
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email birth",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    return params, verifier


def query_of(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def pick(client, params, usager, demarche="social"):
    """The aidant's POST on the démarche page."""
    data = dict(params, relais_usager=str(usager.uuid), relais_demarche=demarche)
    return client.post("/oidc/authorize", data)


def get_code(client, rp, usager, demarche="social", **overrides):
    """Run the aidant's step; return (code, verifier, params)."""
    params, verifier = authorize_params(rp, **overrides)
    response = pick(client, params, usager, demarche)
    assert response.status_code == 302, response.content[:500]
    query = query_of(response["Location"])
    assert query.get("state") == params["state"]
    return query["code"], verifier, params


def exchange(client, rp, code, verifier, secret=SECRET, **extra):
    import base64

    basic = base64.b64encode(f"{rp.client_id}:{secret}".encode()).decode()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    data.update(extra)
    return client.post("/oidc/token", data, HTTP_AUTHORIZATION=f"Basic {basic}")


@pytest.fixture
def tokens(aidant_client, rp, usager_with_mandat):
    """A full successful flow: the token response as a dict."""
    code, verifier, params = get_code(aidant_client, rp, usager_with_mandat)
    response = exchange(aidant_client, rp, code, verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    body["_params"] = params
    return body


@pytest.fixture
def live(live_server, settings, monkeypatch):
    from django.middleware.security import SecurityMiddleware

    # The session-scoped live server built its middleware before the autouse
    # fixture turned SECURE_SSL_REDIRECT off: no https redirect on loopback.
    monkeypatch.setattr(SecurityMiddleware, "process_request", lambda s, r: None)
    settings.OIDC_ISSUER = live_server.url
    settings.SITE_URL = live_server.url
    settings.DEMO_SERVICE_ENABLED = True
    # Plain http on loopback: cookies must not be Secure-only.
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = False
    return live_server.url
