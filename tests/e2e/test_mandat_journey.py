"""Journey (b): an aidant creates a mandate for two démarches with a usager
identified on the FranceConnect sandbox, downloads the PDF attestation and opens
the verification URL of its QR code."""

import re

import pytest
import segno

from mandats.models import Mandat
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e


def qr_path(svg: str) -> str:
    return re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)


def test_aidant_creates_mandate_and_its_qr_code_verifies(ui, aidant):
    ui.login(aidant.email, PASSWORD, TOTP_SECRET_B32)
    ui.goto("/mandats/nouveau/", "wizard-choose")

    # No démarche ticked: the error is shown and linked to the group.
    ui.submit("Identifier la personne avec FranceConnect", "wizard-choose-error")
    assert "démarche" in ui.page.locator("#demarches").inner_text()

    ui.tick("Social - Santé")
    ui.tick("Papiers - Citoyenneté - Élections")
    ui.tick("6 mois")
    ui.page.get_by_role(
        "button", name="Identifier la personne avec FranceConnect"
    ).click()

    # The FranceConnect sandbox (another site) lists its demo identities.
    ui.page.get_by_role("button", name="demo-angela-dubois").wait_for()
    ui.audit("franceconnect-sandbox")
    ui.submit("demo-angela-dubois", "wizard-recap")
    assert ui.path() == "/mandats/nouveau/confirmation"
    recap = ui.page.locator("#attestation").inner_text()
    assert "Angela Claire Louise DUBOIS" in recap
    assert "Social - Santé" in recap and "Papiers - Citoyenneté" in recap

    ui.tick("La personne a lu l'attestation")
    ui.tick("Je confirme avoir présenté le mandat")
    ui.submit("Créer le mandat", "mandat-detail")
    mandat = Mandat.objects.get(usager__fc_sub="demo-angela-dubois")
    assert sorted(mandat.demarches()) == ["papiers", "social"]
    assert mandat.duration_days == 182
    assert ui.path() == f"/mandats/{mandat.uuid}/"

    with ui.page.expect_download() as download:
        ui.page.get_by_role("link", name="Attestation (PDF)").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")

    ui.follow("Attestation de mandat", "attestation")
    url = ui.page.locator("#attestation .url").inner_text().strip()
    assert url.startswith(f"{ui.base_url}/verifier/")
    # The QR code is the one segno makes for the URL printed beside it.
    shown = ui.page.locator("#attestation figure svg").evaluate("svg => svg.outerHTML")
    assert qr_path(shown) == qr_path(segno.make(url, error="m").svg_inline(scale=3))

    # Anyone holding the paper (here: a new tab, logged out) can check it.
    ui.submit("Se déconnecter")
    ui.goto(url, "verification-valid")
    assert "Mandat valide" in ui.page.get_by_test_id("status").inner_text()
    assert ui.page.get_by_test_id("initials").inner_text() == "A. D."
    assert "Social - Santé" in ui.text()
