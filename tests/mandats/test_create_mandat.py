from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import JournalEntry
from mandats import access
from mandats.exceptions import InvalidMandat, NotAllowed
from mandats.models import Autorisation, Mandat
from mandats.services import (
    create_mandat,
    identify_usager,
    renew_mandat,
    replaced_demarches,
    revoke_mandat,
)
from mandats.signing import verify_mandat_signature
from tests.factories import UsagerFactory

CONSENT = {
    "fc_auth_time": 1_700_000_000,
    "acr": "eidas1",
    "confirmed_by_usager_at": "2026-11-23T09:00:00Z",
    "confirmed_by_aidant_at": "2026-11-23T09:00:01Z",
}


def grant(aidant, usager, demarches=("social",), duration=365, **kw):
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager,
        demarches=list(demarches),
        duration_days=duration,
        consent=CONSENT,
        **kw,
    )


def test_create_mandat_signs_and_journals(aidant, assert_journaled):
    usager = UsagerFactory()
    mandat = grant(aidant, usager, ["social", "papiers"], 31)
    assert mandat.expires_at - mandat.created_at == timedelta(days=31)
    assert sorted(mandat.autorisations.values_list("demarche", flat=True)) == [
        "papiers",
        "social",
    ]
    assert mandat.signature.count(".") == 2 and mandat.signing_kid
    assert verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))
    entry = assert_journaled(
        "mandat_created", mandat_id=str(mandat.uuid), usager_id=str(usager.uuid)
    )
    assert entry.details["demarches"] == ["papiers", "social"]
    assert len(mandat.public_id) >= 22


@pytest.mark.parametrize("duration", [0, 2, 30, 366, 3650])
def test_other_durations_are_refused(aidant, duration):
    with pytest.raises(InvalidMandat, match="durée"):
        grant(aidant, UsagerFactory(), duration=duration)
    assert not Mandat.objects.exists()


def test_demarche_not_allowed_for_structure_is_refused(aidant, structure):
    structure.allowed_demarches = ["papiers"]
    structure.save()
    with pytest.raises(InvalidMandat):
        grant(aidant, UsagerFactory(), ["social"])
    with pytest.raises(InvalidMandat):
        grant(aidant, UsagerFactory(), [])
    assert not Mandat.objects.exists()


def test_aidant_without_habilitation_cannot_grant(aidant):
    aidant.habilitations.update(status="suspended")
    with pytest.raises(NotAllowed):
        grant(aidant, UsagerFactory())
    assert not Mandat.objects.exists()


def test_consent_of_both_is_required(aidant):
    with pytest.raises(InvalidMandat, match="confirmer"):
        create_mandat(
            aidant=aidant,
            structure=aidant.current_structure,
            usager=UsagerFactory(),
            demarches=["social"],
            duration_days=1,
            consent={"confirmed_by_usager_at": "x"},
        )


def test_new_grant_replaces_the_older_autorisation(aidant, usager_with_mandat):
    older = usager_with_mandat.mandats.get()
    assert replaced_demarches(
        usager=usager_with_mandat,
        structure=older.structure,
        demarches=["social", "argent"],
    ) == ["social"]
    newer = grant(aidant, usager_with_mandat, ["social", "argent"])
    replaced = older.autorisations.get(demarche="social")
    assert replaced.revoked_at is not None
    assert replaced.revocation_reason == "remplacée"
    assert older.autorisations.get(demarche="papiers").revoked_at is None
    revoked_entry = JournalEntry.objects.get(action="autorisation_revoked")
    assert revoked_entry.mandat_id == str(older.uuid)
    assert revoked_entry.details["replaced_by"] == str(newer.uuid)
    live = Autorisation.objects.live().filter(usager=usager_with_mandat)
    assert sorted(live.values_list("demarche", flat=True)) == [
        "argent",
        "papiers",
        "social",
    ]
    decision = access.can_act(
        aidant=aidant,
        usager=usager_with_mandat,
        demarche="social",
        structure=older.structure,
        session_verified=True,
    )
    assert decision.autorisation.mandat == newer


def test_expired_autorisation_is_replaced_too(aidant, usager_with_mandat):
    older = usager_with_mandat.mandats.get()
    Mandat.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=400),
        expires_at=timezone.now() - timedelta(days=35),
    )
    grant(aidant, usager_with_mandat, ["social"])
    assert older.autorisations.get(demarche="social").revoked_at is not None


def test_creation_key_makes_a_double_submit_create_one_mandate(aidant):
    usager = UsagerFactory()
    first = grant(aidant, usager, creation_key="k1")
    second = grant(aidant, usager, creation_key="k1")
    assert first == second
    assert Mandat.objects.count() == 1
    assert JournalEntry.objects.filter(action="mandat_created").count() == 1


def test_identify_usager_creates_then_updates(aidant, assert_journaled):
    identity = {
        "sub": "abc",
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "birthdate": "1962-08-24",
        "gender": "female",
        "birthplace": "75107",
        "birthcountry": "99100",
        "email": "angela@exemple.test",
        "preferred_username": "",
    }
    usager = identify_usager(identity=identity, issuer="http://fc", actor=aidant)
    assert_journaled("usager_identified", actor_id=str(aidant.uuid))
    again = identify_usager(
        identity={**identity, "email": "new@exemple.test"}, issuer="http://fc"
    )
    assert again.pk == usager.pk and again.email == "new@exemple.test"
    entry = assert_journaled("usager_identified", actor_type="usager")
    assert entry.details["updated"] == ["email"]


def test_renewal_is_a_new_signed_grant(aidant, usager_with_mandat, assert_journaled):
    older = usager_with_mandat.mandats.get()
    newer = renew_mandat(
        mandat=older,
        aidant=aidant,
        structure=older.structure,
        usager=usager_with_mandat,
        demarches=["social", "papiers"],
        duration_days=182,
        consent=CONSENT,
    )
    assert newer.renewed_from == older and newer.pk != older.pk
    assert verify_mandat_signature(newer)
    assert_journaled("mandat_renewed", mandat_id=str(newer.uuid))
    assert not older.autorisations.filter(revoked_at__isnull=True).exists()


def test_revoked_mandate_cannot_be_renewed(aidant, usager_with_mandat):
    older = usager_with_mandat.mandats.get()
    revoke_mandat(mandat=older, by_type="aidant", by_id=str(aidant.uuid))
    with pytest.raises(InvalidMandat, match="révoqué"):
        renew_mandat(
            mandat=older,
            aidant=aidant,
            structure=older.structure,
            usager=usager_with_mandat,
            demarches=["social"],
            duration_days=31,
            consent=CONSENT,
        )
    assert Mandat.objects.count() == 1


def test_renewal_for_someone_else_is_refused(aidant, usager_with_mandat):
    older = usager_with_mandat.mandats.get()
    with pytest.raises(InvalidMandat, match="FranceConnect"):
        renew_mandat(
            mandat=older,
            aidant=aidant,
            structure=older.structure,
            usager=UsagerFactory(),
            demarches=["social"],
            duration_days=31,
            consent=CONSENT,
        )
