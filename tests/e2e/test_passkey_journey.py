"""Journey: an aidant enrols a passkey (Chromium's virtual authenticator, through
the DevTools WebAuthn domain), logs out, logs in with password + passkey and
acts in the demo service; once the structure requires passkeys, a login with a
TOTP code is refused with a clear message."""

import pytest

from aidants.services.passkeys import set_passkey_requirement
from audit.models import JournalEntry
from oidc.models import AuthorizationCode
from tests.e2e.conftest import next_totp_code
from tests.e2e.journeys import register_demo_service, sandbox_usager_mandat
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e


def virtual_authenticator(page):
    """A platform authenticator that verifies its user (PIN/biometrics)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def password_step(ui, aidant) -> None:
    ui.goto("/connexion/", "login")
    ui.fill("Adresse électronique", aidant.email)
    ui.fill("Mot de passe", PASSWORD)
    ui.submit("Se connecter", "otp")


def test_aidant_enrols_a_passkey_and_logs_in_with_it(
    ui, aidant, referent, franceconnect
):
    register_demo_service()
    sandbox_usager_mandat(aidant, issuer=franceconnect.issuer)
    cdp, authenticator = virtual_authenticator(ui.page)

    ui.login(aidant.email, PASSWORD, TOTP_SECRET_B32, "home")
    ui.goto("/compte/", "account")
    ui.follow("Clés d'accès (passkeys)", "passkeys-empty")
    with ui.page.expect_navigation():  # the page reloads once the key is saved
        ui.page.get_by_role("button", name="Enregistrer une clé d'accès").click()
    ui.audit("passkeys-enrolled")
    assert ui.page.get_by_test_id("passkeys").locator("tbody tr").count() == 1
    credentials = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator}
    )
    assert len(credentials["credentials"]) == 1
    added = JournalEntry.objects.filter(action="otp_device_added").latest("seq")
    assert added.details["kind"] == "passkey"
    ui.submit("Se déconnecter")

    # Password, then the passkey instead of a code.
    password_step(ui, aidant)
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Utiliser ma clé d'accès").click()
    ui.audit("home-after-passkey")
    assert ui.path() == "/"
    login = JournalEntry.objects.filter(action="login_succeeded").latest("seq")
    assert login.details["device"] == "passkey"

    # Acting in the demo service: the service is told a hardware key was used.
    ui.goto("/demo-service/", "demo-service-home")
    ui.submit("Se connecter avec Relais", "oidc-select-usager")
    ui.follow("Choisir Angela Claire Louise", "oidc-select-demarche")
    ui.tick("Social - Santé")
    ui.submit("Se connecter au service pour cette personne", "demo-service-acting")
    assert "Bienvenue Angela Claire Louise DUBOIS" in ui.text()
    assert AuthorizationCode.objects.get().get_amr() == ["pwd", "hwk", "mfa"]
    ui.goto("/", "home-again")
    ui.submit("Se déconnecter")

    # The structure now requires passkeys: a TOTP code is refused, clearly.
    set_passkey_requirement(
        structure=aidant.current_structure, required=True, by=referent
    )
    password_step(ui, aidant)
    ui.otp(next_totp_code(aidant.email, TOTP_SECRET_B32), "otp-passkey-required")
    assert ui.path() == "/connexion/code/"
    assert "Votre structure exige une clé d'accès (passkey)" in ui.text()
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Utiliser ma clé d'accès").click()
    ui.audit("home-with-required-passkey")
    assert ui.path() == "/"
