"""The creation wizard, end to end through the FranceConnect sandbox over HTTP."""

import html
import re

import pytest

from audit.models import JournalEntry
from mandats.models import Autorisation, Mandat, Usager
from mandats.signing import verify_mandat_signature
from tests.conftest import verified_client
from tests.factories import MandatFactory
from tests.fc_sandbox import callback_path, closed_port_issuer, fc_login

NEW = "/mandats/nouveau/"
RECAP = "/mandats/nouveau/confirmation"


def text(response):
    return html.unescape(response.content.decode())


def choose(client, demarches=("social", "papiers"), duration="31"):
    return client.post(NEW, {"demarches": list(demarches), "duration_days": duration})


def identify(client, sub="demo-angela-dubois", **choice):
    response = choose(client, **choice)
    assert response.status_code == 302, response.content[:300]
    params = fc_login(response["Location"], sub=sub)
    return client.get(callback_path(params))


def confirm_key(client):
    page = client.get(RECAP)
    assert page.status_code == 200
    return re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)


def confirm(client, key):
    return client.post(
        RECAP, {"key": key, "confirm_usager": "on", "confirm_aidant": "on"}
    )


def test_choice_page_offers_only_the_structure_demarches(aidant_client, structure):
    structure.allowed_demarches = ["social", "argent"]
    structure.save()
    page = aidant_client.get(NEW).content.decode()
    assert 'value="social"' in page and 'value="argent"' in page
    assert 'value="papiers"' not in page
    assert "12 mois" in page and "1 jour" in page and "6 mois" in page
    response = choose(aidant_client, ["papiers"])
    assert response.status_code == 200
    assert "pas proposée par votre structure" in response.content.decode()


@pytest.mark.parametrize("duration", ["30", "730", "abc", ""])
def test_duration_not_in_the_list_is_refused(aidant_client, franceconnect, duration):
    response = choose(aidant_client, duration=duration)
    assert response.status_code == 200
    assert "durée" in response.content.decode()
    assert "mandat_wizard" not in aidant_client.session


def test_happy_path_creates_a_signed_mandate(
    aidant_client, aidant, franceconnect, assert_journaled
):
    response = identify(aidant_client)
    assert response.status_code == 302 and response["Location"] == RECAP
    usager = Usager.objects.get(fc_sub="demo-angela-dubois")
    assert usager.fc_issuer == franceconnect.issuer
    assert usager.birthplace == "75107" and usager.gender == "female"
    assert JournalEntry.objects.filter(
        action="usager_identified", usager_id=str(usager.uuid)
    ).exists()

    page = aidant_client.get(RECAP).content.decode()
    assert "Angela Claire Louise DUBOIS" in page
    assert "Social - Santé" in page and "CAF, CPAM" in page
    assert "1 mois" in page and aidant.current_structure.name in page
    assert 'id="replaced"' not in page

    response = confirm(aidant_client, confirm_key(aidant_client))
    mandat = Mandat.objects.get()
    assert response.status_code == 302
    assert str(mandat.uuid) in response["Location"]
    assert mandat.usager == usager and mandat.created_by == aidant
    assert mandat.duration_days == 31
    assert mandat.demarches() == ["papiers", "social"]
    assert mandat.consent["confirmed_by_usager_at"]
    assert mandat.consent["fc_issuer"] == franceconnect.issuer
    assert verify_mandat_signature(mandat)
    assert_journaled("mandat_created", mandat_id=str(mandat.uuid))
    assert "mandat_wizard" not in aidant_client.session
    assert aidant_client.get(response["Location"]).status_code == 200


def test_both_confirmations_are_required(aidant_client, franceconnect):
    identify(aidant_client)
    key = confirm_key(aidant_client)
    response = aidant_client.post(RECAP, {"key": "echo", "confirm_usager": "on"})
    assert response.status_code == 200
    assert "Votre confirmation est nécessaire" in response.content.decode()
    assert f'name="key" value="{key}"' in response.content.decode()
    assert not Mandat.objects.exists()
    assert confirm(aidant_client, key).status_code == 302
    assert Mandat.objects.count() == 1


def test_double_submit_creates_one_mandate(aidant_client, franceconnect):
    identify(aidant_client)
    key = confirm_key(aidant_client)
    first = confirm(aidant_client, key)
    second = confirm(aidant_client, key)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Mandat.objects.count() == 1
    assert JournalEntry.objects.filter(action="mandat_created").count() == 1


def test_forged_key_creates_nothing(aidant_client, franceconnect):
    identify(aidant_client)
    confirm_key(aidant_client)
    response = confirm(aidant_client, "forged")
    assert response.status_code == 400
    assert not Mandat.objects.exists()


def test_replacement_of_an_older_autorisation(aidant_client, aidant, franceconnect):
    identify(aidant_client, demarches=["social"])
    usager = Usager.objects.get(fc_sub="demo-angela-dubois")
    older = MandatFactory(
        usager=usager, structure=aidant.current_structure, demarches=["social"]
    )
    page = aidant_client.get(RECAP).content.decode()
    assert 'id="replaced"' in page and "Social - Santé" in page
    confirm(aidant_client, confirm_key(aidant_client))
    replaced = older.autorisations.get()
    assert replaced.revoked_at is not None
    assert replaced.revocation_reason == "remplacée"
    assert Autorisation.objects.live().filter(usager=usager).count() == 1
    assert JournalEntry.objects.filter(
        action="autorisation_revoked", mandat_id=str(older.uuid)
    ).exists()


def test_cancel_at_franceconnect(aidant_client, franceconnect):
    response = choose(aidant_client)
    params = fc_login(response["Location"], deny=True)
    page = aidant_client.get(callback_path(params))
    assert page.status_code == 400
    assert "annulée" in page.content.decode()
    assert "Aucun mandat n'a été créé" in text(page)
    assert not Usager.objects.exists() and not Mandat.objects.exists()
    assert "mandat_wizard" not in aidant_client.session


def test_bad_state(aidant_client, franceconnect):
    response = choose(aidant_client)
    params = fc_login(response["Location"], sub="demo-angela-dubois")
    path = callback_path(params).replace(params["state"], "forged-state")
    page = aidant_client.get(path)
    assert page.status_code == 400
    assert "ne correspond pas" in page.content.decode()
    assert not Usager.objects.exists()
    # The flow is gone: the genuine callback no longer works either.
    assert aidant_client.get(callback_path(params)).status_code == 400
    assert aidant_client.get(RECAP).status_code == 400


def test_sandbox_down(aidant_client, settings):
    settings.FC_ISSUER = closed_port_issuer()
    response = choose(aidant_client)
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in response.content.decode()
    assert not Mandat.objects.exists()


def test_recap_without_identification_is_refused(aidant_client):
    assert aidant_client.get(RECAP).status_code == 400
    assert confirm(aidant_client, "x").status_code == 400
    assert not Mandat.objects.exists()


def test_structure_switched_mid_flow_creates_nothing(
    aidant_client, aidant, franceconnect, other_structure
):
    from tests.factories import HabilitationFactory

    identify(aidant_client)
    key = confirm_key(aidant_client)
    HabilitationFactory(aidant=aidant, structure=other_structure)
    aidant.current_structure = other_structure
    aidant.save()
    assert confirm(aidant_client, key).status_code == 400
    assert not Mandat.objects.exists()


def test_anonymous_and_unverified_are_sent_to_login(client, aidant):
    response = client.get(NEW)
    assert response.status_code == 302 and "/connexion" in response["Location"]
    client.force_login(aidant)
    response = client.get(NEW)
    assert response.status_code == 302 and "next=" in response["Location"]
    assert client.post(RECAP, {"key": "x"}).status_code == 302


def test_aidant_without_habilitation_is_refused(client, aidant):
    aidant.habilitations.update(status="suspended")
    assert verified_client(client, aidant).get(NEW).status_code == 403


def test_renewal_flow(aidant_client, aidant, franceconnect, assert_journaled):
    identify(aidant_client)
    confirm(aidant_client, confirm_key(aidant_client))
    older = Mandat.objects.get()
    page = aidant_client.get(f"/mandats/{older.uuid}/renouveler/")
    assert page.status_code == 200 and "Renouveler" in page.content.decode()
    response = aidant_client.post(
        f"/mandats/{older.uuid}/renouveler/",
        {"demarches": ["social"], "duration_days": "365"},
    )
    params = fc_login(response["Location"], sub="demo-angela-dubois")
    aidant_client.get(callback_path(params))
    confirm(aidant_client, confirm_key(aidant_client))
    newer = Mandat.objects.exclude(pk=older.pk).get()
    assert newer.renewed_from == older and newer.duration_days == 365
    assert_journaled("mandat_renewed", mandat_id=str(newer.uuid))


def test_renewal_with_another_person_creates_nothing(
    aidant_client, aidant, franceconnect
):
    older = MandatFactory(structure=aidant.current_structure, created_by=aidant)
    response = aidant_client.post(
        f"/mandats/{older.uuid}/renouveler/",
        {"demarches": ["social"], "duration_days": "31"},
    )
    params = fc_login(response["Location"], sub="demo-jean-pierre-martin")
    page = aidant_client.get(callback_path(params))
    assert page.status_code == 400
    assert "n'est pas celle" in text(page)
    assert Mandat.objects.count() == 1
    assert not Usager.objects.filter(fc_sub="demo-jean-pierre-martin").exists()


def test_revoked_mandate_cannot_be_renewed(aidant_client, aidant):
    from mandats.services import revoke_mandat

    older = MandatFactory(structure=aidant.current_structure)
    revoke_mandat(mandat=older, by_type="aidant", by_id=str(aidant.uuid))
    assert aidant_client.get(f"/mandats/{older.uuid}/renouveler/").status_code == 403


def test_other_structure_mandate_is_404(aidant_client, other_structure):
    theirs = MandatFactory(structure=other_structure)
    assert aidant_client.get(f"/mandats/{theirs.uuid}/renouveler/").status_code == 404
    assert aidant_client.get(f"/mandats/nouveau/cree/{theirs.uuid}/").status_code == 404
