import pytest
from django.template import loader
from django.urls import reverse

from aidants.models import HabilitationStatus
from aidants.services.login import email_digest
from audit.actions import Action
from audit.models import JournalEntry
from tests.factories import PASSWORD, AidantFactory, HabilitationFactory

LOGIN_URL = reverse("aidants:login")
OTP_URL = reverse("aidants:otp")
GENERIC_ERROR = "Adresse électronique ou mot de passe incorrect."


def password_login(client, aidant, *, password=PASSWORD, next_url=None):
    """First factor through the real login page."""
    data = {"email": aidant.email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_is_a_french_form(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Connexion à Relais" in content
    assert 'name="email"' in content and 'name="password"' in content
    assert "csrfmiddlewaretoken" in content


def test_right_password_logs_in_without_otp_and_goes_to_otp_step(client, aidant):
    response = password_login(client, aidant)
    assert response.status_code == 302
    assert response.url == OTP_URL
    assert is_logged_in(client)
    # Only the first factor: aidant pages still ask for the code.
    home = client.get(reverse("aidants:account"))
    assert home.status_code == 302
    assert home.url.startswith(OTP_URL)


def test_email_is_case_insensitive(client, aidant):
    response = client.post(
        LOGIN_URL, {"email": aidant.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert is_logged_in(client)


def test_wrong_password_is_refused_and_journaled_without_the_password(
    client, aidant, assert_journaled
):
    response = password_login(client, aidant, password="pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert not is_logged_in(client)
    entry = assert_journaled(Action.LOGIN_FAILED, actor_id=str(aidant.uuid))
    assert "pas-le-bon-mot-de-passe" not in str(entry.details)
    assert entry.details["reason"] == "bad_credentials"


def test_unknown_email_gets_the_same_message_and_journals_a_hash(
    client, db, assert_journaled
):
    response = client.post(
        LOGIN_URL, {"email": "inconnu@relais.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert not is_logged_in(client)
    entry = assert_journaled(Action.LOGIN_FAILED, actor_type="system")
    assert entry.details["email_hmac"] == email_digest("inconnu@relais.test")
    assert "inconnu@relais.test" not in str(entry.details)


def test_malformed_email_is_a_form_error_and_changes_nothing(client, db):
    before = JournalEntry.objects.count()
    response = client.post(LOGIN_URL, {"email": "pas-un-email", "password": "x"})
    assert response.status_code == 200
    assert "Saisissez une adresse électronique valide." in response.content.decode()
    assert JournalEntry.objects.count() == before


def test_lockout_after_five_failures_even_with_the_right_password(
    client, aidant, assert_journaled
):
    for _ in range(4):
        response = password_login(client, aidant, password="mauvais-mot-de-passe")
        assert response.status_code == 200
    response = password_login(client, aidant, password="mauvais-mot-de-passe")
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()
    assert_journaled(Action.LOCKED_OUT, actor_id=str(aidant.uuid))

    response = password_login(client, aidant)
    assert response.status_code == 429
    assert "bloquée pendant 30 minutes" in response.content.decode()
    assert not is_logged_in(client)
    assert_journaled(Action.LOCKED_OUT, actor_id=str(aidant.uuid))


def test_lockout_of_one_email_does_not_lock_another(client, aidant, referent):
    for _ in range(5):
        password_login(client, aidant, password="mauvais-mot-de-passe")
    response = password_login(client, referent)
    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.parametrize(
    "status",
    [
        HabilitationStatus.REQUESTED,
        HabilitationStatus.SUSPENDED,
        HabilitationStatus.REVOKED,
    ],
)
def test_no_active_habilitation_right_password_gets_the_generic_message(
    client, structure, status, assert_journaled
):
    # Issue 9: the page never confirms that a password was right.
    aidant = AidantFactory(current_structure=structure)
    HabilitationFactory(aidant=aidant, structure=structure, status=status)
    response = password_login(client, aidant)
    assert response.status_code == 200
    content = response.content.decode()
    assert GENERIC_ERROR in content
    assert "aucune habilitation active" not in content
    assert "mot de passe est correct" not in content
    assert not is_logged_in(client)
    assert_journaled(Action.LOGIN_REFUSED, actor_id=str(aidant.uuid))


def test_no_habilitation_reason_is_not_given_for_a_wrong_password(client, structure):
    aidant = AidantFactory(current_structure=structure)
    HabilitationFactory(
        aidant=aidant, structure=structure, status=HabilitationStatus.SUSPENDED
    )
    response = password_login(client, aidant, password="mauvais-mot-de-passe")
    content = response.content.decode()
    assert GENERIC_ERROR in content
    assert "aucune habilitation active" not in content


def test_deactivated_account_is_refused_with_the_generic_message(
    client, aidant, assert_journaled
):
    aidant.is_active = False
    aidant.save()
    response = password_login(client, aidant)
    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert not is_logged_in(client)
    assert_journaled(Action.LOGIN_FAILED, actor_id=str(aidant.uuid))


def test_next_is_carried_to_the_otp_step(client, aidant):
    response = password_login(client, aidant, next_url="/compte/")
    assert response.url == f"{OTP_URL}?next=%2Fcompte%2F"


def test_foreign_next_is_dropped_at_the_password_step(client, aidant):
    response = password_login(client, aidant, next_url="https://evil.example/")
    assert response.url == OTP_URL


def test_logged_in_unverified_user_is_sent_to_the_otp_step(client, aidant):
    client.force_login(aidant)
    response = client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response.url == OTP_URL


def test_verified_user_skips_the_login_page(aidant_client):
    response = aidant_client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response.url == reverse("aidants:home")


def test_login_requires_csrf(aidant, db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN_URL, {"email": aidant.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Le formulaire a expiré" in response.content.decode()
    assert "_auth_user_id" not in strict.session


def test_anonymous_home_is_a_french_landing_page(client, db):
    response = client.get(reverse("aidants:home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Se connecter" in content
    assert LOGIN_URL in content
    assert "Se déconnecter" not in content


def test_verified_home_shows_name_structure_and_account(aidant_client, aidant):
    response = aidant_client.get(reverse("aidants:home"))
    content = response.content.decode()
    assert aidant.get_full_name() in content
    assert aidant.current_structure.name in content
    assert reverse("aidants:account") in content
    assert "Se déconnecter" in content
    assert "Espace référent" not in content


def test_referent_home_links_to_the_referent_space(referent_client):
    content = referent_client.get(reverse("aidants:home")).content.decode()
    assert "Espace référent" in content


def test_unverified_home_goes_to_the_otp_step(client, aidant):
    client.force_login(aidant)
    response = client.get(reverse("aidants:home"))
    assert response.status_code == 302
    assert response.url.startswith(OTP_URL)


def test_unknown_page_is_a_french_404(client, db):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("400.html", "Requête invalide"),
        ("403.html", "Accès refusé"),
        ("404.html", "Page introuvable"),
        ("500.html", "Erreur inattendue"),
    ],
)
def test_error_pages_render_in_french_without_a_request(db, template, text):
    html = loader.get_template(template).render()
    assert text in html
    assert '<html lang="fr"' in html
