from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from aidants.models import HabilitationStatus
from mandats import access
from mandats.models import Autorisation
from mandats.services import revoke_autorisation, revoke_mandat
from tests.factories import (
    AidantFactory,
    HabilitationFactory,
    MandatFactory,
    UsagerFactory,
)


@pytest.fixture
def mandat(usager_with_mandat):
    return usager_with_mandat.mandats.get()


def decide(
    aidant, usager, demarche="social", *, structure=None, verified=True, at=None
):
    return access.can_act(
        aidant=aidant,
        usager=usager,
        demarche=demarche,
        structure=structure or aidant.current_structure,
        session_verified=verified,
        at=at,
    )


def test_live_autorisation_allows(aidant, mandat):
    decision = decide(aidant, mandat.usager)
    assert decision.allowed and decision.reason == access.OK
    assert decision.autorisation.mandat == mandat
    assert decision.autorisation.demarche == "social"


def test_any_aidant_of_the_structure_may_use_the_mandate(structure, mandat):
    colleague = AidantFactory(current_structure=structure)
    HabilitationFactory(aidant=colleague, structure=structure)
    assert decide(colleague, mandat.usager).allowed


@pytest.mark.parametrize(
    "status", [HabilitationStatus.SUSPENDED, HabilitationStatus.REVOKED, "requested"]
)
def test_inactive_habilitation_denies(aidant, mandat, status):
    aidant.habilitations.update(status=status)
    decision = decide(aidant, mandat.usager)
    assert not decision.allowed
    assert decision.reason == access.NO_ACTIVE_HABILITATION
    assert decision.autorisation is None


def test_expired_habilitation_denies(aidant, mandat):
    aidant.habilitations.update(valid_until=timezone.localdate() - timedelta(days=1))
    assert decide(aidant, mandat.usager).reason == access.NO_ACTIVE_HABILITATION


def test_inactive_structure_denies(aidant, mandat, structure):
    structure.active = False
    structure.save()
    assert decide(aidant, mandat.usager).reason == access.NO_ACTIVE_HABILITATION


def test_no_structure_denies(aidant, mandat):
    decision = access.can_act(
        aidant=aidant,
        usager=mandat.usager,
        demarche="social",
        structure=None,
        session_verified=True,
    )
    assert decision.reason == access.NO_ACTIVE_HABILITATION


def test_aidant_of_another_structure_acting_there_has_no_habilitation(
    aidant, mandat, other_structure
):
    decision = decide(aidant, mandat.usager, structure=other_structure)
    assert decision.reason == access.NO_ACTIVE_HABILITATION


def test_unverified_session_denies(aidant, mandat):
    decision = decide(aidant, mandat.usager, verified=False)
    assert decision.reason == access.SESSION_NOT_VERIFIED
    assert "code" in decision.message


def test_demarche_restricted_by_structure_denies(aidant, mandat, structure):
    structure.allowed_demarches = ["papiers"]
    structure.save()
    decision = decide(aidant, mandat.usager, "social")
    assert decision.reason == access.DEMARCHE_NOT_ALLOWED_FOR_STRUCTURE
    assert decide(aidant, mandat.usager, "papiers").allowed


def test_unknown_demarche_denies(aidant, mandat):
    decision = decide(aidant, mandat.usager, "n'importe-quoi")
    assert decision.reason == access.DEMARCHE_NOT_ALLOWED_FOR_STRUCTURE


def test_demarche_outside_the_mandate_is_not_covered(aidant, mandat):
    decision = decide(aidant, mandat.usager, "argent")
    assert decision.reason == access.DEMARCHE_NOT_COVERED


def test_expired_mandate_denies(aidant, mandat):
    decision = decide(aidant, mandat.usager, at=mandat.expires_at)
    assert decision.reason == access.MANDAT_EXPIRED
    just_before = mandat.expires_at - timedelta(seconds=1)
    assert decide(aidant, mandat.usager, at=just_before).allowed


def test_expired_mandate_denies_now(aidant, mandat):
    with time_machine.travel(mandat.expires_at + timedelta(minutes=1)):
        assert decide(aidant, mandat.usager).reason == access.MANDAT_EXPIRED


def test_revoked_mandate_denies(aidant, mandat):
    revoke_mandat(mandat=mandat, by_type="aidant", by_id=str(aidant.uuid))
    decision = decide(aidant, mandat.usager)
    assert decision.reason == access.MANDAT_REVOKED
    assert decision.message == "Le mandat pour cette démarche a été révoqué."


def test_revoked_autorisation_denies_only_its_demarche(aidant, mandat):
    social = mandat.autorisations.get(demarche="social")
    revoke_autorisation(autorisation=social, by_type="usager", by_id="x")
    assert decide(aidant, mandat.usager, "social").reason == (
        access.AUTORISATION_REVOKED
    )
    assert decide(aidant, mandat.usager, "papiers").allowed


def test_usager_without_any_mandate(aidant):
    usager = UsagerFactory()
    assert decide(aidant, usager).reason == access.NO_MANDAT


def test_mandate_held_by_another_structure(aidant, other_structure):
    theirs = MandatFactory(structure=other_structure)
    decision = decide(aidant, theirs.usager)
    assert decision.reason == access.NOT_IN_STRUCTURE
    assert not decision


def test_newer_live_autorisation_wins_over_a_replaced_one(aidant, mandat):
    older = mandat.autorisations.get(demarche="social")
    Autorisation.objects.filter(pk=older.pk).update(
        revoked_at=timezone.now(), revoked_by_type="system"
    )
    newer = MandatFactory(
        usager=mandat.usager, structure=mandat.structure, demarches=["social"]
    )
    decision = decide(aidant, mandat.usager)
    assert decision.allowed and decision.autorisation.mandat == newer


def test_purged_usager_is_never_acted_for(aidant, mandat):
    mandat.usager.purged_at = timezone.now()
    mandat.usager.save()
    assert decide(aidant, mandat.usager).reason == access.NO_MANDAT


def test_every_reason_has_a_french_message():
    for reason, message in access.MESSAGES.items():
        assert access.Decision(allowed=False, reason=reason).message == str(message)


def test_expired_mandate_may_be_renewed_by_its_own_usager(mandat):
    identity = (mandat.usager.fc_issuer, mandat.usager.fc_sub)
    with time_machine.travel(mandat.expires_at + timedelta(days=1)):
        assert access.can_renew(mandat=mandat, identified_as=identity).allowed


def test_revoked_mandate_is_never_renewed(mandat):
    mandat.revoked_at = timezone.now()
    decision = access.can_renew(mandat=mandat)
    assert not decision.allowed
    assert decision.reason == access.RENEWAL_OF_REVOKED
    assert decision.message == "Un mandat révoqué ne peut pas être renouvelé."


def test_renewal_for_someone_else_is_refused(mandat):
    other = UsagerFactory()
    decision = access.can_renew(
        mandat=mandat, identified_as=(other.fc_issuer, other.fc_sub)
    )
    assert not decision.allowed
    assert decision.reason == access.RENEWAL_OF_ANOTHER_USAGER
