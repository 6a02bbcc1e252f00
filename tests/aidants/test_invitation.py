import base64
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aidants.exceptions import InvalidTransition, NotAllowed
from aidants.models import (
    Aidant,
    Habilitation,
    HabilitationStatus,
    Invitation,
    TOTPDevice,
)
from aidants.services.invitations import hash_token, invite_aidant
from audit import Action
from audit.models import JournalEntry
from tests.factories import PASSWORD, totp_now

NEW = {
    "email": "Nina.Nouvelle@Relais.test",
    "first_name": "Nina",
    "last_name": "Nouvelle",
    "profession": "Secrétaire de mairie",
    "phone": "0102030405",
}
GOOD_PASSWORD = "un cheval bleu traverse la Seine"


@pytest.fixture
def invited(structure, referent):
    invitation, token = invite_aidant(structure=structure, by=referent, **NEW)
    return invitation, token


ACCEPT_URL = "/invitation/"


def accept_url(token):
    return reverse("aidants:invitation-open", kwargs={"token": token})


def open_link(client, token):
    """Open the e-mailed link as a browser does: the token is swapped for a
    session value and the browser lands on the clean URL."""
    response = client.get(accept_url(token))
    assert response.status_code == 303
    assert response["Location"] == ACCEPT_URL
    return ACCEPT_URL


def test_invite_form_creates_account_habilitation_and_emails_the_link(
    referent_client, referent, structure, mailoutbox
):
    response = referent_client.post(reverse("aidants:referent-invite"), NEW)
    assert response.status_code == 302

    aidant = Aidant.objects.get(email="nina.nouvelle@relais.test")
    assert not aidant.has_usable_password()
    hab = Habilitation.objects.get(aidant=aidant, structure=structure)
    assert hab.status == HabilitationStatus.REQUESTED
    assert hab.requested_by == referent
    actions = list(JournalEntry.objects.values_list("action", flat=True))
    assert actions[-2:] == [Action.HABILITATION_REQUESTED, Action.AIDANT_INVITED]

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nina.nouvelle@relais.test"]
    link = re.search(re.escape(settings.SITE_URL) + r"/invitation/([\w-]+)/", mail.body)
    assert link, mail.body
    token = link.group(1)
    invitation = Invitation.objects.get(aidant=aidant)
    assert invitation.token_hash == hash_token(token)
    assert token not in str(list(JournalEntry.objects.values_list("details")))
    assert invitation.expires_at - timezone.now() == pytest.approx(
        timedelta(hours=settings.INVITATION_VALID_HOURS), abs=timedelta(minutes=1)
    )


def test_invite_form_rejects_a_bad_email_in_french(referent_client, mailoutbox):
    data = {**NEW, "email": "pas-une-adresse"}
    response = referent_client.post(reverse("aidants:referent-invite"), data)
    assert response.status_code == 200
    assert "adresse électronique valide" in response.content.decode()
    assert not Aidant.objects.filter(first_name="Nina").exists()
    assert mailoutbox == []


def test_inviting_an_existing_member_changes_nothing(
    referent_client, aidant, mailoutbox
):
    count = JournalEntry.objects.count()
    data = {**NEW, "email": aidant.email.upper()}
    response = referent_client.post(reverse("aidants:referent-invite"), data)
    assert "déjà membre" in response.content.decode()
    assert JournalEntry.objects.count() == count
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_inviting_an_aidant_of_another_structure_adds_nothing_until_accepted(
    structure, referent, other_structure_aidant, mailoutbox
):
    invitation, _ = invite_aidant(
        structure=structure,
        by=referent,
        **{**NEW, "email": other_structure_aidant.email},
    )
    assert invitation.aidant == other_structure_aidant
    assert Aidant.objects.filter(email=other_structure_aidant.email).count() == 1
    assert other_structure_aidant.habilitations.count() == 1
    assert len(mailoutbox) == 1


def test_only_a_referent_of_the_structure_invites(
    structure, other_referent, aidant, mailoutbox
):
    for by in (other_referent, aidant):
        with pytest.raises(NotAllowed):
            invite_aidant(structure=structure, by=by, **NEW)
    assert not Aidant.objects.filter(first_name="Nina").exists()
    assert mailoutbox == []


def test_reinviting_replaces_the_old_link(invited, structure, referent, client):
    old_invitation, old_token = invited
    new_invitation, new_token = invite_aidant(structure=structure, by=referent, **NEW)
    assert not Invitation.objects.filter(pk=old_invitation.pk).exists()
    assert client.get(open_link(client, old_token)).status_code == 404
    assert client.get(open_link(client, new_token)).status_code == 200


def test_a_revoked_member_must_be_re_requested_not_invited(structure, referent, aidant):
    Habilitation.objects.filter(aidant=aidant).update(status="revoked")
    with pytest.raises(InvalidTransition):
        invite_aidant(
            structure=structure, by=referent, **{**NEW, "email": aidant.email}
        )


def _complete(client, token):
    url = open_link(client, token)
    client.post(url, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    aidant = Aidant.objects.get(email="nina.nouvelle@relais.test")
    client.get(url)
    device = TOTPDevice.objects.get(user=aidant, confirmed=False)
    return client.post(url, {"otp_token": totp_now(device)}), aidant, device


def test_accepting_sets_password_and_totp_then_sends_to_login(
    client, invited, assert_journaled
):
    invitation, token = invited
    url = open_link(client, token)
    page = client.get(url)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    assert 'name="password1"' in page.content.decode()

    response = client.post(
        url, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    aidant = invitation.aidant
    aidant.refresh_from_db()
    assert not aidant.has_usable_password()  # nothing written before the last step

    page = client.get(url).content.decode()
    device = TOTPDevice.objects.get(user=aidant, confirmed=False)
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    secret = shown.replace(" ", "")
    assert "data:image/svg+xml" in page

    wrong = client.post(url, {"otp_token": "000000"})
    assert "Code incorrect" in wrong.content.decode()
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # django-otp throttles the device for a moment after the wrong code.
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        done = client.post(url, {"otp_token": totp_now(device)})
    assert done.status_code == 302
    assert done["Location"] == reverse("aidants:login")
    aidant.refresh_from_db()
    device.refresh_from_db()
    invitation.refresh_from_db()
    assert aidant.check_password(GOOD_PASSWORD)
    assert device.confirmed
    assert invitation.used_at is not None
    assert_journaled(Action.INVITATION_ACCEPTED, actor_id=str(aidant.uuid))
    hab = Habilitation.objects.get(aidant=aidant)
    assert hab.status == HabilitationStatus.REQUESTED  # staff still activate it


def test_weak_password_gets_french_errors(client, invited):
    _, token = invited
    url = open_link(client, token)
    response = client.post(url, {"password1": "123", "password2": "123"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "trop court" in page or "12 caractères" in page
    assert 'name="password1"' in client.get(url).content.decode()


def test_mismatched_passwords_are_refused(client, invited):
    _, token = invited
    response = client.post(
        open_link(client, token),
        {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x"},
    )
    assert "ne correspondent pas" in response.content.decode()


def test_a_used_link_is_gone(client, invited):
    _, token = invited
    response, aidant, _ = _complete(client, token)
    assert response.status_code == 302
    count = JournalEntry.objects.count()
    again = client.get(accept_url(token), follow=True)
    assert again.status_code == 410
    assert "déjà été utilisé" in again.content.decode()
    posted = client.post(ACCEPT_URL, {"password1": "x", "password2": "x"})
    assert posted.status_code == 410
    aidant.refresh_from_db()
    assert aidant.check_password(GOOD_PASSWORD)
    assert JournalEntry.objects.count() == count


def test_an_expired_link_is_gone(client, invited):
    invitation, token = invited
    later = timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS, minutes=1)
    with time_machine.travel(later):
        response = client.get(accept_url(token), follow=True)
        assert response.status_code == 410
        assert "expiré" in response.content.decode()
        client.post(
            ACCEPT_URL, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
        )
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert not invitation.aidant.has_usable_password()


def test_link_expiring_between_steps_changes_nothing(client, invited):
    invitation, token = invited
    url = open_link(client, token)
    client.post(url, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    client.get(url)
    device = TOTPDevice.objects.get(user=invitation.aidant, confirmed=False)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = client.post(url, {"otp_token": totp_now(device)})
    assert response.status_code == 410
    device.refresh_from_db()
    assert not device.confirmed
    invitation.aidant.refresh_from_db()
    assert not invitation.aidant.has_usable_password()


def test_an_unknown_link_is_a_404(client, db):
    response = client.get(accept_url("nope-this-is-not-a-token"), follow=True)
    assert response.status_code == 404
    assert "existe pas" in response.content.decode()


def test_existing_account_joins_only_signed_in_with_its_own_factor(
    client, structure, referent, other_structure_aidant, assert_journaled
):
    _, token = invite_aidant(
        structure=structure,
        by=referent,
        **{**NEW, "email": other_structure_aidant.email},
    )
    url = open_link(client, token)
    page = client.get(url).content.decode()
    assert "password1" not in page and "otp_token" not in page
    assert "Me connecter pour accepter" in page
    # The link alone does nothing.
    assert client.post(url).status_code == 200
    assert other_structure_aidant.habilitations.count() == 1

    login = client.post(
        "/connexion/?next=/invitation/",
        {"email": other_structure_aidant.email, "password": PASSWORD},
    )
    assert login.status_code == 302
    device = other_structure_aidant.totp_devices.get()
    otp = client.post(login["Location"], {"otp_token": totp_now(device)})
    assert otp["Location"] == url
    assert "Rejoindre la structure" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    other_structure_aidant.refresh_from_db()
    assert other_structure_aidant.check_password(PASSWORD)
    hab = Habilitation.objects.get(aidant=other_structure_aidant, structure=structure)
    assert hab.status == HabilitationStatus.REQUESTED
    assert_journaled(Action.INVITATION_ACCEPTED)


def test_unreachable_mail_server_is_reported_in_french(referent_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    response = referent_client.post(reverse("aidants:referent-invite"), NEW)
    assert response.status_code == 200
    assert "pas pu être envoyé" in response.content.decode()


def test_the_token_never_reaches_the_logs(client, invited, caplog):
    _, token = invited
    with caplog.at_level(logging.DEBUG):
        client.get(accept_url(token), follow=True)
        client.get(accept_url(token + "x"), follow=True)  # unknown: a 404 page
        _complete(client, token)
        client.get(accept_url(token), follow=True)  # used: a 410 page
    assert token not in caplog.text


def test_a_post_failing_csrf_on_the_link_never_logs_the_token(invited, caplog):
    _, token = invited
    browser = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.DEBUG):
        response = browser.post(accept_url(token), {"password1": "x"})
        browser.post(accept_url(token + "x"), {"password1": "x"})
        browser.put(accept_url(token))
    # The token URL never checks a form: it swaps the token and redirects.
    assert response.status_code == 303
    assert response["Location"] == ACCEPT_URL
    assert token not in caplog.text
    # The clean URL is where forms are checked (and CSRF refused, token-free).
    refused = browser.post(ACCEPT_URL, {"password1": "x"})
    assert refused.status_code == 403


def test_the_token_leaves_the_url_at_once(client, invited):
    _, token = invited
    response = client.get(accept_url(token))
    assert response.status_code == 303
    assert token not in response["Location"]
    assert token not in str(dict(client.session))


def test_a_reopened_invitation_keeps_the_secret_of_its_first_opening(invited):
    invitation, token = invited
    secrets_shown = []
    for _ in range(2):  # Two browsers (or a session that expired meanwhile).
        browser = Client()
        url = open_link(browser, token)
        browser.post(url, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
        page = browser.get(url).content.decode()
        secrets_shown.append(
            re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
        )
    assert secrets_shown[0] == secrets_shown[1]
    device = TOTPDevice.objects.get(user=invitation.aidant, confirmed=False)
    # The app scanned at the first opening confirms the account.
    done = browser.post(url, {"otp_token": totp_now(device)})
    assert done.status_code == 302
