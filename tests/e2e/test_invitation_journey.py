"""Journey (a): a référent invites an aidant, who sets a password, enrols an
authenticator app and, once staff have activated the habilitation, logs in."""

import re

import pytest
from django.core import mail

from aidants.models import Aidant, Habilitation, HabilitationStatus
from aidants.services.habilitations import activate_habilitation
from tests.e2e.conftest import totp_code
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Une-phrase-de-passe-longue-2026"


def test_invited_aidant_activates_account_and_logs_in(ui, referent, staff):
    ui.goto("/", "home-anonymous")
    assert "Relais permet aux aidants" in ui.text()

    ui.login(referent.email, PASSWORD, TOTP_SECRET_B32, "home-referent")
    ui.follow("Espace référent", "referent-space")
    ui.follow("Inviter un aidant", "referent-invite")
    ui.fill("Adresse électronique", "nadia.haddad@relais.test")
    ui.fill("Prénom", "Nadia")
    ui.fill("Nom", "Haddad")
    ui.fill("Profession", "Travailleuse sociale")
    ui.submit("Envoyer l'invitation", "referent-invited")
    assert "nadia.haddad@relais.test" in ui.text()
    ui.submit("Se déconnecter")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia.haddad@relais.test"]
    link = re.search(rf"{re.escape(ui.base_url)}/invitation/\S+", message.body)
    assert link, message.body

    # Step 1: a password, mistyped once (the error is shown next to the field).
    ui.goto(link.group(0), "invitation-password")
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.fill("Confirmation du mot de passe", NEW_PASSWORD + "x")
    ui.submit("Continuer", "invitation-password-error")
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.fill("Confirmation du mot de passe", NEW_PASSWORD)
    ui.submit("Continuer", "invitation-totp")

    # Step 2: the app is set up with the key shown on the page.
    secret = ui.page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    ui.fill("Code", totp_code(secret))
    ui.submit("Activer mon compte", "invitation-done")
    assert "doit encore être activée" in ui.text()

    # Not habilitated yet: the login is refused with the generic message (the
    # page never confirms that a password was right, issue 9).
    ui.fill("Adresse électronique", "nadia.haddad@relais.test")
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.submit("Se connecter", "login-not-habilitated")
    assert "Adresse électronique ou mot de passe incorrect" in ui.text()

    # Staff activate the habilitation in the Django admin; this test does it
    # through the same service the admin action calls.
    nadia = Aidant.objects.get(email="nadia.haddad@relais.test")
    habilitation = Habilitation.objects.get(aidant=nadia)
    assert habilitation.status == HabilitationStatus.REQUESTED
    activate_habilitation(habilitation=habilitation, by=staff)

    # The code of the enrolment step is spent: login uses the next one.
    ui.login(nadia.email, NEW_PASSWORD, secret)
    assert ui.path() == "/"
    assert "Bonjour Nadia Haddad" in ui.text()
