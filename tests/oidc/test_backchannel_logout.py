"""OIDC Back-Channel Logout 1.0: what ends a service's session, the logout
token (validated as a service must, §2.6), delivery, retries and the journal."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as DjangoClient
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from aidants.services.habilitations import suspend_habilitation
from audit.models import JournalEntry
from mandats.models import RevokedBy
from mandats.services import revoke_autorisation, revoke_mandat
from oidc import backchannel
from oidc.models import DeliveryStatus, LogoutDelivery, ServiceSession
from tests.factories import MandatFactory
from tests.oidc.conftest import ISSUER, exchange, get_code, make_rp
from tests.oidc.logout_receiver import LogoutReceiver

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def bc_rp(db):
    return make_rp(backchannel_logout_uri="https://caf.example/backchannel-logout")


def open_session(aidant_client, rp, usager):
    code, verifier, _ = get_code(aidant_client, rp, usager)
    response = exchange(DjangoClient(), rp, code, verifier)
    assert response.status_code == 200, response.content
    id_token = response.json()["id_token"]
    return jwt.decode(id_token, KeySet.import_key_set(jwks()), algorithms=None)


def jwks():
    return DjangoClient().get("/oidc/jwks").json()


def validate_logout_token(raw: str, *, client_id: str, seen_jtis=()) -> dict:
    """The receiving service's checks, in the order of Back-Channel Logout 1.0
    §2.6 (a failing check raises)."""
    # 1-2. A signed JWT, verified against the provider's JWKS, never alg none.
    token = jwt.decode(
        raw, KeySet.import_key_set(jwks()), algorithms=["ES256", "RS256"]
    )
    assert token.header["alg"] in ("ES256", "RS256")
    assert token.header["typ"] == "logout+jwt"  # §2.4 explicit typing
    claims = token.claims
    # 3. iss, aud and iat as for an id_token (OIDC Core §3.1.3.7).
    assert claims["iss"] == ISSUER
    aud = claims["aud"]
    assert client_id == aud or (isinstance(aud, list) and client_id in aud)
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["exp"] > time.time()
    # 4. sub or sid (here both).
    assert claims.get("sub") and claims.get("sid")
    # 5. events has the back-channel logout member, a JSON object.
    assert claims["events"] == {EVENT: {}}
    assert isinstance(claims["events"][EVENT], dict)
    # 6. no nonce.
    assert "nonce" not in claims
    # 7. jti present and not seen before.
    assert claims["jti"] and claims["jti"] not in seen_jtis
    return claims


def test_discovery_advertises_backchannel_logout(db):
    data = DjangoClient().get("/.well-known/openid-configuration").json()
    assert data["backchannel_logout_supported"] is True
    assert data["backchannel_logout_session_supported"] is True


def test_revoking_the_demarche_queues_one_logout_per_open_session(
    aidant_client, bc_rp, usager_with_mandat
):
    open_session(aidant_client, bc_rp, usager_with_mandat)
    autorisation = usager_with_mandat.mandats.get().autorisations.get(demarche="social")
    revoke_autorisation(
        autorisation=autorisation,
        by_type=RevokedBy.USAGER,
        by_id=str(usager_with_mandat.uuid),
    )
    delivery = LogoutDelivery.objects.get()
    assert delivery.reason == "autorisation_revoked"
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.session.ended_at is not None
    # Ended once: nothing more is queued by a second ending.
    assert backchannel.end_expired_sessions() == 0
    assert LogoutDelivery.objects.count() == 1


def test_revoking_another_demarche_leaves_the_session_open(
    aidant_client, bc_rp, usager_with_mandat
):
    open_session(aidant_client, bc_rp, usager_with_mandat)
    other = usager_with_mandat.mandats.get().autorisations.get(demarche="papiers")
    revoke_autorisation(autorisation=other, by_type=RevokedBy.AIDANT, by_id="x")
    assert not LogoutDelivery.objects.exists()
    assert ServiceSession.objects.open().count() == 1


def test_a_failed_revocation_queues_nothing(aidant_client, bc_rp, usager_with_mandat):
    from django.db import transaction

    open_session(aidant_client, bc_rp, usager_with_mandat)
    mandat = usager_with_mandat.mandats.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        revoke_mandat(mandat=mandat, by_type=RevokedBy.USAGER, by_id="u")
        raise RuntimeError("the revocation's transaction rolls back")
    assert not LogoutDelivery.objects.exists()
    assert ServiceSession.objects.open().count() == 1


def test_service_without_logout_uri_gets_no_token(
    aidant_client, rp, usager_with_mandat
):
    open_session(aidant_client, rp, usager_with_mandat)
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    assert ServiceSession.objects.get().end_reason == "mandat_revoked"
    assert not LogoutDelivery.objects.exists()


def test_aidant_logout_suspension_and_expiry_end_sessions(
    client, aidant, aidant_client, bc_rp, usager_with_mandat, referent
):
    open_session(aidant_client, bc_rp, usager_with_mandat)
    aidant_client.post("/deconnexion/")
    assert LogoutDelivery.objects.get().reason == "aidant_logged_out"

    from tests.conftest import verified_client

    again = verified_client(DjangoClient(), aidant)
    open_session(again, bc_rp, usager_with_mandat)
    suspend_habilitation(
        habilitation=aidant.habilitations.get(), by=referent, reason="test"
    )
    assert LogoutDelivery.objects.filter(reason="habilitation_suspended").count() == 1

    mandat = MandatFactory(structure=aidant.current_structure, demarches=["famille"])
    session = ServiceSession.objects.create(
        sid="00000000-0000-4000-8000-000000000001",
        client=bc_rp,
        aidant=aidant,
        usager=mandat.usager,
        autorisation=mandat.autorisations.get(),
    )
    with time_machine.travel(mandat.expires_at + timedelta(seconds=1)):
        assert backchannel.end_expired_sessions() == 1
    assert LogoutDelivery.objects.get(session=session).reason == "mandat_expired"


def test_logout_token_passes_the_section_2_6_validation(
    aidant_client, bc_rp, usager_with_mandat
):
    id_claims = open_session(aidant_client, bc_rp, usager_with_mandat).claims
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    delivery = LogoutDelivery.objects.get()
    claims = validate_logout_token(
        backchannel.sign_logout_token(delivery), client_id=bc_rp.client_id
    )
    # The same session and the same pairwise subject as the id_token.
    assert claims["sid"] == id_claims["sid"]
    assert claims["sub"] == id_claims["sub"]
    assert claims["jti"] == delivery.jti


def test_logout_token_follows_the_client_algorithm(
    aidant_client, usager_with_mandat, db
):
    rs = make_rp(
        id_token_signed_response_alg="RS256",
        backchannel_logout_uri="https://caf.example/bc",
    )
    open_session(aidant_client, rs, usager_with_mandat)
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    raw = backchannel.sign_logout_token(LogoutDelivery.objects.get())
    header = json.loads(
        __import__("base64").urlsafe_b64decode(raw.split(".")[0] + "==")
    )
    assert header["alg"] == "RS256"
    validate_logout_token(raw, client_id=rs.client_id)


def test_forged_or_altered_token_fails_validation(
    aidant_client, bc_rp, usager_with_mandat
):
    open_session(aidant_client, bc_rp, usager_with_mandat)
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    raw = backchannel.sign_logout_token(LogoutDelivery.objects.get())
    head, payload, signature = raw.split(".")
    tampered = f"{head}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(Exception):  # noqa: B017 - any joserfc refusal
        validate_logout_token(tampered, client_id=bc_rp.client_id)
    with pytest.raises(AssertionError):
        validate_logout_token(raw, client_id="another-service")


def test_delivery_is_journaled_and_the_service_receives_a_valid_token(
    aidant_client, usager_with_mandat, db
):
    with LogoutReceiver() as receiver:
        rp = make_rp(backchannel_logout_uri=receiver.url)
        open_session(aidant_client, rp, usager_with_mandat)
        revoke_mandat(
            mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
        )
        call_command("send_backchannel_logouts", "--once")
    assert len(receiver.tokens) == 1
    validate_logout_token(receiver.tokens[0], client_id=rp.client_id)
    delivery = LogoutDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == "service_logout_delivered"
    assert entry.client_id == rp.client_id
    assert entry.details["sid"] == str(delivery.session.sid)
    assert "logout_token" not in json.dumps(entry.details)


def test_a_service_down_gets_the_logout_once_it_is_back(
    aidant_client, usager_with_mandat, settings, db
):
    settings.OIDC_BACKCHANNEL_RETRY_BASE_SECONDS = 10
    with LogoutReceiver(status=503) as receiver:
        rp = make_rp(backchannel_logout_uri=receiver.url)
        open_session(aidant_client, rp, usager_with_mandat)
        revoke_mandat(
            mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
        )
        backchannel.drain_once()
        delivery = LogoutDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 1 and delivery.last_error == "HTTP 503"
        failed = JournalEntry.objects.order_by("-seq").first()
        assert failed.action == "service_logout_failed"
        assert failed.details["attempt"] == 1
        # Not due yet: a second pass sends nothing (backoff).
        backchannel.drain_once()
        assert LogoutDelivery.objects.get().attempts == 1
        # Second failure doubles the wait (10 s, then 20 s).
        with time_machine.travel(timezone.now() + timedelta(seconds=11)):
            backchannel.drain_once()
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 15 < wait <= 31
        receiver.status = 200  # the service is back
        with time_machine.travel(timezone.now() + timedelta(seconds=40)):
            backchannel.drain_once()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert len(receiver.tokens) == 1


def test_unreachable_service_is_abandoned_after_max_attempts(
    aidant_client, usager_with_mandat, settings, db
):
    settings.OIDC_BACKCHANNEL_MAX_ATTEMPTS = 2
    settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS = 1
    # Nothing listens on this port: connection refused, fast.
    rp = make_rp(backchannel_logout_uri="http://127.0.0.1:9/backchannel")
    open_session(aidant_client, rp, usager_with_mandat)
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    backchannel.drain_once()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        backchannel.drain_once()
    delivery = LogoutDelivery.objects.get()
    assert delivery.status == DeliveryStatus.ABANDONED
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == "service_logout_failed"
    assert entry.details["abandoned"] is True
    assert entry.details["error"] == "ConnectionError"


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(
    aidant_client, bc_rp, usager_with_mandat
):
    open_session(aidant_client, bc_rp, usager_with_mandat)
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    first = backchannel.claim_batch()
    assert len(first) == 1
    assert backchannel.claim_batch() == []
    # A worker that died: its lease ends and another worker takes the row.
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert len(backchannel.claim_batch()) == 1
    # The first worker's late outcome is ignored (it lost the lease).
    assert backchannel.deliver(first[0]) is False


def _admin_form(**extra):
    data = {
        "name": "CNAV (test)",
        "redirect_uris": "https://cnav.example/cb",
        "post_logout_redirect_uris": "",
        "allowed_demarches": ["travail"],
        "id_token_signed_response_alg": "ES256",
        "token_endpoint_auth_method": "client_secret_basic",
        "profile": "standard",
        "active": "on",
    }
    data.update(extra)
    return data


def test_staff_registers_the_logout_uri_in_the_admin(staff_client):
    from oidc.models import Client

    uri = "https://cnav.example/backchannel?tenant=1"
    staff_client.post(
        "/admin/oidc/client/add/", _admin_form(backchannel_logout_uri=uri)
    )
    assert Client.objects.get(name="CNAV (test)").backchannel_logout_uri == uri


def test_a_logout_uri_with_a_fragment_is_refused(staff_client):
    from oidc.models import Client

    response = staff_client.post(
        "/admin/oidc/client/add/",
        _admin_form(backchannel_logout_uri="https://cnav.example/bc#x"),
    )
    assert response.status_code == 200
    assert "sans fragment" in response.content.decode()
    assert not Client.objects.filter(name="CNAV (test)").exists()


def test_set_backchannel_logout_uri_service(bc_rp):
    from oidc.services import set_backchannel_logout_uri

    set_backchannel_logout_uri(client=bc_rp, uri="  https://svc.example/bc  ")
    bc_rp.refresh_from_db()
    assert bc_rp.backchannel_logout_uri == "https://svc.example/bc"
    with pytest.raises(ValueError):
        set_backchannel_logout_uri(client=bc_rp, uri="ftp://svc.example/bc")
    set_backchannel_logout_uri(client=bc_rp, uri="")
    bc_rp.refresh_from_db()
    assert bc_rp.backchannel_logout_uri == ""


def test_a_plain_http_logout_uri_is_refused_outside_loopback(bc_rp):
    from oidc.services import set_backchannel_logout_uri

    with pytest.raises(ValueError, match="https"):
        set_backchannel_logout_uri(client=bc_rp, uri="http://svc.example/bc")
    set_backchannel_logout_uri(client=bc_rp, uri="http://127.0.0.1:8000/bc")
    bc_rp.refresh_from_db()
    assert bc_rp.backchannel_logout_uri == "http://127.0.0.1:8000/bc"


def test_purge_keeps_sessions_whose_logout_is_still_pending(
    aidant_client, bc_rp, rp, usager_with_mandat
):
    from oidc.services import purge_expired

    open_session(aidant_client, bc_rp, usager_with_mandat)
    open_session(aidant_client, rp, usager_with_mandat)
    revoke_mandat(
        mandat=usager_with_mandat.mandats.get(), by_type=RevokedBy.USAGER, by_id="u"
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        purge_expired()
    # The session without a logout URI is gone; the pending logout stays.
    assert list(ServiceSession.objects.values_list("client", flat=True)) == [bc_rp.pk]
    assert LogoutDelivery.objects.get().status == DeliveryStatus.PENDING
