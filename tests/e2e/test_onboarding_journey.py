"""Journey: a structure files a habilitation request, staff ask for a change,
the requester answers, staff accept; the new référent follows the e-mailed
link, sets a password and a second factor, invites an aidant, who activates.
No shell, no admin page: every e-mail goes through a real SMTP server."""

import pytest

from tests.e2e.conftest import browsing, next_totp_code, totp_code
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e

MANAGER = "helene.martin@ccas-tulle.test"
REFERENT = "remi.bernard@ccas-tulle.test"
AIDANT = "nadia.haddad@ccas-tulle.test"
NEW_PASSWORD = "Une-phrase-de-passe-longue-2026"


def activate(ui, link: str, name: str) -> str:
    """Follow an invitation link: password, then an authenticator app. Returns
    the app's secret."""
    ui.goto(link, f"{name}-password")
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.fill("Confirmation du mot de passe", NEW_PASSWORD)
    ui.submit("Continuer", f"{name}-totp")
    secret = ui.page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    ui.fill("Code", totp_code(secret))
    ui.submit("Activer mon compte", f"{name}-done")
    return secret


def file_request(ui) -> None:
    ui.goto("/", "home")
    ui.follow("Demander l'habilitation de votre structure", "request-new")
    ui.fill("Nom de la structure", "CCAS de Tulle")
    ui.fill("SIRET", "12345678000106")  # wrong check digit first
    ui.page.get_by_label("Type de structure").select_option("ccas")
    ui.fill("Adresse postale", "1 rue Nationale")
    ui.fill("Code postal", "19000")
    ui.fill("Commune", "Tulle")
    ui.fill("Prénom du responsable", "Hélène")
    ui.fill("Nom du responsable", "Martin")
    ui.fill("Fonction du responsable", "Directrice")
    ui.fill("Adresse électronique du responsable", MANAGER)
    ui.submit("Enregistrer le brouillon", "request-new-error")
    assert "clé de contrôle incorrecte" in ui.text()
    ui.fill("SIRET", "12345678000105")
    ui.submit("Enregistrer le brouillon", "request-draft")
    assert "brouillon" in ui.text()


def test_structure_joins_and_its_referent_invites_an_aidant(
    ui,
    chromium,
    site,
    smtp,
    staff,
):
    file_request(ui)
    # The private link arrives by e-mail; the requester goes on from it.
    ui.goto(smtp.link(MANAGER, "lien de suivi", ui.base_url), "request-from-mail")
    ui.follow("Ajouter une personne", "request-person")
    ui.tick("référent")
    ui.fill("Prénom", "Rémi")
    ui.fill("Nom", "Bernard")
    ui.fill("Adresse électronique", REFERENT)
    ui.fill("Profession", "Responsable de l'accueil")
    ui.submit("Ajouter", "request-person-added")
    ui.follow("Déposer la demande", "request-submit")
    ui.submit("Confirmer le dépôt", "request-submitted")
    assert "en cours d'examen" in ui.text().lower()
    smtp.wait_for(MANAGER, "bien reçu")

    with browsing(chromium, site.url, "onboarding-staff") as staff_ui:
        staff_ui.login(staff.email, PASSWORD, TOTP_SECRET_B32, "staff-home")
        staff_ui.follow("Espace équipe", "staff-space")
        staff_ui.follow("demande d'habilitation à examiner", "staff-requests")
        staff_ui.follow("CCAS de Tulle", "staff-request")
        staff_ui.follow("Demander des modifications", "staff-changes")
        staff_ui.fill("Message", "Merci de préciser l'adresse complète.")
        staff_ui.submit("Envoyer la demande de modifications", "staff-changes-sent")

        # The requester answers from the e-mail's link.
        ui.goto(smtp.link(MANAGER, "modifications", ui.base_url), "request-changes")
        assert "préciser l'adresse complète" in ui.text()
        ui.follow("Modifier la structure ou le responsable", "request-edit")
        ui.fill("Adresse postale", "1 rue Nationale, bâtiment B")
        ui.submit("Enregistrer", "request-edited")
        ui.follow("Déposer de nouveau la demande", "request-resubmit")
        ui.fill("Message à l'équipe Relais", "Adresse complétée.")
        ui.submit("Confirmer le dépôt", "request-resubmitted")
        smtp.wait_for(MANAGER, "bien reçu")

        staff_ui.goto(staff_ui.page.url, "staff-request-again")
        assert "Adresse complétée." in staff_ui.text()
        staff_ui.follow("Accepter", "staff-accept")
        staff_ui.submit("Confirmer l'acceptation", "staff-accepted")
        assert "Demande acceptée" in staff_ui.text()
    smtp.wait_for(MANAGER, "acceptée")

    # The référent activates the account from the invitation and logs in.
    # Staff's acceptance validated the référent's habilitation: no second wait.
    secret = activate(ui, smtp.link(REFERENT, "Invitation", ui.base_url), "referent")
    assert "Vous pouvez vous connecter" in ui.text()
    ui.fill("Adresse électronique", REFERENT)
    ui.fill("Mot de passe", NEW_PASSWORD)
    ui.submit("Se connecter", "referent-otp")
    ui.otp(next_totp_code(REFERENT, secret), "referent-home")
    ui.follow("Espace référent", "referent-space")
    ui.follow("Inviter un aidant", "referent-invite")
    ui.fill("Adresse électronique", AIDANT)
    ui.fill("Prénom", "Nadia")
    ui.fill("Nom", "Haddad")
    ui.fill("Profession", "Conseillère en économie sociale et familiale")
    ui.submit("Envoyer l'invitation", "referent-invited")
    ui.submit("Se déconnecter")

    activate(ui, smtp.link(AIDANT, "Invitation", ui.base_url), "aidant")
    assert "doit encore être activée" in ui.text()
