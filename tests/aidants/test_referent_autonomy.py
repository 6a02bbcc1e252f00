from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aidants import access
from aidants.exceptions import InvalidTransition, NotAllowed
from aidants.models import Habilitation, HabilitationStatus
from aidants.services.habilitations import (
    reactivate_habilitation,
    set_habilitation_end_date,
)
from tests.factories import HabilitationFactory

pytestmark = pytest.mark.django_db


def suspended(structure):
    return HabilitationFactory(
        structure=structure, status=HabilitationStatus.SUSPENDED, reason="Congé"
    )


def test_referent_reactivates_a_suspended_aidant(
    referent_client, structure, assert_journaled
):
    hab = suspended(structure)
    url = reverse("aidants:referent-habilitation-reactivate", args=[hab.uuid])
    assert "Êtes-vous sûr" in referent_client.get(url).content.decode()
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.SUSPENDED
    referent_client.post(url, {"confirm": "on"})
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.ACTIVE
    assert_journaled("habilitation_reactivated", actor_type="aidant")


def test_other_structure_referent_cannot_reactivate(other_referent, structure):
    hab = suspended(structure)
    with pytest.raises(NotAllowed):
        reactivate_habilitation(habilitation=hab, by=other_referent)


def test_other_structure_habilitation_is_not_found(referent_client, other_structure):
    hab = suspended(other_structure)
    url = reverse("aidants:referent-habilitation-reactivate", args=[hab.uuid])
    assert referent_client.post(url, {"confirm": "on"}).status_code == 404
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.SUSPENDED


def test_only_a_suspended_habilitation_is_reactivated(referent, aidant):
    hab = Habilitation.objects.get(aidant=aidant)
    with pytest.raises(InvalidTransition):
        reactivate_habilitation(habilitation=hab, by=referent)


def test_an_expired_habilitation_is_not_reactivated(referent, structure):
    hab = suspended(structure)
    Habilitation.objects.filter(pk=hab.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(InvalidTransition):
        reactivate_habilitation(habilitation=hab, by=referent)


def test_referent_sets_and_removes_the_end_date(
    referent_client, aidant, assert_journaled
):
    hab = Habilitation.objects.get(aidant=aidant)
    url = reverse("aidants:referent-habilitation-end-date", args=[hab.uuid])
    referent_client.post(url, {"valid_until": "2099-03-31"})
    hab.refresh_from_db()
    assert str(hab.valid_until) == "2099-03-31"
    assert_journaled("habilitation_end_date_set")
    referent_client.post(url, {"valid_until": ""})
    hab.refresh_from_db()
    assert hab.valid_until is None


def test_end_date_in_the_past_is_refused(referent, aidant):
    hab = Habilitation.objects.get(aidant=aidant)
    with pytest.raises(InvalidTransition):
        set_habilitation_end_date(
            habilitation=hab,
            by=referent,
            valid_until=timezone.localdate() - timedelta(days=1),
        )


def test_referent_cannot_change_their_own_end_date(referent_client, referent):
    hab = Habilitation.objects.get(aidant=referent)
    url = reverse("aidants:referent-habilitation-end-date", args=[hab.uuid])
    assert referent_client.post(url, {"valid_until": ""}).status_code == 403


def test_after_the_end_date_the_aidant_can_neither_log_in_nor_act(
    referent, aidant, aidant_client
):
    hab = Habilitation.objects.get(aidant=aidant)
    end = timezone.localdate() + timedelta(days=2)
    set_habilitation_end_date(habilitation=hab, by=referent, valid_until=end)
    assert access.has_active_habilitation(aidant, hab.structure)
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert not access.has_active_habilitation(aidant, hab.structure)
        assert not access.can_log_in(aidant)
        # The session has also aged out by then: refused either way, never served.
        response = aidant_client.get(reverse("mandats:usager-list"))
        assert response.status_code in (302, 403)


def test_aidant_history_shows_actions_about_them(referent_client, structure):
    hab = suspended(structure)
    url = reverse("aidants:referent-habilitation-reactivate", args=[hab.uuid])
    referent_client.post(url, {"confirm": "on"})
    detail = reverse("aidants:referent-aidant", args=[hab.uuid])
    page = referent_client.get(detail).content.decode()
    assert "Habilitation réactivée" in page
