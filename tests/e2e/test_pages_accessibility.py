"""Pages the journeys do not cross, audited the same way (axe-core, title,
landmarks, labels, linked errors): the référent's and the aidant's other pages,
error pages and public pages."""

import pytest

from aidants.models import Habilitation
from tests.e2e.journeys import sandbox_usager_mandat
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e


def test_referent_and_aidant_pages_pass_the_audit(ui, referent, aidant, franceconnect):
    mandat = sandbox_usager_mandat(
        aidant, issuer=franceconnect.issuer, demarches=("social", "papiers")
    )
    hab = Habilitation.objects.get(aidant=aidant)
    ui.login(referent.email, PASSWORD, TOTP_SECRET_B32)
    pages = {
        "account": "/compte/",
        "totp-enrol": "/compte/application/",
        "backup-codes": "/compte/codes-de-secours/",
        "referent-demarches": "/referent/demarches/",
        "referent-aidant": f"/referent/aidants/{hab.uuid}/",
        "referent-card": f"/referent/aidants/{hab.uuid}/carte/",
        "referent-revoke": f"/referent/aidants/{hab.uuid}/revoquer/",
        "journal": "/referent/journal/",
        "my-journal": "/journal/",
        "usagers": "/usagers/",
        "usager-detail": f"/usagers/{mandat.usager.uuid}/",
        "mandat-detail": f"/mandats/{mandat.uuid}/",
        "mandat-revoke": f"/mandats/{mandat.uuid}/revoquer/",
        "expiring": "/mandats/expirant-bientot/",
        "not-found": "/cette-page-n-existe-pas/",
    }
    for name, path in pages.items():
        ui.goto(path, name)
    # The référent's and the account's newer pages (issues 13-15): each one
    # answers, and passes the same audit.
    for name, path in {
        "passkeys": "/compte/cles-d-acces/",
        "referent-end-date": f"/referent/aidants/{hab.uuid}/date-de-fin/",
        "referent-co-referent": f"/referent/aidants/{hab.uuid}/co-referent/",
        "referent-card-from-stock": f"/referent/aidants/{hab.uuid}/carte-du-stock/",
        "referent-app-lost": f"/referent/aidants/{hab.uuid}/application-perdue/",
        "terms": "/conditions-d-utilisation/",
    }.items():
        assert ui.goto(path, name).status == 200, path

    # Forms sent empty: every error is tied to its field.
    ui.goto(f"/referent/aidants/{hab.uuid}/carte/")
    ui.submit("Associer la carte", "referent-card-errors")
    ui.goto(f"/mandats/{mandat.uuid}/revoquer/")
    ui.submit("Révoquer", "mandat-revoke-errors")


def test_public_pages_pass_the_audit(ui):
    for name, path in {
        "home": "/",
        "login": "/connexion/",
        "usager-space-login": "/mon-espace/",
        "verification-unknown": "/verifier/inconnu",
        "invitation-unknown": "/invitation/inconnue/",
        "enrolment-unknown": "/activation/inconnu/",
        "password-reset": "/connexion/mot-de-passe-oublie/",
    }.items():
        ui.goto(path, name)
    ui.goto("/connexion/")
    ui.submit("Se connecter", "login-errors")


def test_small_screen_menu_gives_the_account_links(ui, aidant):
    ui.login(aidant.email, PASSWORD, TOTP_SECRET_B32)
    ui.page.set_viewport_size({"width": 375, "height": 740})
    ui.goto("/", "mobile-home")
    logout = ui.page.get_by_role("button", name="Se déconnecter")
    assert not logout.first.is_visible()
    ui.page.get_by_role("button", name="Menu").click()
    menu = ui.page.locator("#header-menu")
    menu.get_by_role("link", name="Mon compte").wait_for()
    ui.audit("mobile-menu")
    with ui.page.expect_navigation():
        menu.get_by_role("button", name="Se déconnecter").click()
    ui.audit()
    assert "Vous êtes déconnecté" in ui.text()
