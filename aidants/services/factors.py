"""Second-factor changes seen by everyone concerned: journaled in every
structure the holder belongs to, and e-mailed to the holder."""

import logging
from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import access
from aidants.models import Aidant, DeviceKind, Structure

logger = logging.getLogger(__name__)


def record_factor_change(
    action: audit.Action, *, aidant: Aidant, by: Aidant | None, details: dict[str, Any]
) -> None:
    """Journal `action` (OTP_DEVICE_ADDED / _REMOVED) once per structure the
    holder belongs to (once without structure if none), inside the caller's
    transaction, and e-mail the holder once it commits. Raises nothing."""
    details = {"aidant": str(aidant.uuid), **details}
    structures: list[Structure | None] = [*access.factor_journal_structures(aidant)]
    for structure in structures or [None]:
        audit.record(action, actor=by, structure=structure, details=details)
    added = action == audit.Action.OTP_DEVICE_ADDED
    transaction.on_commit(
        partial(_send_notice, aidant.pk, details.get("device", ""), added),
        robust=True,
    )


def _send_notice(aidant_pk: int, kind: str, added: bool) -> None:
    aidant = Aidant.objects.get(pk=aidant_pk)
    context = {
        "aidant": aidant,
        "added": added,
        "kind": DeviceKind(kind).label if kind in DeviceKind.values else kind,
        "at": timezone.localtime(),
    }
    subject = (
        _("Relais : un second facteur a été ajouté à votre compte")
        if added
        else _("Relais : un second facteur a été retiré de votre compte")
    )
    try:
        send_mail(
            subject=subject,
            message=render_to_string("emails/factor_changed.txt", context),
            from_email=None,
            recipient_list=[aidant.email],
        )
    except OSError:  # smtplib.SMTPException is an OSError; the change stands.
        logger.warning("Second-factor notice not sent to account %s", aidant.uuid)


def end_all_sessions(aidant: Aidant) -> None:
    """Log the account out everywhere: a new session epoch invalidates the auth
    hash of every open session (checked by Django on each request)."""
    Aidant.objects.filter(pk=aidant.pk).update(session_epoch=F("session_epoch") + 1)
