"""OTP devices: TOTP apps, physical cards and backup codes (stored hashed)."""

import base64
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django_otp_webauthn.models import WebAuthnCredential

import audit
from aidants.models import (
    Aidant,
    BackupCode,
    BackupCodeDevice,
    TOTPDevice,
    device_kind,
)
from aidants.models.devices import hash_code
from aidants.services.factors import record_factor_change

BACKUP_CODE_COUNT = 10
BACKUP_CODE_DIGITS = 10


def start_totp_enrolment(*, aidant: Aidant, name: str = "Application") -> TOTPDevice:
    """Create an unconfirmed TOTP device; its secret is shown once, to this aidant
    only, on the enrolment page. Replaces an earlier unconfirmed attempt."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=aidant, confirmed=False).delete()
        return TOTPDevice.objects.create(
            user=aidant,
            name=name,
            confirmed=False,
            tolerance=settings.OTP_TOTP_TOLERANCE,
        )


def kept_enrolment_device(link) -> TOTPDevice:
    """The unconfirmed app device of an e-mailed link (Invitation or
    EnrolmentLink): created at the link's first opening, then the same one (same
    secret) at every re-opening until confirmed, so a scanned QR code keeps
    working."""
    with transaction.atomic():
        link = type(link).objects.select_for_update().get(pk=link.pk)
        device = link.device
        if device is None or device.confirmed or device.user_id != link.aidant_id:
            device = start_totp_enrolment(aidant=link.aidant)
            link.device = device
            link.save(update_fields=["device"])
    return device


def confirm_totp_enrolment(*, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment when `token` is valid for the new device.

    Journals OTP_DEVICE_ADDED on success; returns False (nothing changed) otherwise.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if device.confirmed or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_factor_change(
            audit.Action.OTP_DEVICE_ADDED,
            aidant=device.user,
            by=device.user,
            details={"device": "totp_app"},
        )
    return True


def create_backup_codes(*, aidant: Aidant) -> list[str]:
    """Replace the aidant's backup codes; returns the new codes, shown once.

    Only their keyed hash is stored (`code_hashes`). Journals OTP_DEVICE_ADDED.
    """
    codes = [
        f"{secrets.randbelow(10**BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}"
        for _ in range(BACKUP_CODE_COUNT)
    ]
    with transaction.atomic():
        device, _ = BackupCodeDevice.objects.get_or_create(
            user=aidant, defaults={"name": "Codes de secours", "confirmed": True}
        )
        device.codes.all().delete()
        BackupCode.objects.bulk_create(
            BackupCode(device=device, code_hash=hash_code(code)) for code in codes
        )
        record_factor_change(
            audit.Action.OTP_DEVICE_ADDED,
            aidant=aidant,
            by=aidant,
            details={"device": "backup_codes"},
        )
    return [f"{code[:5]} {code[5:]}" for code in codes]


def provisioning_uri(device: TOTPDevice) -> str:
    """otpauth:// URI for the enrolment QR code (shown to the enrolling aidant only)."""
    return device.config_url


def provisioning_qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data URI (inline, CSP-friendly)."""
    # segno only draws the enrolment QR code: loaded on that page alone.
    import segno

    return segno.make(provisioning_uri(device), error="m").svg_data_uri(scale=5)


def secret_base32(device: TOTPDevice) -> str:
    """The seed in base32, grouped by 4, for manual entry on the enrolment page."""

    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def devices_by_aidant(aidant_ids) -> dict[int, list[dict]]:
    """The aidants' confirmed second factors, as every page lists them (the
    account page, the référent's pages): kind and its label (DeviceKind), name,
    card serial, backup codes left, last use. Only display values leave this
    function, never a device (and so never a seed or a code)."""
    rows: dict[int, list[dict]] = {}

    def add(device, **extra) -> None:
        kind = device_kind(device)
        rows.setdefault(device.user_id, []).append(
            {
                "kind": kind.value,
                "label": kind.label,
                "name": device.name,
                "last_used_at": getattr(device, "last_used_at", None),
                **extra,
            }
        )

    totp = TOTPDevice.objects.filter(user_id__in=aidant_ids, confirmed=True)
    for device in totp.select_related("carte").order_by("pk"):
        card = getattr(device, "carte", None)
        add(device, serial=card.serial if card else "")
    backup = BackupCodeDevice.objects.filter(user_id__in=aidant_ids, confirmed=True)
    for device in backup.annotate(left=Count("codes")).order_by("pk"):
        add(device, remaining=device.left)
    passkeys = WebAuthnCredential.objects.filter(user_id__in=aidant_ids, confirmed=True)
    for device in passkeys.order_by("pk"):
        add(device)
    return rows


def devices_overview(aidant: Aidant) -> list[dict]:
    """`devices_by_aidant` for one aidant (their account page)."""
    return devices_by_aidant([aidant.pk]).get(aidant.pk, [])
