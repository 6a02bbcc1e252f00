"""`send_expiry_reminders`: once per mandate, to the structure's active aidants."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from audit.models import JournalEntry
from mandats.services import revoke_mandat
from tests.factories import AidantFactory, HabilitationFactory, MandatFactory


def ending_in(structure, days, **kw):
    created = timezone.now() - timedelta(days=31 - days)
    return MandatFactory(
        structure=structure, duration_days=31, created_at=created, **kw
    )


def test_reminder_goes_once_to_active_aidants(
    aidant, referent, other_structure_aidant, assert_journaled
):
    structure = aidant.current_structure
    suspended = AidantFactory(email="suspendu@relais.test")
    HabilitationFactory(aidant=suspended, structure=structure, status="suspended")
    inactive = AidantFactory(email="inactif@relais.test", is_active=False)
    HabilitationFactory(aidant=inactive, structure=structure)
    mandat = ending_in(
        structure, 5, usager__given_name="Angela", usager__family_name="Dubois"
    )
    call_command("send_expiry_reminders")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([aidant.email, referent.email])
    assert "A. D." in message.body and "Dubois" not in message.body
    assert f"/mandats/{mandat.uuid}/" in message.body
    mandat.refresh_from_db()
    assert mandat.reminder_sent_at is not None
    entry = assert_journaled("expiry_reminder_sent", mandat_id=str(mandat.uuid))
    assert entry.details["recipients"] == 2

    call_command("send_expiry_reminders")
    assert len(mail.outbox) == 1
    assert JournalEntry.objects.filter(action="expiry_reminder_sent").count() == 1


def test_only_live_mandates_ending_within_7_days(aidant):
    structure = aidant.current_structure
    later = ending_in(structure, 10)
    expired = MandatFactory(
        structure=structure,
        duration_days=1,
        created_at=timezone.now() - timedelta(days=2),
    )
    revoked = ending_in(structure, 3)
    revoke_mandat(mandat=revoked, by_type="aidant", by_id="x")
    call_command("send_expiry_reminders")
    assert mail.outbox == []
    for mandat in (later, expired, revoked):
        mandat.refresh_from_db()
        assert mandat.reminder_sent_at is None


def test_structure_without_active_aidant_sends_nothing(other_structure, capsys):
    mandat = ending_in(other_structure, 2)
    call_command("send_expiry_reminders")
    assert mail.outbox == []
    mandat.refresh_from_db()
    assert mandat.reminder_sent_at is None
    assert "sans aidant" in capsys.readouterr().out


def test_failed_send_is_retried_next_run(aidant, settings):
    mandat = ending_in(aidant.current_structure, 5)

    # A real SMTP connection to a closed loopback port: the server is down.
    locmem = settings.EMAIL_BACKEND
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    with pytest.raises(SystemExit):
        call_command("send_expiry_reminders")
    mandat.refresh_from_db()
    assert mandat.reminder_sent_at is None
    assert not JournalEntry.objects.filter(action="expiry_reminder_sent").exists()
    settings.EMAIL_BACKEND = locmem
    call_command("send_expiry_reminders")
    assert len(mail.outbox) == 1
