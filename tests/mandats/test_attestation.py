"""Attestations (HTML and PDF, QR code) for the structure's aidants."""

import html

import pytest
from django.utils import timezone

from mandats.attestation import qr_svg, verification_url
from mandats.services import create_mandat, revoke_autorisation, revoke_mandat
from tests.conftest import verified_client
from tests.factories import UsagerFactory


def text(response):
    return html.unescape(response.content.decode())


def signed(aidant, demarches=("social", "papiers"), usager=None, duration=365):
    now = timezone.now().isoformat()
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager or UsagerFactory(given_name="Angela", family_name="Dubois"),
        demarches=list(demarches),
        duration_days=duration,
        consent={"confirmed_by_usager_at": now, "confirmed_by_aidant_at": now},
    )


@pytest.fixture
def mandat(aidant):
    return signed(aidant)


def test_attestation_page_shows_the_terms(aidant_client, aidant, mandat, settings):
    settings.SITE_URL = "https://relais.example"
    page = text(aidant_client.get(f"/mandats/{mandat.uuid}/attestation/"))
    assert "Attestation de mandat" in page
    assert (
        "Angela Dubois" in page and mandat.usager.birthdate.strftime("%d/%m/%Y") in page
    )
    assert (
        aidant.current_structure.name in page and aidant.current_structure.siret in page
    )
    assert aidant.get_full_name() in page
    assert "Social - Santé" in page and "CAF, CPAM" in page
    assert "Papiers - Citoyenneté - Élections" in page
    assert mandat.expires_at.astimezone().strftime("%d/%m/%Y") in page
    assert "révoquer" in page
    assert f"https://relais.example/verifier/{mandat.public_id}" in page
    assert "<svg" in page and 'class="segno"' in page
    assert f"/mandats/{mandat.uuid}/attestation.pdf" in page


def test_qr_code_encodes_the_verification_url(mandat, settings):
    settings.SITE_URL = "https://relais.example/"
    url = verification_url(mandat)
    assert url == f"https://relais.example/verifier/{mandat.public_id}"
    assert qr_svg(url).startswith("<svg")


def test_pdf_attestation(aidant_client, mandat):
    response = aidant_client.get(f"/mandats/{mandat.uuid}/attestation.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_revocation_attestation_needs_a_revocation(aidant_client, aidant, mandat):
    url = f"/mandats/{mandat.uuid}/attestation-revocation/"
    assert aidant_client.get(url).status_code == 404
    social = mandat.autorisations.get(demarche="social")
    revoke_autorisation(
        autorisation=social,
        by_type="aidant",
        by_id=str(aidant.uuid),
        actor=aidant,
        reason="Fin de l'accompagnement",
    )
    page = text(aidant_client.get(url))
    assert "Attestation de révocation" in page
    assert "Social - Santé" in page and "Fin de l'accompagnement" in page
    assert "Papiers - Citoyenneté - Élections : <strong>en cours</strong>" in page
    pdf = aidant_client.get(f"/mandats/{mandat.uuid}/attestation-revocation.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_revocation_attestation_of_a_whole_mandate(aidant_client, aidant, mandat):
    revoke_mandat(mandat=mandat, by_type="usager", by_id=str(mandat.usager.uuid))
    page = text(aidant_client.get(f"/mandats/{mandat.uuid}/attestation-revocation/"))
    assert "Mandat entier" in page and "usager" in page
    attestation = text(aidant_client.get(f"/mandats/{mandat.uuid}/attestation/"))
    assert "Ce mandat est révoqué" in attestation


def test_other_structure_cannot_download(client, other_structure_aidant, mandat):
    client = verified_client(client, other_structure_aidant)
    for suffix in ("attestation/", "attestation.pdf", "attestation-revocation.pdf"):
        assert client.get(f"/mandats/{mandat.uuid}/{suffix}").status_code == 404


def test_anonymous_cannot_download(client, mandat):
    response = client.get(f"/mandats/{mandat.uuid}/attestation.pdf")
    assert response.status_code == 302 and "/connexion" in response["Location"]
