from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from aidants.models import Habilitation, HabilitationStatus
from audit import Action
from audit.models import JournalEntry
from tests.factories import AidantFactory, HabilitationFactory


def run() -> str:
    out = StringIO()
    call_command("deactivate_inactive_aidants", stdout=out)
    return out.getvalue()


def status(aidant):
    return Habilitation.objects.get(aidant=aidant).status


def actions():
    return list(JournalEntry.objects.values_list("action", flat=True))


@pytest.fixture
def now():
    return timezone.now()


def test_recent_aidant_is_left_alone(aidant, now, mailoutbox):
    aidant.last_login = now - timedelta(days=10)
    aidant.save()
    assert "0 aidant(s) averti(s), 0 habilitation(s)" in run()
    assert status(aidant) == HabilitationStatus.ACTIVE
    assert mailoutbox == []


def test_warned_once_by_email_before_suspension(aidant, now, mailoutbox):
    aidant.last_login = now - timedelta(days=settings.INACTIVITY_WARN_DAYS + 1)
    aidant.save()
    assert "1 aidant(s) averti(s)" in run()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [aidant.email]
    assert "suspendu" in mailoutbox[0].subject
    aidant.refresh_from_db()
    assert aidant.inactivity_warned_at is not None
    assert actions()[-1] == Action.INACTIVITY_WARNED
    assert status(aidant) == HabilitationStatus.ACTIVE

    count = JournalEntry.objects.count()
    assert "0 aidant(s) averti(s)" in run()  # idempotent
    assert len(mailoutbox) == 1
    assert JournalEntry.objects.count() == count


def test_suspended_after_six_months_without_login(aidant, now, mailoutbox):
    aidant.last_login = now - timedelta(days=settings.INACTIVITY_SUSPEND_DAYS + 1)
    aidant.save()
    assert "1 habilitation(s) suspendue(s)" in run()
    hab = Habilitation.objects.get(aidant=aidant)
    assert hab.status == HabilitationStatus.SUSPENDED
    assert "aucune connexion" in hab.reason
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == Action.HABILITATION_SUSPENDED
    assert entry.actor_type == "system"
    assert "0 habilitation(s) suspendue(s)" in run()  # idempotent


def test_never_logged_in_counts_from_date_joined(structure, now):
    aidant = AidantFactory(date_joined=now - timedelta(days=200), last_login=None)
    HabilitationFactory(aidant=aidant, structure=structure)
    run()
    assert status(aidant) == HabilitationStatus.SUSPENDED


def test_login_after_the_warning_prevents_suspension(aidant, now, mailoutbox):
    aidant.last_login = now - timedelta(days=settings.INACTIVITY_WARN_DAYS + 1)
    aidant.save()
    run()
    assert len(mailoutbox) == 1
    later = now + timedelta(days=40)
    with time_machine.travel(later):
        # Logged in two days after the warning, then nothing for 38 days.
        aidant.last_login = now + timedelta(days=2)
        aidant.save()
        run()
        assert status(aidant) == HabilitationStatus.ACTIVE
        assert len(mailoutbox) == 1
    # Inactive again long enough: a new warning, then the suspension.
    with time_machine.travel(
        now + timedelta(days=2 + settings.INACTIVITY_WARN_DAYS + 1)
    ):
        run()
        assert len(mailoutbox) == 2
    with time_machine.travel(
        now + timedelta(days=2 + settings.INACTIVITY_SUSPEND_DAYS + 1)
    ):
        run()
        assert status(aidant) == HabilitationStatus.SUSPENDED


def test_suspended_or_requested_habilitations_are_not_touched(structure, now):
    aidant = AidantFactory(last_login=now - timedelta(days=400))
    HabilitationFactory(
        aidant=aidant, structure=structure, status=HabilitationStatus.REQUESTED
    )
    count = JournalEntry.objects.count()
    run()
    assert status(aidant) == HabilitationStatus.REQUESTED
    assert JournalEntry.objects.count() == count


def test_unreachable_mail_server_leaves_the_aidant_to_retry(aidant, now, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    aidant.last_login = now - timedelta(days=settings.INACTIVITY_WARN_DAYS + 1)
    aidant.save()
    count = JournalEntry.objects.count()
    assert "1 avertissement(s) en échec" in run()
    aidant.refresh_from_db()
    assert aidant.inactivity_warned_at is None
    assert JournalEntry.objects.count() == count
