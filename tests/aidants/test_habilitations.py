from datetime import timedelta

import pytest
from django.utils import timezone

from aidants.exceptions import InvalidTransition, NotAllowed
from aidants.models import Habilitation, HabilitationStatus
from aidants.services import habilitations as svc
from audit import Action
from tests.factories import HabilitationFactory


@pytest.fixture
def requested(structure):
    return HabilitationFactory(structure=structure, status=HabilitationStatus.REQUESTED)


def test_only_staff_activates(requested, referent, staff, assert_journaled):
    with pytest.raises(NotAllowed):
        svc.activate_habilitation(habilitation=requested, by=referent)
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REQUESTED

    svc.activate_habilitation(habilitation=requested, by=staff)
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.ACTIVE
    assert requested.decided_by == staff
    assert_journaled(
        Action.HABILITATION_ACTIVATED,
        actor_type="staff",
        structure_id=str(requested.structure.uuid),
    )


def test_referent_suspends_and_revokes_in_own_structure(
    referent, aidant, assert_journaled
):
    hab = Habilitation.objects.get(aidant=aidant)
    svc.suspend_habilitation(habilitation=hab, by=referent, reason="congé")
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.SUSPENDED
    assert_journaled(Action.HABILITATION_SUSPENDED, actor_id=str(referent.uuid))

    svc.revoke_habilitation(habilitation=hab, by=referent, reason="départ")
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.REVOKED
    assert_journaled(Action.HABILITATION_REVOKED)


def test_referent_of_another_structure_changes_nothing(other_referent, aidant):
    hab = Habilitation.objects.get(aidant=aidant)
    for change in (svc.suspend_habilitation, svc.revoke_habilitation):
        with pytest.raises(NotAllowed):
            change(habilitation=hab, by=other_referent, reason="x")
    with pytest.raises(NotAllowed):
        svc.request_habilitation(habilitation=hab, by=other_referent)
    with pytest.raises(NotAllowed):
        svc.designate_referent(habilitation=hab, by=other_referent)
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.ACTIVE
    assert not hab.is_referent


def test_referent_requests_after_suspension(referent, aidant, assert_journaled):
    hab = Habilitation.objects.get(aidant=aidant)
    svc.suspend_habilitation(habilitation=hab, by=referent, reason="congé")
    svc.request_habilitation(habilitation=hab, by=referent)
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.REQUESTED
    assert hab.requested_by == referent
    assert_journaled(Action.HABILITATION_REQUESTED)


def test_past_valid_until_counts_as_inactive(aidant):
    hab = Habilitation.objects.get(aidant=aidant)
    assert hab.is_active()
    hab.valid_until = timezone.localdate() - timedelta(days=1)
    hab.save()
    assert not hab.is_active()
    assert not Habilitation.objects.filter(pk=hab.pk).active().exists()


def test_staff_refuses_a_request_with_reason(requested, staff, assert_journaled):
    svc.refuse_habilitation(
        habilitation=requested, by=staff, reason="pièces manquantes"
    )
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REVOKED
    assert requested.reason == "pièces manquantes"
    assert_journaled(Action.HABILITATION_REFUSED)
    with pytest.raises(InvalidTransition):
        svc.refuse_habilitation(habilitation=requested, by=staff, reason="encore")


def test_revoked_cannot_be_activated_directly(requested, staff, referent):
    requested.status = HabilitationStatus.REVOKED
    requested.save()
    with pytest.raises(InvalidTransition):
        svc.activate_habilitation(habilitation=requested, by=staff)


def test_referent_designates_co_referent(referent, aidant, assert_journaled):
    hab = Habilitation.objects.get(aidant=aidant)
    svc.designate_referent(habilitation=hab, by=referent)
    hab.refresh_from_db()
    assert hab.is_referent
    assert_journaled(Action.REFERENT_DESIGNATED)


def test_referent_changes_nothing_of_their_own_habilitation_even_without_the_page(
    referent,
):
    # The rule lives in the services (aidants.access.can_change_habilitation):
    # a caller other than the référent's page is refused too.
    own = Habilitation.objects.get(aidant=referent)
    for change, extra in (
        (svc.suspend_habilitation, {"reason": "x"}),
        (svc.revoke_habilitation, {"reason": "x"}),
        (svc.set_habilitation_end_date, {"valid_until": None}),
        (svc.request_habilitation, {}),
    ):
        with pytest.raises(NotAllowed):
            change(habilitation=own, by=referent, **extra)
    own.refresh_from_db()
    assert own.status == HabilitationStatus.ACTIVE
    assert own.valid_until is None
