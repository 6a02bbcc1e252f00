"""The team's stock of physical TOTP cards: CSV import, assignment to a
structure, then a référent links a card of the structure's stock to an aidant
after checking a code the card shows.

A stock card's seed lives where every card's seed lives: in its django-otp
TOTPDevice (CarteTOTP.device), unconfirmed and owned by an inactive system
account until a référent links it; it is never displayed or journaled.
"""

import csv
import io

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

import audit
from aidants import access
from aidants.exceptions import AidantsError, NotAllowed
from aidants.models import (
    Aidant,
    CarteTOTP,
    Habilitation,
    HabilitationStatus,
    Structure,
    TOTPDevice,
)
from aidants.services.cards import ALLOWED_STEPS, InvalidSeed, parse_seed

STOCK_OWNER_EMAIL = "stock-cartes@relais.invalid"
MAX_IMPORT_ROWS = 5000


class CardImportError(AidantsError):
    """The CSV file cannot be imported; nothing was imported."""


def stock_owner() -> Aidant:
    """The inactive account that holds stock cards' devices (it never logs in)."""
    owner, _created = Aidant.objects.get_or_create(
        email=STOCK_OWNER_EMAIL,
        defaults={"first_name": "Stock", "last_name": "cartes", "is_active": False},
    )
    return owner


def parse_card_csv(text: str) -> list[tuple[str, bytes, int]]:
    """Rows (serial, key, step) of a `serial,seed[,step]` CSV (a header line is
    allowed). Raises CardImportError naming the first bad line."""
    rows, seen = [], set()
    for number, line in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in line]
        if not any(cells) or (number == 1 and cells[0].lower() in {"serial", "numero"}):
            continue
        if len(cells) not in (2, 3):
            raise CardImportError(
                _("Ligne %(n)d : deux ou trois colonnes attendues.") % {"n": number}
            )
        serial, seed = cells[0], cells[1]
        try:
            step = int(cells[2]) if len(cells) == 3 and cells[2] else 30
            key = parse_seed(seed)
        except (ValueError, InvalidSeed) as exc:
            raise CardImportError(
                _("Ligne %(n)d : %(error)s") % {"n": number, "error": exc}
            ) from exc
        if not serial or step not in ALLOWED_STEPS:
            raise CardImportError(
                _("Ligne %(n)d : numéro de série ou période invalide.") % {"n": number}
            )
        if serial in seen:
            raise CardImportError(
                _("Ligne %(n)d : numéro de série en double.") % {"n": number}
            )
        seen.add(serial)
        rows.append((serial, key, step))
    if not rows:
        raise CardImportError(_("Le fichier ne contient aucune carte."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise CardImportError(
            _("Importez au plus %(n)d cartes à la fois.") % {"n": MAX_IMPORT_ROWS}
        )
    return rows


def import_cards(*, rows: list[tuple[str, bytes, int]], by: Aidant) -> int:
    """Staff add cards to the stock, all or nothing. Journals CARDS_IMPORTED
    (count and serials, never seeds); raises NotAllowed or CardImportError
    (a serial already known)."""
    if not access.can_activate_habilitation(by):
        raise NotAllowed(_("Seule l'équipe Relais gère le stock de cartes."))
    serials = [serial for serial, _key, _step in rows]
    with transaction.atomic():
        known = list(
            CarteTOTP.objects.filter(serial__in=serials).values_list(
                "serial", flat=True
            )[:5]
        )
        if known:
            raise CardImportError(
                _("Déjà enregistrées : %(serials)s.") % {"serials": ", ".join(known)}
            )
        owner = stock_owner()
        for serial, key, step in rows:
            device = TOTPDevice.objects.create(
                user=owner,
                name=_("Carte %(serial)s") % {"serial": serial},
                key=key.hex(),
                step=step,
                confirmed=False,
                tolerance=settings.OTP_TOTP_TOLERANCE,
            )
            CarteTOTP.objects.create(
                serial=serial, structure=None, device=device, registered_by=by
            )
        audit.record(
            audit.Action.CARDS_IMPORTED,
            actor=by,
            details={"count": len(rows), "serials": serials[:50]},
        )
    return len(rows)


def stock_cards():
    """Cards in stock (not linked to an aidant, never unlinked)."""
    return CarteTOTP.objects.filter(
        aidant__isnull=True, unlinked_at__isnull=True, device__isnull=False
    )


def assign_cards(*, serials: list[str], structure: Structure, by: Aidant) -> int:
    """Staff give stock cards to a structure. Journals CARDS_ASSIGNED; raises
    NotAllowed or CardImportError (a serial not in the team's stock)."""
    if not access.can_activate_habilitation(by):
        raise NotAllowed(_("Seule l'équipe Relais gère le stock de cartes."))
    serials = sorted({serial.strip() for serial in serials if serial.strip()})
    if not serials:
        raise CardImportError(_("Indiquez au moins un numéro de série."))
    with transaction.atomic():
        cards = (
            stock_cards()
            .select_for_update(of=("self",))
            .filter(structure__isnull=True, serial__in=serials)
        )
        found = set(cards.values_list("serial", flat=True))
        missing = [serial for serial in serials if serial not in found]
        if missing:
            raise CardImportError(
                _("Pas dans le stock de l'équipe : %(serials)s.")
                % {"serials": ", ".join(missing[:5])}
            )
        cards.update(structure=structure)
        audit.record(
            audit.Action.CARDS_ASSIGNED,
            actor=by,
            structure=structure,
            details={"count": len(serials), "serials": serials[:50]},
        )
    return len(serials)


def link_stock_card(
    *, card: CarteTOTP, aidant: Aidant, by: Aidant, otp_token: str
) -> bool:
    """A référent gives a card of the structure's stock to an aidant of the
    structure, proven by a code the card shows. Returns False (nothing changed)
    on a wrong code. Journals OTP_DEVICE_ADDED; raises NotAllowed or AidantsError."""
    with transaction.atomic():
        card = (
            CarteTOTP.objects.select_for_update(of=("self",))
            .select_related("structure")
            .get(pk=card.pk)
        )
        if card.structure is None or not access.can_manage_structure(
            by, card.structure
        ):
            raise NotAllowed(
                _("Cette carte n'est pas dans le stock de votre structure.")
            )
        if (
            card.aidant_id is not None
            or card.unlinked_at is not None
            or card.device_id is None
        ):
            raise AidantsError(_("Cette carte n'est plus disponible."))
        member = Habilitation.objects.for_structure(card.structure).filter(
            aidant=aidant
        )
        if not member.exclude(status=HabilitationStatus.REVOKED).exists():
            raise NotAllowed(_("Cet aidant n'est pas membre de votre structure."))
        device = TOTPDevice.objects.select_for_update().get(pk=card.device_id)
        if not device.verify_token(otp_token):
            return False
        device.user, device.confirmed = aidant, True
        device.save(update_fields=["user", "confirmed"])
        card.aidant, card.registered_by = aidant, by
        card.save(update_fields=["aidant", "registered_by"])
        audit.record(
            audit.Action.OTP_DEVICE_ADDED,
            actor=by,
            structure=card.structure,
            details={
                "device": "card",
                "serial": card.serial,
                "aidant": str(aidant.uuid),
            },
        )
    return True
