"""The usager space, logged in through the FranceConnect sandbox over HTTP."""

import html

import pytest
from django.utils import timezone

import audit
from audit.models import JournalEntry
from mandats.services import create_mandat, revoke_mandat
from mandats.usager_session import SESSION_KEY
from tests.factories import MandatFactory, UsagerFactory
from tests.fc_sandbox import callback_path, closed_port_issuer, fc_login
from tests.oidc.conftest import make_rp

SPACE = "/mon-espace/"


def text(response):
    return html.unescape(response.content.decode())


def usager_for(franceconnect, sub, **kw):
    return UsagerFactory(fc_issuer=franceconnect.issuer, fc_sub=sub, **kw)


def log_in(client, sub):
    response = client.post("/mon-espace/connexion")
    assert response.status_code == 302, response.content[:300]
    return client.get(callback_path(fc_login(response["Location"], sub=sub)))


def signed(aidant, usager, demarches=("social", "papiers")):
    now = timezone.now().isoformat()
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager,
        demarches=list(demarches),
        duration_days=365,
        consent={"confirmed_by_usager_at": now, "confirmed_by_aidant_at": now},
    )


@pytest.fixture
def angela(db, franceconnect):
    return usager_for(
        franceconnect, "demo-angela-dubois", given_name="Angela", family_name="Dubois"
    )


@pytest.fixture
def jean(db, franceconnect):
    return usager_for(
        franceconnect,
        "demo-jean-pierre-martin",
        given_name="Jean",
        family_name="Martin",
    )


def test_login_shows_every_mandate_and_every_use(
    client, franceconnect, angela, aidant, other_structure, assert_journaled
):
    live = signed(aidant, angela)
    revoked = MandatFactory(
        usager=angela, structure=other_structure, demarches=["argent"]
    )
    revoke_mandat(mandat=revoked, by_type="aidant", by_id="x")
    audit.record(
        audit.Action.MANDAT_USED,
        actor=aidant,
        structure=aidant.current_structure,
        usager=angela,
        mandat=live,
        demarche="social",
        client="relais-demo-caf",
    )
    assert "FranceConnect" in text(client.get(SPACE))
    response = log_in(client, "demo-angela-dubois")
    assert response.status_code == 302 and response["Location"] == SPACE
    assert_journaled(
        "usager_logged_in", usager_id=str(angela.uuid), actor_type="usager"
    )
    page = text(client.get(SPACE))
    assert "Bonjour Angela Dubois" in page
    assert str(live.uuid) in page and str(revoked.uuid) in page
    assert 'data-status="live"' in page and 'data-status="revoked"' in page
    uses = page.split('id="uses"')[1]
    assert aidant.current_structure.name in uses
    assert aidant.first_name in uses and aidant.last_name not in uses
    assert "Social - Santé" in uses and "relais-demo-caf" in uses


def test_a_registered_online_service_is_listed_by_its_name(
    client, franceconnect, angela, aidant
):
    """oidc gives mandats its lookup (mandats.online_services); a service no
    longer registered keeps its client id."""
    service = make_rp(name="Mon espace CAF (test)")
    live = signed(aidant, angela)
    for client_id in (service.client_id, "service-disparu"):
        audit.record(
            audit.Action.MANDAT_USED,
            actor=aidant,
            structure=aidant.current_structure,
            usager=angela,
            mandat=live,
            demarche="social",
            client=client_id,
        )
    log_in(client, "demo-angela-dubois")
    uses = text(client.get(SPACE)).split('id="uses"')[1]
    assert "Mon espace CAF (test)" in uses and service.client_id not in uses
    assert "service-disparu" in uses


def test_usage_names_are_resolved_without_a_query_per_row(
    client, franceconnect, angela, aidant, django_assert_max_num_queries
):
    live = signed(aidant, angela)
    for _ in range(15):
        audit.record(
            audit.Action.MANDAT_USED,
            actor=aidant,
            structure=aidant.current_structure,
            usager=angela,
            mandat=live,
            demarche="social",
            client="svc",
        )
    log_in(client, "demo-angela-dubois")
    with django_assert_max_num_queries(20):
        page = text(client.get(SPACE))
    assert page.count(aidant.first_name) >= 15


def test_a_usager_only_sees_their_own_data(client, franceconnect, angela, jean, aidant):
    theirs = signed(aidant, jean, demarches=["logement"])
    mine = signed(aidant, angela)
    log_in(client, "demo-angela-dubois")
    page = text(client.get(SPACE))
    assert str(mine.uuid) in page and str(theirs.uuid) not in page
    assert "Martin" not in page
    other_autorisation = theirs.autorisations.get()
    for url in (
        f"/mon-espace/mandats/{theirs.uuid}/revoquer/",
        f"/mon-espace/autorisations/{other_autorisation.uuid}/revoquer/",
        f"/mon-espace/mandats/{theirs.uuid}/attestation/",
        f"/mon-espace/mandats/{theirs.uuid}/attestation.pdf",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert (
        other_autorisation.__class__.objects.get(pk=other_autorisation.pk).revoked_at
        is None
    )


def test_usager_revokes_a_demarche_then_the_mandate(
    client, franceconnect, angela, aidant, assert_journaled
):
    mandat = signed(aidant, angela)
    log_in(client, "demo-angela-dubois")
    social = mandat.autorisations.get(demarche="social")
    url = f"/mon-espace/autorisations/{social.uuid}/revoquer/"
    assert "Social - Santé" in text(client.get(url))
    social.refresh_from_db()
    assert social.revoked_at is None
    response = client.post(url)
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/mon-espace/mandats/{mandat.uuid}/attestation-revocation/"
    )
    social.refresh_from_db()
    assert social.revoked_by_type == "usager" and social.revoked_by_id == str(
        angela.uuid
    )
    entry = assert_journaled("autorisation_revoked", demarche="social")
    assert entry.actor_type == "usager" and entry.actor_id == str(angela.uuid)
    assert "Attestation de révocation" in text(client.get(response["Location"]))
    assert client.post(url).status_code == 403

    response = client.post(f"/mon-espace/mandats/{mandat.uuid}/revoquer/")
    assert response.status_code == 302
    mandat.refresh_from_db()
    assert mandat.revoked_by_type == "usager"
    assert_journaled("mandat_revoked", mandat_id=str(mandat.uuid))
    assert (
        client.post(f"/mon-espace/mandats/{mandat.uuid}/revoquer/").status_code == 403
    )


def test_usager_downloads_attestations(client, franceconnect, angela, aidant):
    mandat = signed(aidant, angela)
    log_in(client, "demo-angela-dubois")
    page = text(client.get(f"/mon-espace/mandats/{mandat.uuid}/attestation/"))
    assert "Attestation de mandat" in page and "/verifier/" in page
    pdf = client.get(f"/mon-espace/mandats/{mandat.uuid}/attestation.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_pages_need_a_usager_session(client, aidant_client, angela, aidant):
    mandat = signed(aidant, angela)
    for c in (client, aidant_client):  # an aidant login is not a usager login
        for url in (
            f"/mon-espace/mandats/{mandat.uuid}/revoquer/",
            f"/mon-espace/mandats/{mandat.uuid}/attestation.pdf",
        ):
            response = c.post(url)
            assert response.status_code == 302 and response["Location"] == SPACE
    mandat.refresh_from_db()
    assert mandat.revoked_at is None


def test_logout(client, franceconnect, angela, aidant):
    signed(aidant, angela)
    log_in(client, "demo-angela-dubois")
    assert SESSION_KEY in client.session
    assert client.get("/mon-espace/deconnexion").status_code == 405
    response = client.post("/mon-espace/deconnexion")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert "Bonjour" not in text(client.get(SPACE))


def test_unknown_identity_opens_nothing(client, franceconnect, db):
    response = log_in(client, "demo-fatou-diallo")
    assert response.status_code == 404
    assert "Aucun mandat" in text(response)
    assert SESSION_KEY not in client.session
    assert not JournalEntry.objects.filter(action="usager_logged_in").exists()


def test_cancel_and_bad_state_give_a_french_page(client, franceconnect, angela):
    response = client.post("/mon-espace/connexion")
    page = client.get(callback_path(fc_login(response["Location"], deny=True)))
    assert page.status_code == 400 and "annulée" in text(page)
    response = client.post("/mon-espace/connexion")
    params = fc_login(response["Location"], sub="demo-angela-dubois")
    page = client.get(callback_path(params).replace(params["state"], "forged"))
    assert page.status_code == 400 and "ne correspond pas" in text(page)
    assert SESSION_KEY not in client.session


def test_sandbox_down(client, settings, db):
    settings.FC_ISSUER = closed_port_issuer()
    response = client.post("/mon-espace/connexion")
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in text(response)


def test_purged_usager_cannot_log_in(client, franceconnect, angela):
    angela.purged_at = timezone.now()
    angela.save()
    assert log_in(client, "demo-angela-dubois").status_code == 404


def test_idle_session_ends(client, franceconnect, angela, aidant):
    from datetime import timedelta

    import time_machine

    signed(aidant, angela)
    log_in(client, "demo-angela-dubois")
    assert "Bonjour" in text(client.get(SPACE))
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert "Bonjour" not in text(client.get(SPACE))
    assert SESSION_KEY not in client.session
