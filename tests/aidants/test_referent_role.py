"""One rule for roles: a member is a référent only while that référent
habilitation is active and unexpired. Each state is driven through the pages,
as the (suspended, revoked, expired) référent would, from a session opened
while the role was still valid."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aidants import access
from aidants.models import Aidant, Habilitation, HabilitationStatus
from audit import Action
from audit.models import JournalEntry
from tests.aidants.test_login import is_logged_in, password_login
from tests.conftest import _member, verified_client

STATES = ["active", "suspended", "revoked", "expired"]
INVITE = {
    "email": "intrus@relais.test",
    "first_name": "Ines",
    "last_name": "Intruse",
    "profession": "Secrétaire",
}


def put_in_state(referent, structure, state):
    hab = Habilitation.objects.get(aidant=referent, structure=structure)
    if state == "expired":
        # Active status, but valid_until is past.
        hab.valid_until = timezone.localdate() - timedelta(days=1)
    elif state != "active":
        # Straight in the database: the role flag stays set, the rule must hold.
        hab.status = state
    hab.save()
    assert hab.is_referent


@pytest.fixture
def co_referent(structure):
    return _member(structure, referent=True, first_name="Corinne")


def attempts(client, co_referent):
    """What a référent does: the space, an invitation, the journal export,
    revoking another référent."""
    co_hab = Habilitation.objects.get(aidant=co_referent)
    revoke_url = reverse(
        "aidants:referent-habilitation-revoke",
        kwargs={"habilitation_uuid": co_hab.uuid},
    )
    return {
        "home": client.get(reverse("aidants:referent-home")),
        "invite": client.post(reverse("aidants:referent-invite"), INVITE),
        "export": client.get(reverse("aidants:journal-export") + "?format=csv"),
        "revoke": client.post(revoke_url, {"reason": "Je reprends la main"}),
    }


@pytest.mark.parametrize("state", STATES)
def test_referent_powers_follow_the_habilitation_state(
    client, referent, co_referent, structure, state
):
    verified_client(client, referent)
    put_in_state(referent, structure, state)
    count = JournalEntry.objects.count()

    responses = attempts(client, co_referent)

    co_hab = Habilitation.objects.get(aidant=co_referent)
    if state == "active":
        assert access.is_referent(referent, structure)
        assert responses["home"].status_code == 200
        assert responses["invite"].status_code == 302
        assert responses["export"].status_code == 200
        b"".join(responses["export"].streaming_content)
        assert responses["revoke"].status_code == 302
        assert co_hab.status == HabilitationStatus.REVOKED
        return
    assert not access.is_referent(referent, structure)
    for name, response in responses.items():
        assert response.status_code == 403, name
    assert co_hab.status == HabilitationStatus.ACTIVE
    assert not Aidant.objects.filter(email=INVITE["email"]).exists()
    refusals = JournalEntry.objects.filter(seq__gt=count)
    assert refusals.count() == 4
    for entry in refusals:
        assert entry.action == Action.ACCESS_DENIED
        assert entry.actor_id == str(referent.uuid)
        assert entry.structure_id == str(structure.uuid)
        assert entry.details["reason"] == "not_referent"


@pytest.mark.parametrize("state", ["suspended", "revoked", "expired"])
def test_a_referent_without_a_live_habilitation_cannot_log_in(
    client, referent, structure, state, assert_journaled
):
    put_in_state(referent, structure, state)
    response = password_login(client, referent)
    assert response.status_code == 200
    assert not is_logged_in(client)
    assert_journaled(Action.LOGIN_REFUSED, actor_id=str(referent.uuid))


@pytest.mark.parametrize("state", STATES)
def test_the_home_page_offers_the_referent_space_only_while_active(
    client, referent, structure, state
):
    verified_client(client, referent)
    put_in_state(referent, structure, state)
    page = client.get(reverse("aidants:home")).content.decode()
    assert (reverse("aidants:referent-home") in page) == (state == "active")


def test_a_referent_habilitation_requested_again_gives_no_power(referent, structure):
    Habilitation.objects.filter(aidant=referent).update(
        status=HabilitationStatus.REQUESTED
    )
    assert not access.is_referent(referent, structure)
    assert not access.can_manage_structure(referent, structure)
