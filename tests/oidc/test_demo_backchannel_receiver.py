"""The demo online service's back-channel logout endpoint, over real HTTP: it
accepts Relais' logout token once, and refuses a forged or replayed one."""

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from demo.rp import config as demo_config
from demo.rp import sessions
from mandats.models import RevokedBy
from mandats.services import revoke_mandat
from oidc import backchannel, keys, services
from oidc.models import Client, LogoutDelivery, ServiceSession

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live, settings, tmp_path, aidant, usager_with_mandat):
    settings.DEMO_SERVICE_STATE_DIR = tmp_path
    keys.ensure_keys()
    client = Client(
        client_id=demo_config.CLIENT_ID,
        name=demo_config.NAME,
        redirect_uris=[demo_config.redirect_uri()],
        allowed_demarches=demo_config.DEMARCHES,
        backchannel_logout_uri=demo_config.backchannel_logout_uri(),
    )
    services.register_client(client=client, secret=demo_config.CLIENT_SECRET)
    autorisation = usager_with_mandat.mandats.get().autorisations.get(demarche="social")
    session = ServiceSession.objects.create(
        sid="00000000-0000-4000-8000-00000000abcd",
        client=client,
        aidant=aidant,
        usager=usager_with_mandat,
        autorisation=autorisation,
    )
    revoke_mandat(mandat=autorisation.mandat, by_type=RevokedBy.USAGER, by_id="u")
    return LogoutDelivery.objects.select_related("client", "session__usager").get(
        session=session
    )


def test_demo_service_accepts_the_logout_once(demo):
    assert not sessions.is_ended(str(demo.session.sid))
    assert backchannel.post_logout_token(demo) == ""
    assert sessions.is_ended(str(demo.session.sid))
    # The same token (same jti) again: a replay, refused.
    assert backchannel.post_logout_token(demo) == "HTTP 400"


def test_demo_service_refuses_a_token_not_signed_by_relais(demo):
    forged_key = ECKey.generate_key("P-256")
    claims = backchannel.logout_token_claims(demo, now=int(time.time()))
    forged = jwt.encode(
        {"alg": "ES256", "typ": "logout+jwt", "kid": keys.jwks()["keys"][0]["kid"]},
        claims,
        forged_key,
    )
    response = requests.post(
        demo_config.backchannel_logout_uri(), data={"logout_token": forged}, timeout=10
    )
    assert response.status_code == 400
    assert not sessions.is_ended(str(demo.session.sid))


def test_demo_service_refuses_a_token_with_a_nonce(demo, monkeypatch):
    real = backchannel.logout_token_claims

    def with_nonce(delivery, **kwargs):
        return {**real(delivery, **kwargs), "nonce": "x"}

    monkeypatch.setattr(backchannel, "logout_token_claims", with_nonce)
    assert backchannel.post_logout_token(demo) == "HTTP 400"
    assert not sessions.is_ended(str(demo.session.sid))
