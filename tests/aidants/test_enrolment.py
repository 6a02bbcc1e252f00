"""A first second factor is enrolled only through a single-use, expiring
e-mailed link, never with the password alone."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from aidants.models import (
    Aidant,
    BackupCodeDevice,
    EnrolmentLink,
    Habilitation,
    TOTPDevice,
)
from aidants.services.cards import register_card
from aidants.services.enrolment import issue_enrolment_link
from aidants.services.invitations import hash_token
from audit import Action
from audit.models import JournalEntry
from tests.aidants.test_login import is_logged_in, password_login
from tests.conftest import verified_client
from tests.factories import PASSWORD, AidantFactory, HabilitationFactory, totp_now

CARD_SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
LINK_RE = re.compile(re.escape(settings.SITE_URL) + r"(/activation/[\w-]+/)")
NEW_PASSWORD = "une longue phrase de passe toute neuve"


def without_device(aidant, how, referent):
    if how == "card_lost":
        aidant.totp_devices.all().delete()
        card = register_card(
            structure=aidant.current_structure,
            by=referent,
            aidant=aidant,
            serial="SN-LOST",
            seed=CARD_SEED,
        )
        client = verified_client(Client(), referent)
        url = reverse("aidants:referent-card-unlink", kwargs={"card_uuid": card.uuid})
        assert client.post(url, {"reason": "lost"}).status_code == 302
    elif how == "backup_codes_spent":
        aidant.totp_devices.all().delete()
        BackupCodeDevice.objects.create(user=aidant, name="Codes", confirmed=True)
    else:  # created in the admin: a password, a habilitation, no device
        aidant.totp_devices.all().delete()


@pytest.mark.parametrize("how", ["card_lost", "backup_codes_spent", "created_in_admin"])
def test_password_alone_reaches_neither_enrolment_nor_any_aidant_page(
    client, aidant, referent, how, assert_journaled
):
    without_device(aidant, how, referent)
    response = password_login(client, aidant)
    assert response.status_code == 200
    page = response.content.decode()
    assert "nouveau lien d&#x27;activation du second facteur" in page
    assert not is_logged_in(client)
    entry = assert_journaled(Action.LOGIN_REFUSED, actor_id=str(aidant.uuid))
    assert entry.details["reason"] == "no_second_factor"
    for url in ("/compte/application/", "/usagers/", "/connexion/code/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("aidants:login"))
    client.post("/compte/application/", {"action": "start"})
    assert not TOTPDevice.objects.filter(user=aidant).exists()


def open_link(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response["Location"] == "/activation/"
    return client.get("/activation/")


def shown_secret(page) -> str:
    return re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)


def test_referent_sends_a_link_that_enrols_once_and_then_the_login_works(
    referent_client, referent, aidant, mailoutbox, assert_journaled
):
    aidant.totp_devices.all().delete()
    hab = Habilitation.objects.get(aidant=aidant)
    detail = reverse("aidants:referent-aidant", kwargs={"habilitation_uuid": hab.uuid})
    assert (
        "Renvoyer un lien d'activation" in referent_client.get(detail).content.decode()
    )
    url = reverse(
        "aidants:referent-enrolment-link", kwargs={"habilitation_uuid": hab.uuid}
    )
    assert referent_client.post(url).status_code == 302
    entry = assert_journaled(Action.ENROLMENT_LINK_ISSUED, actor_id=str(referent.uuid))
    assert [mail.to for mail in mailoutbox] == [[aidant.email]]
    path = LINK_RE.search(mailoutbox[0].body).group(1)
    token = path.rstrip("/").rsplit("/", 1)[1]
    link = EnrolmentLink.objects.get()
    assert link.token_hash == hash_token(token)
    assert token not in str(entry.details)

    first = open_link(Client(), path).content.decode()
    holder = Client()
    page = open_link(holder, path).content.decode()
    # Re-opened: the same secret as at the first opening.
    assert shown_secret(page) == shown_secret(first)
    device = TOTPDevice.objects.get(user=aidant, confirmed=False)
    done = holder.post("/activation/", {"otp_token": totp_now(device)})
    assert done.status_code == 302 and done["Location"] == reverse("aidants:login")
    device.refresh_from_db()
    assert device.confirmed
    # Enrolled, not logged in: the password and the new code are still needed.
    assert not is_logged_in(holder)
    assert password_login(holder, aidant).status_code == 302
    holder.post(reverse("aidants:otp"), {"otp_token": totp_now(device, 1)})
    assert DEVICE_ID_SESSION_KEY in holder.session
    again = Client().get(path, follow=True)
    assert again.status_code == 410


def test_staff_send_a_link_from_the_admin_to_an_account_without_password(
    staff_client, structure, mailoutbox
):
    aidant = Aidant.objects.create_user(
        "sans.mdp@relais.test", password=None, first_name="Sam", last_name="S"
    )
    HabilitationFactory(aidant=aidant, structure=structure)
    response = staff_client.post(
        "/admin/aidants/aidant/",
        {"action": "send_enrolment_link", "_selected_action": [aidant.pk]},
    )
    assert response.status_code == 302
    path = LINK_RE.search(mailoutbox[0].body).group(1)
    client = Client()
    page = open_link(client, path).content.decode()
    assert 'name="password1"' in page
    client.post("/activation/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.get("/activation/")
    device = TOTPDevice.objects.get(user=aidant, confirmed=False)
    assert (
        client.post("/activation/", {"otp_token": totp_now(device)}).status_code == 302
    )
    aidant.refresh_from_db()
    assert aidant.check_password(NEW_PASSWORD)


def test_an_expired_link_is_gone(aidant, referent):
    aidant.totp_devices.all().delete()
    link = issue_enrolment_link(
        aidant=aidant, by=referent, structure=aidant.current_structure
    )
    later = link.expires_at + timedelta(minutes=1)
    from django.core import mail

    path = LINK_RE.search(mail.outbox[-1].body).group(1)
    with time_machine.travel(later):
        response = Client().get(path, follow=True)
    assert response.status_code == 410
    assert "expiré" in response.content.decode()


def test_no_link_for_a_staff_member_or_another_structures_aidant(
    client, referent, structure, staff, other_structure_aidant
):
    hab = HabilitationFactory(aidant=staff, structure=structure)
    verified_client(client, referent)
    url = reverse(
        "aidants:referent-enrolment-link", kwargs={"habilitation_uuid": hab.uuid}
    )
    assert client.post(url).status_code == 403
    other = Habilitation.objects.get(aidant=other_structure_aidant)
    url = reverse(
        "aidants:referent-enrolment-link", kwargs={"habilitation_uuid": other.uuid}
    )
    assert client.post(url).status_code == 404
    assert not EnrolmentLink.objects.exists()


def test_a_lost_card_logs_the_holder_out_everywhere_and_sends_a_link(
    referent_client, referent, aidant, structure, mailoutbox
):
    aidant.totp_devices.all().delete()
    card = register_card(
        structure=structure, by=referent, aidant=aidant, serial="SN-9", seed=CARD_SEED
    )
    holder = verified_client(Client(), aidant)
    assert holder.get("/usagers/").status_code == 200
    url = reverse("aidants:referent-card-unlink", kwargs={"card_uuid": card.uuid})
    assert referent_client.post(url, {"reason": "lost"}).status_code == 302
    response = holder.get("/usagers/")
    assert response.status_code == 302
    assert not is_logged_in(holder)
    removed = JournalEntry.objects.filter(action=Action.OTP_DEVICE_REMOVED).last()
    assert removed.details["sessions_ended"] is True
    assert any(LINK_RE.search(mail.body) for mail in mailoutbox)
    assert EnrolmentLink.objects.filter(aidant=aidant).exists()


def test_a_broken_card_does_not_end_the_sessions(
    referent_client, referent, aidant, structure
):
    card = register_card(
        structure=structure, by=referent, aidant=aidant, serial="SN-8", seed=CARD_SEED
    )
    holder = verified_client(Client(), aidant)
    url = reverse("aidants:referent-card-unlink", kwargs={"card_uuid": card.uuid})
    referent_client.post(url, {"reason": "broken"})
    assert holder.get("/usagers/").status_code == 200


def test_password_reset_answers_the_same_and_mails_only_a_real_account(
    client, aidant, mailoutbox
):
    login_page = client.get(reverse("aidants:login")).content.decode()
    assert reverse("aidants:password-reset") in login_page
    assert "Mot de passe oublié ?" in login_page
    answers = []
    for email in (aidant.email, "personne@relais.test"):
        response = client.post(
            reverse("aidants:password-reset"), {"email": email}, follow=True
        )
        main = response.content.decode().split("<main")[1]
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", main))
    assert answers[0] == answers[1]
    assert [mail.to for mail in mailoutbox] == [[aidant.email]]
    entries = JournalEntry.objects.filter(action=Action.PASSWORD_RESET_REQUESTED)
    assert entries.count() == 2
    assert "personne@relais.test" not in str(list(entries.values("details")))


def test_password_reset_link_works_once_and_logs_other_sessions_out(
    client, aidant, mailoutbox, assert_journaled
):
    other_session = verified_client(Client(), aidant)
    client.post(reverse("aidants:password-reset"), {"email": aidant.email})
    link = re.search(
        re.escape(settings.SITE_URL) + r"(/connexion/mot-de-passe/\S+)",
        mailoutbox[0].body,
    ).group(1)
    response = client.get(link)
    assert response.status_code == 302
    clean = response["Location"]
    assert "set-password" in clean and link.split("/")[-2] not in clean
    client.post(clean, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    aidant.refresh_from_db()
    assert aidant.check_password(NEW_PASSWORD)
    assert_journaled(Action.PASSWORD_RESET, actor_id=str(aidant.uuid))
    assert other_session.get("/usagers/").status_code == 302
    again = Client().get(link, follow=True).content.decode()
    assert "Lien non valable" in again
    # The second factor is still asked.
    assert password_login(client, aidant, password=NEW_PASSWORD).status_code == 302
    assert client.get("/usagers/")["Location"].startswith(reverse("aidants:otp"))


def test_password_reset_for_an_unknown_address_sends_nothing(client, db, mailoutbox):
    client.post(reverse("aidants:password-reset"), {"email": "x@relais.test"})
    assert mailoutbox == []
    assert not is_logged_in(client)


def test_a_factor_removed_is_emailed_to_the_holder(
    referent_client,
    referent,
    aidant,
    structure,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    card = register_card(
        structure=structure, by=referent, aidant=aidant, serial="SN-7", seed=CARD_SEED
    )
    mailoutbox.clear()
    url = reverse("aidants:referent-card-unlink", kwargs={"card_uuid": card.uuid})
    with django_capture_on_commit_callbacks(execute=True):
        referent_client.post(url, {"reason": "broken"})
    assert [mail.to for mail in mailoutbox] == [[aidant.email]]
    assert "retiré" in mailoutbox[0].subject
    assert PASSWORD not in mailoutbox[0].body


def test_an_unused_account_created_by_staff_is_told_the_same(client, structure):
    aidant = AidantFactory()
    HabilitationFactory(aidant=aidant, structure=structure)
    response = password_login(client, aidant)
    assert "activation du second facteur" in response.content.decode()
    assert not is_logged_in(client)


def test_a_lost_app_reported_by_the_referent_ends_sessions_and_sends_a_link(
    referent_client, referent, aidant, mailoutbox
):
    holder = verified_client(Client(), aidant)
    hab = Habilitation.objects.get(aidant=aidant)
    detail = reverse("aidants:referent-aidant", kwargs={"habilitation_uuid": hab.uuid})
    assert "Signaler l'application comme perdue" in (
        referent_client.get(detail).content.decode()
    )
    url = reverse("aidants:referent-app-lost", kwargs={"habilitation_uuid": hab.uuid})
    assert referent_client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=aidant).exists()
    assert holder.get("/usagers/").status_code == 302
    assert not is_logged_in(holder)
    removed = JournalEntry.objects.filter(action=Action.OTP_DEVICE_REMOVED).last()
    assert removed.actor_id == str(referent.uuid)
    assert removed.details["sessions_ended"] is True
    assert LINK_RE.search(mailoutbox[-1].body)
    assert mailoutbox[-1].to == [aidant.email]
    # The password alone is now refused, with the way out.
    response = password_login(Client(), aidant)
    assert "activation du second facteur" in response.content.decode()
