import pytest
from django.db import IntegrityError, transaction

from audit.models import JournalEntry
from mandats import access
from mandats.exceptions import AlreadyRevoked
from mandats.models import Autorisation, Mandat, Usager
from mandats.services import (
    authorize_use,
    revoke_autorisation,
    revoke_mandat,
)
from tests.factories import AutorisationFactory, MandatFactory


@pytest.fixture
def mandat(usager_with_mandat):
    return usager_with_mandat.mandats.get()


def use(aidant, usager, demarche="social", verified=True):
    return authorize_use(
        aidant=aidant,
        usager=usager,
        demarche=demarche,
        structure=aidant.current_structure,
        session_verified=verified,
        client_id="caf-en-ligne",
    )


def test_allowed_use_is_journaled(aidant, mandat, assert_journaled):
    decision = use(aidant, mandat.usager)
    assert decision.allowed
    entry = assert_journaled(
        "mandat_used",
        actor_type="aidant",
        actor_id=str(aidant.uuid),
        structure_id=str(mandat.structure.uuid),
        usager_id=str(mandat.usager.uuid),
        mandat_id=str(mandat.uuid),
        demarche="social",
        client_id="caf-en-ligne",
    )
    assert entry.details["autorisation"] == str(decision.autorisation.uuid)


def test_denied_use_is_journaled_with_reason(aidant, mandat, assert_journaled):
    decision = use(aidant, mandat.usager, "argent")
    assert not decision.allowed
    entry = assert_journaled(
        "access_denied", usager_id=str(mandat.usager.uuid), demarche="argent"
    )
    assert entry.details["reason"] == access.DEMARCHE_NOT_COVERED


def test_unverified_session_is_denied_and_journaled(aidant, mandat, assert_journaled):
    assert use(aidant, mandat.usager, verified=False).reason == (
        access.SESSION_NOT_VERIFIED
    )
    assert_journaled("access_denied", details={"reason": "session_not_verified"})


def test_the_decision_alone_journals_nothing(aidant, mandat):
    before = JournalEntry.objects.count()
    decision = access.can_act(
        aidant=aidant,
        usager=mandat.usager,
        demarche="social",
        structure=aidant.current_structure,
        session_verified=True,
    )
    assert decision.allowed
    assert JournalEntry.objects.count() == before


def test_revoke_mandat_revokes_its_autorisations(aidant, mandat, assert_journaled):
    revoke_mandat(mandat=mandat, by_type="aidant", by_id=str(aidant.uuid), actor=aidant)
    mandat.refresh_from_db()
    assert mandat.status() == "revoked" and not mandat.is_live()
    assert mandat.revoked_by_type == "aidant"
    assert not mandat.autorisations.filter(revoked_at__isnull=True).exists()
    assert_journaled("mandat_revoked", mandat_id=str(mandat.uuid))


def test_revoking_twice_raises_and_changes_nothing(aidant, mandat):
    revoke_mandat(mandat=mandat, by_type="usager", by_id=str(mandat.usager.uuid))
    first = Mandat.objects.get(pk=mandat.pk).revoked_at
    count = JournalEntry.objects.count()
    with pytest.raises(AlreadyRevoked, match="déjà révoqué"):
        revoke_mandat(mandat=mandat, by_type="aidant", by_id=str(aidant.uuid))
    assert Mandat.objects.get(pk=mandat.pk).revoked_at == first
    assert JournalEntry.objects.count() == count


def test_revoke_autorisation_twice_raises(aidant, mandat, assert_journaled):
    social = mandat.autorisations.get(demarche="social")
    revoke_autorisation(autorisation=social, by_type="referent", by_id=str(aidant.uuid))
    assert_journaled(
        "autorisation_revoked", demarche="social", actor_id=str(aidant.uuid)
    )
    with pytest.raises(AlreadyRevoked):
        revoke_autorisation(autorisation=social, by_type="usager", by_id="x")


def test_autorisation_of_a_revoked_mandate_cannot_be_revoked(aidant, mandat):
    revoke_mandat(mandat=mandat, by_type="system", by_id="")
    with pytest.raises(AlreadyRevoked):
        revoke_autorisation(
            autorisation=mandat.autorisations.first(), by_type="usager", by_id="x"
        )


def test_database_refuses_two_unrevoked_autorisations(mandat):
    with pytest.raises(IntegrityError), transaction.atomic():
        AutorisationFactory(
            mandat=MandatFactory(
                usager=mandat.usager, structure=mandat.structure, demarches=[]
            ),
            demarche="social",
        )


def test_database_refuses_other_durations(mandat):
    with pytest.raises(IntegrityError), transaction.atomic():
        Mandat.objects.filter(pk=mandat.pk).update(duration_days=30)


def test_pick_list_and_search(aidant, mandat, other_structure):
    MandatFactory(structure=other_structure)
    MandatFactory(structure=mandat.structure, demarches=["argent"])
    structure = mandat.structure
    assert list(Usager.objects.with_live_autorisations(structure, ["social"])) == [
        mandat.usager
    ]
    assert Usager.objects.with_live_autorisations(structure).count() == 2
    born = mandat.usager.birthdate.strftime("%d/%m/%Y")
    found = Usager.objects.with_live_autorisations(structure).search(f"dub {born}")
    assert list(found) == [mandat.usager]
    assert not Usager.objects.search("Zoé").exists()
    assert mandat.usager.initials() == "A. D."
    assert Autorisation.objects.live().for_structure(structure).count() == 3
