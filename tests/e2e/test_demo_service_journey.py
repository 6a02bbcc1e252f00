"""Journey (c): the aidant opens the demo online service, logs in through
Relais, picks the usager and "social"; the service shows the usager's identity
and the aidant as the one acting."""

import pytest

from oidc.claims import pairwise_id
from tests.e2e.journeys import (
    open_demo_service_as,
    register_demo_service,
    sandbox_usager_mandat,
)

pytestmark = pytest.mark.e2e


def test_aidant_acts_for_usager_in_demo_service(ui, aidant, franceconnect):
    client = register_demo_service()
    mandat = sandbox_usager_mandat(
        aidant, issuer=franceconnect.issuer, demarches=("social", "papiers")
    )

    # Not logged in to Relais yet: password and code first, then back.
    open_demo_service_as(ui, aidant)
    ui.follow("Choisir Angela Claire Louise", "oidc-select-demarche")
    # Only the service's démarches that the mandate covers are offered.
    assert ui.page.locator("input[name=relais_demarche]").count() == 1
    # Nothing chosen for the aidant: connecting under the wrong démarche is a choice.
    assert not ui.field("Social - Santé").is_checked()
    ui.tick("Social - Santé")
    ui.submit("Se connecter au service pour cette personne", "demo-service-acting")

    assert ui.path() == "/demo-service/"
    assert "Bienvenue Angela Claire Louise DUBOIS" in ui.text()
    acting = ui.page.get_by_test_id("acting").inner_text()
    # The service knows the aidant by a pairwise id (shown shortened).
    actor = pairwise_id(client, "aidant", aidant.uuid)
    assert f"l'aidant {actor[:12]}" in acting
    assert aidant.current_structure.siret in acting
    # The mandate too is pairwise (a global id would let services correlate).
    mandat_id = pairwise_id(client, "mandat", mandat.uuid)
    assert "Social - Santé" in acting and mandat_id in acting
    assert str(mandat.uuid) not in acting
    # What the service shows is for people: labels and French dates, not codes.
    assert "24/08/1962" in ui.text() and "Femme" in ui.text()
    for raw in ("social", "female", "1962-08-24"):
        assert raw not in ui.text()
