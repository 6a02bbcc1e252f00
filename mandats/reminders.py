"""Expiry reminders: the structure's active aidants hear about mandates ending
within REMINDER_DAYS, once per mandate (run by cron: `send_expiry_reminders`)."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants.emails import send_email
from aidants.models import Aidant, Habilitation
from mandats.models import Mandat

REMINDER_DAYS = 7
logger = logging.getLogger(__name__)


@dataclass
class ReminderReport:
    sent: list[Mandat] = field(default_factory=list)
    without_recipient: list[Mandat] = field(default_factory=list)
    failed: list[Mandat] = field(default_factory=list)


def recipients(mandat: Mandat, at: datetime) -> list[str]:
    """E-mails of the holding structure's aidants with an active habilitation."""
    active = Habilitation.objects.active(at).for_structure(mandat.structure)
    return sorted(
        Aidant.objects.filter(
            pk__in=active.values("aidant_id"), is_active=True
        ).values_list("email", flat=True)
    )


def _send(mandat: Mandat, to: list[str]) -> None:
    url = settings.SITE_URL.rstrip("/") + reverse(
        "mandats:mandat-detail", kwargs={"uuid": mandat.uuid}
    )
    # The mail names the usager by initials only: mail is not our database.
    context = {"mandat": mandat, "initials": mandat.usager.initials(), "url": url}
    send_email(
        "expiry_reminder",
        to=to,
        subject=_("Relais : un mandat expire bientôt"),
        context=context,
    )


def remind(mandat: Mandat, *, now: datetime) -> bool:
    """Email one mandate's reminder if still due; set reminder_sent_at and journal
    EXPIRY_REMINDER_SENT in the same transaction. False when not sent."""
    with transaction.atomic():
        # Lock: two cron runs at once must not both send.
        locked = (
            Mandat.objects.select_for_update()
            .select_related("usager", "structure")
            .get(pk=mandat.pk)
        )
        if locked.reminder_sent_at is not None or not locked.is_live(now):
            return False
        to = recipients(locked, now)
        if not to:
            return False
        # Sent inside the transaction: a failed send rolls back and the next run
        # retries; only a failed commit after the send could repeat it.
        _send(locked, to)
        locked.reminder_sent_at = now
        locked.save(update_fields=["reminder_sent_at"])
        audit.record(
            audit.Action.EXPIRY_REMINDER_SENT,
            actor=None,
            structure=locked.structure,
            usager=locked.usager,
            mandat=locked,
            details={
                "recipients": len(to),
                "expires_at": locked.expires_at.isoformat(),
            },
        )
    return True


def send_expiry_reminders(*, now: datetime | None = None) -> ReminderReport:
    """Remind about every live mandate ending within REMINDER_DAYS and not yet
    reminded. Idempotent: a second run sends nothing."""
    now = now or timezone.now()
    report = ReminderReport()
    due = (
        Mandat.objects.live(now)
        .filter(
            expires_at__lte=now + timedelta(days=REMINDER_DAYS),
            reminder_sent_at__isnull=True,
        )
        .order_by("expires_at", "pk")
    )
    for mandat in due.iterator():
        try:
            sent = remind(mandat, now=now)
        except Exception:  # noqa: BLE001 - one bad mail must not stop the others
            logger.exception("expiry reminder failed for mandat %s", mandat.uuid)
            report.failed.append(mandat)
            continue
        if sent:
            report.sent.append(mandat)
        else:
            report.without_recipient.append(mandat)
    return report
