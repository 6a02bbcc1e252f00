"""Journey (d): after an aidant acted for her in the demo service, the usager
logs in to her space with FranceConnect, sees that use and revokes "social"
alone; the aidant can no longer pick her for "social", and the verification
page shows the démarche revoked."""

import pytest

from tests.e2e.journeys import (
    open_demo_service_as,
    register_demo_service,
    sandbox_usager_mandat,
)

pytestmark = pytest.mark.e2e


def test_usager_sees_use_and_revokes_one_demarche(ui, usager_ui, aidant, franceconnect):
    register_demo_service()
    sandbox_usager_mandat(
        aidant, issuer=franceconnect.issuer, demarches=("social", "famille")
    )

    # The aidant acts for her in the demo service, for "social".
    open_demo_service_as(ui, aidant)
    ui.follow("Choisir Angela Claire Louise")
    ui.tick("Social - Santé")
    ui.submit("Se connecter au service pour cette personne", "demo-service-acting")
    assert "Bienvenue Angela Claire Louise DUBOIS" in ui.text()
    ui.submit("Se déconnecter")

    # On her own device, she logs in to her space with FranceConnect.
    usager_ui.goto("/mon-espace/", "usager-login")
    usager_ui.page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    usager_ui.submit("demo-angela-dubois", "usager-space")
    assert usager_ui.path() == "/mon-espace/"
    uses = usager_ui.page.locator("#uses tbody tr")
    assert uses.count() == 1
    use = uses.first.inner_text()
    assert "Social - Santé" in use and "Mon espace CAF (démo)" in use
    assert aidant.first_name in use

    usager_ui.follow("Révoquer « Social - Santé »", "usager-revoke-confirm")
    usager_ui.submit("Je révoque", "usager-revocation-attestation")
    assert "la révocation a pris effet" in usager_ui.text()
    assert "Social - Santé : révoqué" in usager_ui.text()
    # The table's caption sits with its table, under the page's h1 (DSFR table).
    caption = usager_ui.page.locator("#attestation caption").bounding_box()
    heading = usager_ui.page.locator("h1").bounding_box()
    table = usager_ui.page.locator("#attestation table").bounding_box()
    assert heading["y"] < caption["y"] <= table["y"] + table["height"]
    usager_ui.goto("/mon-espace/", "usager-space-revoked")
    card = usager_ui.page.locator("[data-mandat]").first
    # The card reads top-down: its title first, its buttons last.
    title = card.locator(".fr-card__title").bounding_box()
    for part in (".fr-card__end", ".fr-card__footer"):
        assert title["y"] < card.locator(part).bounding_box()["y"], part
    mandat_card = card.inner_text()
    assert "Famille - Scolarité" in mandat_card
    assert "Révoquer « Social - Santé »" not in mandat_card
    assert "Révoquer « Famille - Scolarité »" in mandat_card

    # She opens her attestation's verification address, as anyone would.
    usager_ui.follow("Attestation", "usager-attestation")
    url = usager_ui.page.locator("#attestation .url").inner_text().strip()
    usager_ui.goto(url, "verification-revoked-demarche")
    social = usager_ui.page.locator("[data-demarche=social]").inner_text()
    famille = usager_ui.page.locator("[data-demarche=famille]").inner_text()
    assert "révoquée" in social.lower()
    assert "révoquée" not in famille.lower()

    # The aidant can still act for her, but no longer for "social".
    open_demo_service_as(ui, aidant)
    ui.follow("Choisir Angela Claire Louise", "oidc-select-demarche-after-revocation")
    offered = ui.page.locator("input[name=relais_demarche]")
    assert offered.count() == 1
    assert offered.first.get_attribute("value") == "famille"
