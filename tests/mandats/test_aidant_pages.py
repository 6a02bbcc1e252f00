"""Aidant pages: usagers, mandates, revocation, expiring mandates."""

import html
from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import JournalEntry
from mandats.models import Mandat
from mandats.services import revoke_autorisation, revoke_mandat
from tests.conftest import verified_client
from tests.factories import MandatFactory, UsagerFactory


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def mandat(usager_with_mandat):
    return usager_with_mandat.mandats.get()


def _expired(structure, **kw):
    past = timezone.now() - timedelta(days=40)
    return MandatFactory(structure=structure, duration_days=31, created_at=past, **kw)


def pages(mandat):
    autorisation = mandat.autorisations.first()
    return [
        "/usagers/",
        f"/usagers/{mandat.usager.uuid}/",
        f"/mandats/{mandat.uuid}/",
        f"/mandats/{mandat.uuid}/revoquer/",
        f"/autorisations/{autorisation.uuid}/revoquer/",
        "/mandats/expirant-bientot/",
        f"/mandats/{mandat.uuid}/attestation/",
        f"/mandats/{mandat.uuid}/attestation.pdf",
        f"/mandats/{mandat.uuid}/attestation-revocation/",
    ]


def test_anonymous_is_sent_to_login(client, mandat):
    for url in pages(mandat):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/connexion" in response["Location"], url


def test_unverified_session_is_sent_to_otp(client, aidant, mandat):
    client.force_login(aidant)
    for url in pages(mandat):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/connexion/code/?next="), url


def test_aidant_without_active_habilitation_is_refused(client, aidant, mandat):
    aidant.habilitations.update(status="suspended")
    client = verified_client(client, aidant)
    for url in pages(mandat):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/mandats/{mandat.uuid}/revoquer/", {"reason": "end"})
    assert response.status_code == 403
    mandat.refresh_from_db()
    assert mandat.revoked_at is None


def test_other_structure_gets_404_everywhere(client, other_structure_aidant, mandat):
    client = verified_client(client, other_structure_aidant)
    for url in pages(mandat)[1:5] + pages(mandat)[6:]:
        assert client.get(url).status_code == 404, url
    response = client.post(f"/mandats/{mandat.uuid}/revoquer/", {"reason": "end"})
    assert response.status_code == 404
    autorisation = mandat.autorisations.first()
    response = client.post(
        f"/autorisations/{autorisation.uuid}/revoquer/", {"reason": "end"}
    )
    assert response.status_code == 404
    mandat.refresh_from_db()
    assert mandat.revoked_at is None
    assert not mandat.autorisations.filter(revoked_at__isnull=False).exists()
    listing = client.get("/usagers/")
    assert "Dubois" not in text(listing)


def test_usager_list_shows_the_structure_usagers_with_renewals(
    aidant_client, aidant, mandat, other_structure
):
    structure = aidant.current_structure
    expired = _expired(structure, usager__family_name="Expirée")
    revoked = MandatFactory(structure=structure, usager__family_name="Révoquée")
    revoke_mandat(mandat=revoked, by_type="aidant", by_id=str(aidant.uuid))
    theirs = MandatFactory(structure=other_structure, usager__family_name="Ailleurs")
    response = aidant_client.get("/usagers/")
    page = text(response)
    assert "Dubois" in page and "Angela Claire Louise" in page
    assert "Expirée" in page and "Révoquée" in page
    assert theirs.usager.family_name not in page
    markup = response.content.decode()
    # An expired mandate is renewed (new identification, new consent); a
    # revoked one never is: a new grant starts instead.
    assert f'href="/mandats/{expired.uuid}/renouveler/"' in markup
    assert f"/mandats/{revoked.uuid}/renouveler/" not in markup
    assert f"/mandats/{mandat.uuid}/renouveler/" not in markup
    assert markup.count("Renouveler<span") == 2


def test_expired_usager_is_found_by_search_with_the_renewal_action(
    aidant_client, aidant, mandat
):
    expired = _expired(
        aidant.current_structure,
        usager__family_name="Lefebvre",
        usager__given_name="Odette",
    )
    response = aidant_client.get("/usagers/", {"q": "lefebvre"})
    assert "Odette" in text(response) and "Dubois" not in text(response)
    assert "Expiré" in text(response)
    renew = f"/mandats/{expired.uuid}/renouveler/"
    assert f'href="{renew}"' in response.content.decode()
    assert aidant_client.get(renew).status_code == 200


def test_usager_search_by_name_and_birthdate(aidant_client, aidant, mandat):
    structure = aidant.current_structure
    MandatFactory(
        structure=structure,
        usager__family_name="Martin",
        usager__given_name="Jean-Pierre",
        usager__birthdate=date(1948, 3, 12),
    )
    page = text(aidant_client.get("/usagers/", {"q": "martin"}))
    assert "Martin" in page and "Dubois" not in page
    page = text(aidant_client.get("/usagers/", {"q": "12/03/1948"}))
    assert "Martin" in page and "Dubois" not in page
    page = text(aidant_client.get("/usagers/", {"q": "personne"}))
    assert "Aucune personne" in page
    response = aidant_client.get("/usagers/", {"q": "x" * 500})
    assert response.status_code == 200
    assert "trop longue" in text(response)


def test_usager_list_is_paginated(aidant_client, aidant):
    for _ in range(27):
        MandatFactory(structure=aidant.current_structure)
    first = aidant_client.get("/usagers/")
    page = first.context["page"]
    assert len(page) == 25 and page.has_next and not page.has_previous
    assert "Page suivante" in text(first) and "Page précédente" not in text(first)
    second = aidant_client.get("/usagers/", {"after": page.after})
    assert second.status_code == 200 and len(second.context["page"]) == 2
    assert "Page précédente" in text(second) and "Page suivante" not in text(second)
    back = aidant_client.get("/usagers/", {"before": second.context["page"].before})
    assert [u.pk for u in back.context["page"]] == [u.pk for u in page]
    # A malformed cursor is the first page, never an error.
    assert aidant_client.get("/usagers/", {"after": "abc"}).status_code == 200
    # The next-page link keeps the search.
    searched = aidant_client.get("/usagers/", {"q": "Dubois"})
    after = searched.context["page"].after
    assert f'href="?q=Dubois&amp;after={after}"' in searched.content.decode()


def test_usager_detail_lists_every_mandate_with_status(aidant_client, aidant, mandat):
    structure = aidant.current_structure
    old = _expired(structure, usager=mandat.usager, demarches=["logement"])
    revoked = MandatFactory(
        structure=structure, usager=mandat.usager, demarches=["argent"]
    )
    revoke_mandat(mandat=revoked, by_type="aidant", by_id=str(aidant.uuid))
    page = text(aidant_client.get(f"/usagers/{mandat.usager.uuid}/"))
    for item in (mandat, old, revoked):
        assert str(item.uuid) in page
    assert 'data-status="live"' in page
    assert 'data-status="expired"' in page
    assert 'data-status="revoked"' in page


def test_mandat_detail_offers_actions_by_status(aidant_client, aidant, mandat):
    page = text(aidant_client.get(f"/mandats/{mandat.uuid}/"))
    assert 'id="renew"' in page and 'id="revoke"' in page
    assert "Social - Santé" in page and "CAF, CPAM" in page
    assert 'id="revocation-attestation"' not in page

    expired = _expired(aidant.current_structure)
    page = text(aidant_client.get(f"/mandats/{expired.uuid}/"))
    assert 'id="renew"' in page and 'id="revoke"' not in page

    revoke_mandat(mandat=mandat, by_type="aidant", by_id=str(aidant.uuid))
    page = text(aidant_client.get(f"/mandats/{mandat.uuid}/"))
    assert 'id="renew"' not in page and 'id="revoke"' not in page
    assert 'id="revocation-attestation"' in page
    assert "/revoquer/" not in page


def test_revoke_whole_mandate(aidant_client, aidant, mandat, assert_journaled):
    url = f"/mandats/{mandat.uuid}/revoquer/"
    page = aidant_client.get(url)
    assert page.status_code == 200
    assert "tout le mandat" in text(page) and 'name="reason"' in text(page)
    mandat.refresh_from_db()
    assert mandat.revoked_at is None

    response = aidant_client.post(url, {})
    assert response.status_code == 200 and "Choisissez un motif" in text(response)
    response = aidant_client.post(url, {"reason": "free text about the person"})
    assert response.status_code == 200
    mandat.refresh_from_db()
    assert mandat.revoked_at is None

    response = aidant_client.post(url, {"reason": "usager"})
    assert response.status_code == 302
    assert response["Location"] == f"/mandats/{mandat.uuid}/"
    mandat.refresh_from_db()
    assert mandat.revoked_at is not None and mandat.revoked_by_type == "aidant"
    assert mandat.revoked_by_id == str(aidant.uuid)
    assert not mandat.autorisations.filter(revoked_at__isnull=True).exists()
    entry = assert_journaled("mandat_revoked", mandat_id=str(mandat.uuid))
    assert entry.actor_id == str(aidant.uuid)
    assert entry.details["reason"] == "À la demande de la personne"
    follow = text(aidant_client.get(response["Location"]))
    assert "Le mandat est révoqué" in follow
    assert 'id="revocation-attestation"' in follow


def test_revoke_one_demarche(aidant_client, aidant, mandat, assert_journaled):
    social = mandat.autorisations.get(demarche="social")
    url = f"/autorisations/{social.uuid}/revoquer/"
    assert "Social - Santé" in text(aidant_client.get(url))
    response = aidant_client.post(url, {"reason": "end"})
    assert response.status_code == 302
    social.refresh_from_db()
    mandat.refresh_from_db()
    assert social.revoked_at is not None and mandat.revoked_at is None
    assert mandat.autorisations.get(demarche="papiers").revoked_at is None
    assert_journaled("autorisation_revoked", demarche="social")


def test_revoked_or_expired_cannot_be_revoked_again(aidant_client, aidant, mandat):
    social = mandat.autorisations.get(demarche="social")
    revoke_autorisation(autorisation=social, by_type="aidant", by_id="x")
    url = f"/autorisations/{social.uuid}/revoquer/"
    before = JournalEntry.objects.count()
    assert aidant_client.get(url).status_code == 403
    assert aidant_client.post(url, {"reason": "end"}).status_code == 403

    expired = _expired(aidant.current_structure)
    url = f"/mandats/{expired.uuid}/revoquer/"
    response = aidant_client.post(url, {"reason": "end"})
    assert response.status_code == 403 and "expiré" in text(response)
    expired.refresh_from_db()
    assert expired.revoked_at is None

    revoke_mandat(mandat=mandat, by_type="aidant", by_id="x")
    before = JournalEntry.objects.count()
    url = f"/mandats/{mandat.uuid}/revoquer/"
    assert aidant_client.post(url, {"reason": "end"}).status_code == 403
    assert JournalEntry.objects.count() == before


def test_expiring_lists_live_mandates_ending_within_30_days(
    aidant_client, aidant, other_structure
):
    structure = aidant.current_structure
    now = timezone.now()
    soon = MandatFactory(
        structure=structure, duration_days=31, created_at=now - timedelta(days=20)
    )
    later = MandatFactory(structure=structure, duration_days=365)
    expired = _expired(structure)
    revoked = MandatFactory(
        structure=structure, duration_days=31, created_at=now - timedelta(days=20)
    )
    revoke_mandat(mandat=revoked, by_type="aidant", by_id="x")
    theirs = MandatFactory(
        structure=other_structure,
        duration_days=31,
        created_at=now - timedelta(days=20),
    )
    page = text(aidant_client.get("/mandats/expirant-bientot/"))
    assert str(soon.uuid) in page
    for absent in (later, expired, revoked, theirs):
        assert str(absent.uuid) not in page
    assert f"/mandats/{soon.uuid}/renouveler/" in page


def test_unknown_uuid_is_404(aidant_client):
    import uuid

    assert aidant_client.get(f"/mandats/{uuid.uuid4()}/").status_code == 404
    assert aidant_client.get(f"/usagers/{uuid.uuid4()}/").status_code == 404


def test_purged_usager_is_not_listed(aidant_client, aidant, mandat):
    usager = mandat.usager
    usager.purged_at = timezone.now()
    usager.save()
    assert aidant_client.get(f"/usagers/{usager.uuid}/").status_code == 404
    assert "Dubois" not in text(aidant_client.get("/usagers/"))
    assert Mandat.objects.filter(usager=usager).exists()


def test_usager_without_mandate_here_is_404(aidant_client):
    stranger = UsagerFactory()
    assert aidant_client.get(f"/usagers/{stranger.uuid}/").status_code == 404


def test_expiring_joins_the_live_demarches_as_prose(aidant_client, aidant):
    soon = MandatFactory(
        structure=aidant.current_structure,
        duration_days=31,
        created_at=timezone.now() - timedelta(days=20),
        demarches=["logement", "social", "papiers"],
    )
    papiers = soon.autorisations.get(demarche="papiers")
    revoke_autorisation(autorisation=papiers, by_type="aidant", by_id="x")
    page = text(aidant_client.get("/mandats/expirant-bientot/"))
    assert "<td>Logement et Social - Santé</td>" in page
    assert "Papiers" not in page
    assert "Mandats expirant dans les 30 jours" in page
