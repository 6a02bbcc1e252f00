"""FranceConnect calling Relais as one of its identity providers, over real
HTTP against the live server, with Authlib's client as the relying party: the
exact request FranceConnect's core sends (no PKCE, prompt=login,
acr_values=eidas1, rep_scope claims, client_secret_post)."""

import html
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
import time_machine
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from audit.models import JournalEntry
from oidc import services
from oidc.models import Client, ClientProfile
from tests.factories import PASSWORD, totp_now
from tests.oidc.conftest import SECRET
from tests.oidc.test_live_flow import HIDDEN

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REP_SCOPE = {"id_token": {"rep_scope": {"essential": True, "values": ["social"]}}}


def _register(live_url, profile):
    rp = Client(
        name=f"FranceConnect ({profile})",
        redirect_uris=[f"{live_url}/fc/callback"],
        post_logout_redirect_uris=[f"{live_url}/fc/logged-out"],
        allowed_demarches=["social", "famille"],
        profile=profile,
        token_endpoint_auth_method="client_secret_post",
    )
    services.register_client(client=rp, secret=SECRET)
    return rp


def _franceconnect_core(rp, live_url):
    """FranceConnect's core as an RP: client_secret_post, no PKCE."""
    return OAuth2Session(
        client_id=rp.client_id,
        client_secret=SECRET,
        scope="openid profile email birth",
        redirect_uri=f"{live_url}/fc/callback",
        token_endpoint_auth_method="client_secret_post",
    )


def _authorization_url(oauth, metadata):
    nonce = generate_token(32)
    uri, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"],
        nonce=nonce,
        acr_values="eidas1",
        prompt="login",
        claims=json.dumps(REP_SCOPE),
    )
    return uri, state, nonce


def _post_form(browser, page, url, **fields):
    data = {"csrfmiddlewaretoken": CSRF.search(page.text)[1], **fields}
    nexts = re.search(r'name="next" value="([^"]*)"', page.text)
    if nexts:
        data["next"] = html.unescape(nexts[1])
    return browser.post(url, data=data, headers={"Referer": url})


class Aidant:
    """What the aidant's browser did: the pages of each kind it was shown."""

    def __init__(self, aidant, live_url):
        self.aidant, self.live = aidant, live_url
        self.browser = requests.Session()
        self.passwords = self.otps = 0

    def authorize(self, uri, usager, demarche="social"):
        """Follow the authorization request to the service's callback, typing a
        password or an OTP code only when a page asks for one."""
        page = self.browser.get(uri)
        if urlsplit(page.url).path == "/connexion/":
            self.passwords += 1
            page = _post_form(
                self.browser, page, page.url, email=self.aidant.email, password=PASSWORD
            )
        if urlsplit(page.url).path in ("/connexion/code/", "/connexion/confirmer/"):
            self.otps += 1
            device = self.aidant.totp_devices.get()
            url = page.url.split("?")[0]
            page = _post_form(self.browser, page, url, otp_token=totp_now(device))
        assert urlsplit(page.url).path == "/oidc/authorize", page.url
        assert str(usager.uuid) in page.text
        listing_url = page.url
        choice = self.browser.get(f"{listing_url}&relais_usager={usager.uuid}")
        fields = {n: html.unescape(v) for n, v in HIDDEN.findall(choice.text)}
        fields["relais_demarche"] = demarche
        action = f"{self.live}/oidc/authorize"
        answer = self.browser.post(
            action, data=fields, allow_redirects=False, headers={"Referer": action}
        )
        assert answer.status_code == 302, answer.text[:300]
        return answer.headers["Location"]


def _id_token(metadata, token, rp, nonce):
    jwks = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["ES256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"value": metadata["issuer"]},
            "acr": {"essential": True, "values": ["eidas1"]},
        },
        params={
            "nonce": nonce,
            "client_id": rp.client_id,
            "access_token": token["access_token"],
        },
    )
    claims.validate(leeway=60)  # aud, exp, iat, nonce, at_hash, acr
    return claims


def _flow(aidant, rp, metadata, usager):
    oauth = _franceconnect_core(rp, aidant.live)
    uri, state, nonce = _authorization_url(oauth, metadata)
    assert "code_challenge" not in uri
    callback = aidant.authorize(uri, usager)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert answer["iss"] == metadata["issuer"]  # RFC 9207
    token = oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, state=state
    )
    claims = _id_token(metadata, token, rp, nonce)
    userinfo = oauth.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 200
    oauth.close()
    return token, claims, userinfo.json()


def test_franceconnect_core_completes_the_flow_and_the_aidant_steps_up_only(
    live, settings, aidant, usager_with_mandat
):
    settings.OTP_FRESHNESS_SECONDS = 120
    rp = _register(live, ClientProfile.FRANCECONNECT)
    metadata = requests.get(f"{live}/.well-known/openid-configuration", timeout=10)
    metadata = metadata.json()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert requests.get(f"{live}/oidc/status", timeout=10).status_code == 200
    person = Aidant(aidant, live)

    # 1. Not logged in yet: password and OTP, then the pick.
    token, claims, userinfo = _flow(person, rp, metadata, usager_with_mandat)
    assert (person.passwords, person.otps) == (1, 1)
    assert claims["acr"] == "eidas1" and claims["rep_scope"] == ["social"]
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert token["token_type"].lower() == "bearer"
    for name, value in {
        "given_name": "Angela Claire Louise",
        "family_name": "Dubois",
        "birthdate": usager_with_mandat.birthdate.isoformat(),
        "gender": usager_with_mandat.gender,
        "birthplace": usager_with_mandat.birthplace,
        "birthcountry": usager_with_mandat.birthcountry,
    }.items():
        assert claims[name] == value == userinfo[name], name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", userinfo["birthdate"])
    assert userinfo["gender"] in ("male", "female")
    assert userinfo["sub"] == claims["sub"]
    # prompt=login logged nobody out: the aidant's pages still open.
    assert person.browser.get(f"{live}/usagers/").url == f"{live}/usagers/"
    assert not JournalEntry.objects.filter(action="logged_out").exists()

    # 2. Within the freshness window: prompt=login asks nothing.
    _, second, _ = _flow(person, rp, metadata, usager_with_mandat)
    assert (person.passwords, person.otps) == (1, 1)
    assert second["auth_time"] == claims["auth_time"]

    # 3. Later (still within the idle limit): one OTP, no password.
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        last, third, _ = _flow(person, rp, metadata, usager_with_mandat)
    assert (person.passwords, person.otps) == (1, 2)
    assert third["auth_time"] >= claims["auth_time"] + 300
    assert third["amr"] == ["otp"]
    step_up = JournalEntry.objects.filter(action="login_succeeded").last()
    assert step_up.details["step_up"] is True

    # 4. The usager leaves the online service: FranceConnect's logout reaches us
    # (RP-initiated logout) and comes back to FranceConnect with its state.
    bye = person.browser.get(
        metadata["end_session_endpoint"],
        params={
            "id_token_hint": last["id_token"],
            "state": "fc-logout-state",
            "post_logout_redirect_uri": f"{live}/fc/logged-out",
        },
        allow_redirects=False,
    )
    assert bye.status_code == 302
    back = urlsplit(bye.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{live}/fc/logged-out"
    assert parse_qs(back.query)["state"] == ["fc-logout-state"]
    userinfo = requests.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {last['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401
    # The aidant's own session goes on (the next usager is helped at once).
    assert person.browser.get(f"{live}/usagers/").url == f"{live}/usagers/"
    person.browser.close()


def test_the_same_request_from_a_standard_client_is_refused_for_lack_of_pkce(
    live, aidant, usager_with_mandat
):
    rp = _register(live, ClientProfile.STANDARD)
    metadata = requests.get(f"{live}/.well-known/openid-configuration", timeout=10)
    metadata = metadata.json()
    uri, _, _ = _authorization_url(_franceconnect_core(rp, live), metadata)
    person = Aidant(aidant, live)
    refused = person.browser.get(uri, allow_redirects=False)
    assert refused.status_code == 302
    answer = parse_qs(urlsplit(refused.headers["Location"]).query)
    assert answer["error"] == ["invalid_request"]
    assert "PKCE" in answer["error_description"][0]
    assert answer["iss"] == [metadata["issuer"]]
    person.browser.close()
