import pytest
from django.urls import reverse

from aidants.models import CarteTOTP, Habilitation, HabilitationStatus, TOTPDevice
from aidants.services.cards import register_card
from audit import Action
from audit.models import JournalEntry
from tests.conftest import verified_client
from tests.factories import (
    TOTP_SECRET_B32,
    AidantFactory,
    HabilitationFactory,
)

CARD_SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

# (url name, kind of object in the URL)
VIEWS = [
    ("aidants:referent-home", None),
    ("aidants:referent-invite", None),
    ("aidants:referent-demarches", None),
    ("aidants:referent-aidant", "hab"),
    ("aidants:referent-habilitation-request", "hab"),
    ("aidants:referent-habilitation-suspend", "hab"),
    ("aidants:referent-habilitation-revoke", "hab"),
    ("aidants:referent-designate", "hab"),
    ("aidants:referent-card-register", "hab"),
    ("aidants:referent-enrolment-link", "hab"),
    ("aidants:referent-app-lost", "hab"),
    ("aidants:referent-card-unlink", "card"),
]
OBJECT_VIEWS = [view for view in VIEWS if view[1]]
POST_DATA = {
    "reason": "lost",
    "serial": "SN-NEW",
    "seed": CARD_SEED,
    "step": "30",
    "demarches": ["social"],
    "email": "new@relais.test",
    "first_name": "Nina",
    "last_name": "Nouvelle",
    "profession": "Secrétaire de mairie",
}


@pytest.fixture
def card(aidant, referent, structure):
    return register_card(
        structure=structure,
        by=referent,
        aidant=aidant,
        serial="SN-0001",
        seed=CARD_SEED,
    )


def assert_refused(actor, reason=None):
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == Action.ACCESS_DENIED
    assert entry.actor_id == str(actor.uuid)
    if reason:
        assert entry.details["reason"] == reason


def url_for(name, kind, aidant, card):
    if kind == "hab":
        hab = Habilitation.objects.get(aidant=aidant)
        return reverse(name, kwargs={"habilitation_uuid": hab.uuid})
    if kind == "card":
        return reverse(name, kwargs={"card_uuid": card.uuid})
    return reverse(name)


def snapshot(aidant, structure):
    hab = Habilitation.objects.get(aidant=aidant)
    structure.refresh_from_db()
    return (
        hab.status,
        hab.is_referent,
        structure.allowed_demarches,
        # Refusals are journaled (ACCESS_DENIED); nothing else may be.
        JournalEntry.objects.exclude(action=Action.ACCESS_DENIED).count(),
        TOTPDevice.objects.filter(user=aidant).count(),
        CarteTOTP.objects.filter(unlinked_at__isnull=True).count(),
    )


@pytest.mark.parametrize(("name", "kind"), VIEWS)
def test_anonymous_is_sent_to_login(client, name, kind, aidant, card, structure):
    url = url_for(name, kind, aidant, card)
    before = snapshot(aidant, structure)
    for response in (client.get(url), client.post(url, POST_DATA)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("aidants:login"))
    assert snapshot(aidant, structure) == before


@pytest.mark.parametrize(("name", "kind"), VIEWS)
def test_unverified_referent_is_sent_to_otp(
    client, name, kind, referent, aidant, card, structure
):
    client.force_login(referent)
    url = url_for(name, kind, aidant, card)
    before = snapshot(aidant, structure)
    for response in (client.get(url), client.post(url, POST_DATA)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("aidants:otp"))
    assert snapshot(aidant, structure) == before


@pytest.mark.parametrize(("name", "kind"), OBJECT_VIEWS)
def test_referent_of_another_structure_gets_404(
    client, name, kind, other_referent, aidant, card, structure
):
    verified_client(client, other_referent)
    url = url_for(name, kind, aidant, card)
    before = snapshot(aidant, structure)
    assert client.get(url).status_code == 404
    if name != "aidants:referent-aidant":  # GET only: a POST is a 405 there
        assert client.post(url, POST_DATA).status_code == 404
    assert snapshot(aidant, structure) == before
    assert_refused(other_referent)


def test_referent_of_another_structure_sees_only_their_aidants(
    client, other_referent, aidant
):
    response = verified_client(client, other_referent).get(
        reverse("aidants:referent-home")
    )
    assert response.status_code == 200
    assert aidant.email not in response.content.decode()
    assert other_referent.email in response.content.decode()


@pytest.mark.parametrize(("name", "kind"), VIEWS)
def test_plain_aidant_gets_403(client, name, kind, aidant, card, structure):
    verified_client(client, aidant)
    url = url_for(name, kind, aidant, card)
    before = snapshot(aidant, structure)
    assert client.get(url).status_code == 403
    assert client.post(url, POST_DATA).status_code == 403  # before the 405
    assert snapshot(aidant, structure) == before
    assert_refused(aidant, reason="not_referent")


def test_list_shows_status_and_devices_but_never_a_seed(referent_client, aidant, card):
    response = referent_client.get(reverse("aidants:referent-home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert aidant.email in page
    assert "fr-badge--success" in page  # active habilitation
    assert "SN-0001" in page
    assert "Application" in page
    device = card.device
    for secret in (CARD_SEED, TOTP_SECRET_B32, device.key):
        assert secret not in page


def test_list_is_paginated_by_25(referent_client, structure):
    for _ in range(30):
        HabilitationFactory(structure=structure, aidant=AidantFactory(last_name="Z"))
    first = referent_client.get(reverse("aidants:referent-home"))
    second = referent_client.get(reverse("aidants:referent-home") + "?page=2")
    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 6
    assert referent_client.get("/referent/?page=abc").status_code == 200


def test_detail_page_shows_the_aidant(referent_client, aidant, card):
    hab = Habilitation.objects.get(aidant=aidant)
    response = referent_client.get(
        reverse("aidants:referent-aidant", kwargs={"habilitation_uuid": hab.uuid})
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert aidant.email in page and "SN-0001" in page
    assert CARD_SEED not in page and card.device.key not in page


def _hab_url(name, aidant):
    hab = Habilitation.objects.get(aidant=aidant)
    return reverse(name, kwargs={"habilitation_uuid": hab.uuid})


def test_suspend_asks_then_suspends_with_reason(
    referent_client, referent, aidant, assert_journaled
):
    url = _hab_url("aidants:referent-habilitation-suspend", aidant)
    page = referent_client.get(url).content.decode()
    assert "Êtes-vous sûr" in page
    assert Habilitation.objects.get(aidant=aidant).status == HabilitationStatus.ACTIVE

    response = referent_client.post(url, {"reason": "Congé longue durée"})
    assert response.status_code == 302
    hab = Habilitation.objects.get(aidant=aidant)
    assert hab.status == HabilitationStatus.SUSPENDED
    assert hab.reason == "Congé longue durée"
    assert_journaled(Action.HABILITATION_SUSPENDED, actor_id=str(referent.uuid))


def test_suspend_without_reason_changes_nothing(referent_client, aidant):
    url = _hab_url("aidants:referent-habilitation-suspend", aidant)
    count = JournalEntry.objects.count()
    response = referent_client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "Indiquez le motif" in response.content.decode()
    assert Habilitation.objects.get(aidant=aidant).status == HabilitationStatus.ACTIVE
    assert JournalEntry.objects.count() == count


def test_revoke_revokes(referent_client, aidant, assert_journaled):
    url = _hab_url("aidants:referent-habilitation-revoke", aidant)
    assert "Êtes-vous sûr" in referent_client.get(url).content.decode()
    referent_client.post(url, {"reason": "Départ de la structure"})
    assert Habilitation.objects.get(aidant=aidant).status == HabilitationStatus.REVOKED
    assert_journaled(Action.HABILITATION_REVOKED)


def test_request_habilitation_of_a_suspended_aidant(
    referent_client, aidant, assert_journaled
):
    Habilitation.objects.filter(aidant=aidant).update(
        status=HabilitationStatus.SUSPENDED
    )
    url = _hab_url("aidants:referent-habilitation-request", aidant)
    assert "Êtes-vous sûr" in referent_client.get(url).content.decode()
    referent_client.post(url)
    assert (
        Habilitation.objects.get(aidant=aidant).status == HabilitationStatus.REQUESTED
    )
    assert_journaled(Action.HABILITATION_REQUESTED)


def test_service_refusal_shows_a_french_message_and_changes_nothing(
    referent_client, aidant
):
    url = _hab_url("aidants:referent-habilitation-request", aidant)
    count = JournalEntry.objects.count()
    response = referent_client.post(url, follow=True)
    assert "Cette habilitation est déjà active." in response.content.decode()
    assert Habilitation.objects.get(aidant=aidant).status == HabilitationStatus.ACTIVE
    assert JournalEntry.objects.count() == count


def test_designate_co_referent(referent_client, aidant, assert_journaled):
    url = _hab_url("aidants:referent-designate", aidant)
    assert "Êtes-vous sûr" in referent_client.get(url).content.decode()
    referent_client.post(url)
    assert Habilitation.objects.get(aidant=aidant).is_referent
    assert_journaled(Action.REFERENT_DESIGNATED)


def test_referent_cannot_suspend_themselves(referent_client, referent):
    url = _hab_url("aidants:referent-habilitation-suspend", referent)
    response = referent_client.post(url, {"reason": "x"})
    assert response.status_code == 403
    assert Habilitation.objects.get(aidant=referent).status == HabilitationStatus.ACTIVE


def test_malformed_uuid_is_a_404(referent_client):
    assert referent_client.get("/referent/aidants/not-a-uuid/").status_code == 404
