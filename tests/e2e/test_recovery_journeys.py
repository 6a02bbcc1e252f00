"""Journeys: a forgotten password reset from the e-mailed link; a lost phone
reported by the référent, the aidant re-enrolling an app from the e-mailed
activation link (the old app no longer works); the step-up page a service's
prompt=login leads to. Every page crossed passes the audit (axe, layout at
1280 and 375 px)."""

import re
import time

import pytest
from django.core import mail

from aidants.models import Habilitation
from tests.e2e.conftest import browsing, next_totp_code, totp_code
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Une-autre-phrase-de-passe-2026"
# django-otp refuses any code for 1 s after a wrong one: waited out so that the
# right code is checked whatever the speed of the machine.
THROTTLE_AFTER_ONE_FAILURE = 1.1


def mailed_link(ui, to: str, path: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    link = re.search(rf"{re.escape(ui.base_url)}{path}\S+", message.body)
    assert link, message.body
    return link.group(0)


def test_forgotten_password_is_reset_from_the_mailed_link(ui, aidant):
    ui.goto("/connexion/", "login")
    ui.follow("Mot de passe oublié ?", "password-reset")
    ui.fill("Adresse électronique", aidant.email)
    ui.submit("Recevoir un lien", "password-reset-sent")
    # The same answer for an unknown address: the page confirms nothing.
    sent = ui.text()
    ui.goto("/connexion/mot-de-passe-oublie/")
    ui.fill("Adresse électronique", "personne@relais.test")
    ui.submit("Recevoir un lien")
    assert ui.text() == sent

    ui.goto(mailed_link(ui, aidant.email, "/connexion/mot-de-passe/"), "new-password")
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.fill("Confirmation du mot de passe", NEW_PASSWORD + "x")
    ui.submit("Enregistrer le mot de passe", "new-password-error")
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.fill("Confirmation du mot de passe", NEW_PASSWORD)
    ui.submit("Enregistrer le mot de passe", "new-password-saved")

    ui.login(aidant.email, NEW_PASSWORD, TOTP_SECRET_B32)
    assert ui.path() == "/"
    assert ui.page.get_by_role("button", name="Se déconnecter").count() >= 1


def test_lost_phone_is_replaced_through_the_mailed_activation_link(
    ui, chromium, site, referent, aidant
):
    hab = Habilitation.objects.get(aidant=aidant)
    with browsing(chromium, site.url, "recovery-referent") as referent_ui:
        referent_ui.login(referent.email, PASSWORD, TOTP_SECRET_B32)
        referent_ui.goto(f"/referent/aidants/{hab.uuid}/", "referent-aidant")
        referent_ui.follow("Signaler l'application comme perdue", "referent-app-lost")
        referent_ui.submit("Confirmer", "referent-app-removed")
        assert "un lien d'activation lui a été envoyé" in referent_ui.text()

    ui.goto(mailed_link(ui, aidant.email, "/activation/"), "enrolment")
    if ui.page.get_by_label("Confirmation du mot de passe").count():
        ui.fill("Mot de passe", NEW_PASSWORD)
        ui.fill("Confirmation du mot de passe", NEW_PASSWORD)
        ui.submit("Continuer", "enrolment-app")
    secret = ui.page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert secret != TOTP_SECRET_B32
    ui.fill("Code", "000000" if totp_code(secret) != "000000" else "111111")
    ui.submit("Activer l'application", "enrolment-app-error")
    time.sleep(THROTTLE_AFTER_ONE_FAILURE)
    ui.fill("Code", totp_code(secret))
    ui.submit("Activer l'application", "enrolment-done")

    # The lost phone's codes no longer open the account; the new app's do.
    ui.goto("/connexion/")
    ui.fill("Adresse électronique", aidant.email)
    ui.fill("Mot de passe", PASSWORD)
    ui.submit("Se connecter", "otp")
    ui.otp(totp_code(TOTP_SECRET_B32), "otp-old-app")
    assert ui.path() == "/connexion/code/"
    time.sleep(THROTTLE_AFTER_ONE_FAILURE)
    ui.otp(next_totp_code(aidant.email, secret))
    assert ui.path() == "/"


def test_step_up_page_passes_the_audit(ui, aidant):
    ui.login(aidant.email, PASSWORD, TOTP_SECRET_B32)
    ui.goto("/connexion/confirmer/?next=/", "step-up")
    assert "Confirmez votre identité" in ui.text()
    ui.fill("Code à usage unique", next_totp_code(aidant.email, TOTP_SECRET_B32))
    ui.submit("Valider", "step-up-done")
    assert ui.path() == "/"
