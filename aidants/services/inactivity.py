"""Suspension of aidants who no longer log in (run daily by cron)."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import audit
from aidants.exceptions import AidantsError
from aidants.models import Aidant, Habilitation
from aidants.services.habilitations import suspend_habilitation

logger = logging.getLogger(__name__)


@dataclass
class InactivityReport:
    warned: list[Aidant] = field(default_factory=list)
    suspended: list[Habilitation] = field(default_factory=list)
    failed: list[Aidant] = field(default_factory=list)


def last_seen(aidant: Aidant) -> datetime:
    return aidant.last_login or aidant.date_joined


def _warn(aidant: Aidant, *, now: datetime, suspend_on: datetime) -> None:
    # The mail goes first, outside any transaction (no lock held during SMTP): if
    # recording fails afterwards, the next run sends it again, which beats a
    # warning recorded but never sent.
    send_mail(
        subject=_("Relais : votre compte sera bientôt suspendu"),
        message=render_to_string(
            "emails/inactivity_warning.txt",
            {"aidant": aidant, "suspend_on": suspend_on, "url": settings.SITE_URL},
        ),
        from_email=None,
        recipient_list=[aidant.email],
    )
    with transaction.atomic():
        Aidant.objects.filter(pk=aidant.pk).update(inactivity_warned_at=now)
        audit.record(
            audit.Action.INACTIVITY_WARNED,
            actor=None,
            structure=aidant.current_structure,
            details={
                "aidant": str(aidant.uuid),
                "last_seen": last_seen(aidant).date().isoformat(),
            },
        )


def run_inactivity_check(*, now: datetime | None = None) -> InactivityReport:
    """Suspend the active habilitations of aidants unseen for
    INACTIVITY_SUSPEND_DAYS (journaled HABILITATION_SUSPENDED, by the system) and
    email those unseen for INACTIVITY_WARN_DAYS once (journaled
    INACTIVITY_WARNED). Idempotent: a second run the same day changes nothing."""
    now = now or timezone.now()
    suspend_before = now - timedelta(days=settings.INACTIVITY_SUSPEND_DAYS)
    warn_before = now - timedelta(days=settings.INACTIVITY_WARN_DAYS)
    report = InactivityReport()
    active = Habilitation.objects.active(now).select_related("aidant", "structure")
    by_aidant: dict[int, list[Habilitation]] = {}
    for hab in active.order_by("aidant_id", "pk"):
        by_aidant.setdefault(hab.aidant_id, []).append(hab)
    days = settings.INACTIVITY_SUSPEND_DAYS
    reason = ngettext(
        "Suspendue automatiquement : aucune connexion depuis %(days)s jour.",
        "Suspendue automatiquement : aucune connexion depuis %(days)s jours.",
        days,
    ) % {"days": days}
    for habs in by_aidant.values():
        aidant = habs[0].aidant
        seen = last_seen(aidant)
        if seen <= suspend_before:
            for hab in habs:
                report.suspended.append(
                    suspend_habilitation(habilitation=hab, by=None, reason=reason)
                )
        elif seen <= warn_before and (
            aidant.inactivity_warned_at is None or aidant.inactivity_warned_at < seen
        ):
            suspend_on = seen + timedelta(days=settings.INACTIVITY_SUSPEND_DAYS)
            try:
                _warn(aidant, now=now, suspend_on=suspend_on)
            except (OSError, AidantsError):
                # One unreachable mailbox must not stop the run; retried next time.
                logger.exception("Inactivity warning not sent to aidant %s", aidant.pk)
                report.failed.append(aidant)
            else:
                report.warned.append(aidant)
    return report
