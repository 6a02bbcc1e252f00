"""The identity a mandate signs is kept with it: another structure's wizard that
identifies the same usager and is abandoned changes nothing already signed."""

import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from mandats.models import Mandat, Usager
from mandats.signing import identity_snapshot, verify_mandat_signature
from mandats.verification import verify_public_id
from tests.conftest import verified_client
from tests.factories import MandatFactory
from tests.mandats.test_verification import signed
from tests.mandats.test_wizard import confirm, confirm_key, identify

IDENTITY = {
    "given_name": "Odette",
    "family_name": "ROUSSEL",
    "preferred_username": "",
    "birthdate": "1950-02-03",
    "gender": "female",
    "birthplace": "75107",
    "birthcountry": "99100",
    "email": "odette@exemple.fr",
}


@pytest.fixture
def mandat(aidant):
    return signed(aidant)


def _verify_mandate_command(public_id: str) -> int:
    try:
        call_command("verify_mandate", public_id)
    except SystemExit as exc:
        return exc.code
    return 0


def test_abandoned_identification_elsewhere_keeps_the_signed_mandate(
    aidant_client, other_structure_aidant, franceconnect, capsys
):
    sub = f"snapshot-{uuid.uuid4().hex[:8]}"
    franceconnect.set_identity({"sub": sub, **IDENTITY})
    identify(aidant_client, sub=sub)
    assert confirm(aidant_client, confirm_key(aidant_client)).status_code == 302
    mandat = Mandat.objects.get()
    assert aidant_client.get(f"/verifier/{mandat.public_id}").status_code == 200

    # Structure B's aidant identifies the same person (FranceConnect now gives a
    # married name and another e-mail), looks at the recap, and walks away.
    franceconnect.set_identity(
        {"sub": sub, **IDENTITY, "family_name": "LEROY", "email": "o@ailleurs.fr"}
    )
    attacker = verified_client(Client(), other_structure_aidant)
    assert identify(attacker, sub=sub).status_code == 302
    assert attacker.get("/mandats/nouveau/confirmation").status_code == 200
    assert Usager.objects.get(fc_sub=sub).family_name == "LEROY"

    page = Client().get(f"/verifier/{mandat.public_id}")
    assert page.status_code == 200
    assert "Mandat valide" in page.content.decode()
    assert verify_public_id(mandat.public_id).status == "valid"
    assert verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))
    assert _verify_mandate_command(mandat.public_id) == 0
    assert "Statut : valide" in capsys.readouterr().out


def test_snapshot_is_what_the_wizard_identified(aidant_client, franceconnect):
    sub = f"snapshot-{uuid.uuid4().hex[:8]}"
    franceconnect.set_identity({"sub": sub, **IDENTITY})
    identify(aidant_client, sub=sub)
    # The shared record changes between identification and confirmation.
    Usager.objects.filter(fc_sub=sub).update(family_name="AUTRE")
    confirm(aidant_client, confirm_key(aidant_client))
    mandat = Mandat.objects.get()
    assert mandat.usager_identity["family_name"] == "ROUSSEL"
    assert mandat.usager_identity["fc_sub"] == sub
    assert verify_mandat_signature(mandat)


def test_mandate_moved_to_another_usager_does_not_verify(client, mandat):
    other = MandatFactory().usager
    Mandat.objects.filter(pk=mandat.pk).update(usager=other)
    assert not verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))
    assert client.get(f"/verifier/{mandat.public_id}").status_code == 404


def test_tampered_snapshot_does_not_verify(client, mandat):
    snapshot = dict(mandat.usager_identity, given_name="Quelqu'un d'autre")
    Mandat.objects.filter(pk=mandat.pk).update(usager_identity=snapshot)
    assert not verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))
    assert client.get(f"/verifier/{mandat.public_id}").status_code == 404


def test_snapshot_matches_the_usager_at_creation(mandat):
    assert mandat.usager_identity == identity_snapshot(mandat.usager)
