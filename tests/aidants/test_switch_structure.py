import uuid

import pytest
from django.urls import reverse

from aidants.exceptions import NotAllowed
from aidants.models import HabilitationStatus
from aidants.services.login import switch_structure
from audit.actions import Action
from audit.models import JournalEntry
from tests.factories import HabilitationFactory, StructureFactory

SWITCH_URL = reverse("aidants:switch-structure")


@pytest.fixture
def second_structure(aidant):
    structure = StructureFactory(name="CCAS de Berck")
    HabilitationFactory(aidant=aidant, structure=structure)
    return structure


def test_switch_to_another_own_structure_is_journaled(
    aidant_client, aidant, structure, second_structure, assert_journaled
):
    response = aidant_client.post(SWITCH_URL, {"structure": second_structure.uuid})
    assert response.status_code == 302
    assert response.url == reverse("aidants:home")
    aidant.refresh_from_db()
    assert aidant.current_structure == second_structure
    entry = assert_journaled(
        Action.STRUCTURE_SWITCHED,
        actor_id=str(aidant.uuid),
        structure_id=str(second_structure.uuid),
    )
    assert entry.details["from"] == str(structure.uuid)
    home = aidant_client.get(reverse("aidants:home")).content.decode()
    assert "CCAS de Berck" in home


def test_switch_form_is_offered_to_a_multi_structure_aidant(
    aidant_client, second_structure
):
    content = aidant_client.get(reverse("aidants:account")).content.decode()
    assert f'value="{second_structure.uuid}"' in content
    assert SWITCH_URL in content


def test_other_structure_is_404_and_changes_nothing(
    aidant_client, aidant, structure, other_structure
):
    before = JournalEntry.objects.count()
    response = aidant_client.post(SWITCH_URL, {"structure": other_structure.uuid})
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    aidant.refresh_from_db()
    assert aidant.current_structure == structure
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize("value", ["pas-un-uuid", "", str(uuid.uuid4())])
def test_bad_or_unknown_structure_is_404(aidant_client, aidant, structure, value):
    response = aidant_client.post(SWITCH_URL, {"structure": value})
    assert response.status_code == 404
    aidant.refresh_from_db()
    assert aidant.current_structure == structure


def test_suspended_membership_is_403_and_changes_nothing(
    aidant_client, aidant, structure, second_structure
):
    aidant.habilitations.filter(structure=second_structure).update(
        status=HabilitationStatus.SUSPENDED
    )
    before = JournalEntry.objects.count()
    response = aidant_client.post(SWITCH_URL, {"structure": second_structure.uuid})
    assert response.status_code == 403
    assert "Vous ne pouvez pas agir pour cette structure." in response.content.decode()
    aidant.refresh_from_db()
    assert aidant.current_structure == structure
    assert JournalEntry.objects.count() == before


def test_switch_needs_post(aidant_client, second_structure):
    response = aidant_client.get(SWITCH_URL, {"structure": second_structure.uuid})
    assert response.status_code == 405


def test_switch_needs_a_verified_login(client, aidant, second_structure):
    response = client.post(SWITCH_URL, {"structure": second_structure.uuid})
    assert response.status_code == 302
    client.force_login(aidant)
    response = client.post(SWITCH_URL, {"structure": second_structure.uuid})
    assert response.url.startswith(reverse("aidants:otp"))
    aidant.refresh_from_db()
    assert aidant.current_structure != second_structure


def test_switch_follows_a_safe_next_only(aidant_client, second_structure):
    response = aidant_client.post(
        SWITCH_URL, {"structure": second_structure.uuid, "next": "/compte/"}
    )
    assert response.url == "/compte/"
    response = aidant_client.post(
        SWITCH_URL,
        {"structure": second_structure.uuid, "next": "https://evil.example/"},
    )
    assert response.url == reverse("aidants:home")


def test_service_refuses_a_structure_outside_usable_ones(aidant, other_structure):
    with pytest.raises(NotAllowed):
        switch_structure(aidant=aidant, structure=other_structure)
    aidant.refresh_from_db()
    assert aidant.current_structure != other_structure
