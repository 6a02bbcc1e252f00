"""Physical TOTP cards registered by a référent.

The seed typed by the référent goes straight into the django-otp device and is
never displayed, journaled or logged afterwards.
"""

import base64
import binascii
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import access
from aidants.exceptions import AidantsError, InvalidTransition, NotAllowed
from aidants.models import (
    Aidant,
    CardUnlinkReason,
    CarteTOTP,
    Structure,
    TOTPDevice,
)
from aidants.services.enrolment import issue_enrolment_link
from aidants.services.factors import end_all_sessions, record_factor_change

# RFC 4226 §4: at least 128 bits of secret; TOTPDevice.key holds 40 bytes at most.
MIN_SEED_BYTES = 16
MAX_SEED_BYTES = 40
ALLOWED_STEPS = (30, 60)


class InvalidSeed(AidantsError, ValueError):
    """The seed is not a usable base32 secret."""


def parse_seed(seed: str) -> bytes:
    """Decode a base32 seed as printed on cards (spaces, dashes, lowercase and
    missing padding tolerated). Raises InvalidSeed with a French message."""
    cleaned = "".join(seed.split()).replace("-", "").upper().rstrip("=")
    if not cleaned:
        raise InvalidSeed(_("Saisissez la clé secrète de la carte."))
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSeed(
            _(
                "La clé secrète doit être en base32 : lettres A à Z et chiffres "
                "2 à 7 uniquement."
            )
        ) from exc
    if not MIN_SEED_BYTES <= len(key) <= MAX_SEED_BYTES:
        raise InvalidSeed(
            _("La clé secrète doit compter entre 26 et 64 caractères base32.")
        )
    return key


def register_card(
    *,
    structure: Structure,
    by: Aidant,
    aidant: Aidant,
    serial: str,
    seed: str,
    step: int = 30,
) -> CarteTOTP:
    """Link a physical TOTP card to an aidant of `structure`: a confirmed TOTP
    device (narrow drift window) plus a CarteTOTP row.

    Journals OTP_DEVICE_ADDED (serial only); raises NotAllowed, InvalidSeed or
    AidantsError (serial already registered, bad step).
    """
    if not access.can_manage_structure(by, structure):
        raise NotAllowed(_("Vous n'êtes pas référent de cette structure."))
    if not access.can_attach_device(by, aidant, structure):
        raise NotAllowed(
            _(
                "Une carte ne peut être associée qu'à un aidant dont l'habilitation "
                "est active dans votre structure."
            )
        )
    if step not in ALLOWED_STEPS:
        raise AidantsError(_("La période de la carte doit être 30 ou 60 secondes."))
    key = parse_seed(seed)
    serial = serial.strip()
    if not serial:
        raise AidantsError(_("Saisissez le numéro de série de la carte."))
    try:
        with transaction.atomic():
            if CarteTOTP.objects.filter(serial=serial).exists():
                raise AidantsError(_("Une carte porte déjà ce numéro de série."))
            device = TOTPDevice.objects.create(
                user=aidant,
                name=_("Carte %(serial)s") % {"serial": serial},
                key=key.hex(),
                step=step,
                confirmed=True,
                tolerance=settings.OTP_TOTP_TOLERANCE,
            )
            card = CarteTOTP.objects.create(
                serial=serial,
                structure=structure,
                aidant=aidant,
                device=device,
                registered_by=by,
            )
            record_factor_change(
                audit.Action.OTP_DEVICE_ADDED,
                aidant=aidant,
                by=by,
                details={
                    "device": "card",
                    "serial": serial,
                    "registered_in": structure.journal_id,
                },
            )
    except IntegrityError as exc:
        # Two référents registering the same serial at once.
        raise AidantsError(_("Une carte porte déjà ce numéro de série.")) from exc
    return card


def unlink_card(*, card: CarteTOTP, by: Aidant, reason: str) -> CarteTOTP:
    """Unlink a card: its TOTP device is deleted, the CarteTOTP row is kept with
    the date and reason. A card reported lost also ends every session of its
    holder and e-mails them an enrolment link (when they may receive one).
    Journals OTP_DEVICE_REMOVED (in every structure of the holder) and, for a
    lost card, ENROLMENT_LINK_ISSUED; raises NotAllowed, InvalidTransition
    (already unlinked) or AidantsError (unknown reason)."""
    if reason not in CardUnlinkReason.values:
        raise AidantsError(_("Choisissez un motif valable."))
    with transaction.atomic():
        card = (
            # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
            CarteTOTP.objects.select_for_update(of=("self",))
            .select_related("structure", "aidant")
            .get(pk=card.pk)
        )
        if not access.can_manage_structure(by, card.structure):
            raise NotAllowed(_("Vous n'êtes pas référent de cette structure."))
        if card.unlinked_at is not None:
            raise InvalidTransition(_("Cette carte est déjà dissociée."))
        if card.device_id is not None:
            TOTPDevice.objects.filter(pk=card.device_id).delete()
        card.device = None
        card.unlinked_at = timezone.now()
        card.unlink_reason = reason
        card.save(update_fields=["device", "unlinked_at", "unlink_reason"])
        lost = reason == CardUnlinkReason.LOST
        details: dict[str, Any] = {
            "device": "card",
            "serial": card.serial,
            "reason": reason,
        }
        if card.aidant is not None:
            if lost:
                end_all_sessions(card.aidant)
                details["sessions_ended"] = True
            record_factor_change(
                audit.Action.OTP_DEVICE_REMOVED,
                aidant=card.aidant,
                by=by,
                details=details,
            )
        else:
            audit.record(
                audit.Action.OTP_DEVICE_REMOVED,
                actor=by,
                structure=card.structure,
                details={**details, "aidant": ""},
            )
    if lost and card.aidant is not None:
        _send_replacement_link(card=card, by=by)
    return card


def _send_replacement_link(*, card: CarteTOTP, by: Aidant) -> None:
    holder = card.aidant
    if holder is None:
        return
    if access.can_issue_enrolment_link(by, holder, card.structure):
        issue_enrolment_link(aidant=holder, by=by, structure=card.structure)
