"""Second factors: TOTP devices (apps and cards), enrolment links, physical
cards and backup codes (stored as keyed hashes)."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

from aidants.models.people import Aidant, SingleUseLink
from aidants.models.structures import Structure
from audit.sealing import SealedField, pepper_hmacs, seal, unseal


class DeviceKind(models.TextChoices):
    """The kinds of second factor, and their one label (account page, référent
    pages, the e-mail telling the holder a factor changed). The value is what
    the journal's `device` detail holds."""

    PASSKEY = "passkey", _("Clé d'accès (passkey)")
    CARD = "card", _("Carte physique")
    TOTP_APP = "totp_app", _("Application")
    BACKUP_CODES = "backup_codes", _("Codes de secours")


def device_kind(device: Device) -> DeviceKind:
    """The kind of one of an aidant's devices (a passkey is a WebAuthn credential)."""
    if isinstance(device, BackupCodeDevice):
        return DeviceKind.BACKUP_CODES
    if isinstance(device, TOTPDevice):
        return DeviceKind.CARD if hasattr(device, "carte") else DeviceKind.TOTP_APP
    return DeviceKind.PASSKEY


def new_sealed_totp_key() -> str:
    """A fresh random 160-bit TOTP seed (RFC 4226 §4), sealed."""
    return seal(secrets.token_bytes(20))


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's TOTP device (apps and physical cards) whose seed is sealed
    under the key-encryption key (audit.sealing): a copy of the database alone
    yields no seed. Same fields and API as `otp_totp.TOTPDevice` (`key` in hex,
    `bin_key`, `verify_token`, `config_url`), which is kept installed only for
    its migration history and stays empty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_devices",
        help_text="The user that this device belongs to.",
    )
    sealed_key = SealedField(_("graine chiffrée"), default=new_sealed_totp_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("dispositif TOTP")
        verbose_name_plural = _("dispositifs TOTP")

    @property
    def bin_key(self) -> bytes:
        """The seed, opened with the key-encryption key."""
        return unseal(self.sealed_key)

    @property
    def key(self) -> str:
        """The seed in hex, as django-otp's `TOTPDevice.key`."""
        return self.bin_key.hex()

    @key.setter
    def key(self, value: str) -> None:
        self.sealed_key = seal(bytes.fromhex(value))

    # django-otp's own TOTP logic, unchanged: it reads the seed through
    # `bin_key` only, and calls no super().
    verify_token = PlainTOTPDevice.verify_token
    get_throttle_factor = PlainTOTPDevice.get_throttle_factor
    config_url = PlainTOTPDevice.config_url
    _read_str_from_settings = PlainTOTPDevice._read_str_from_settings


class EnrolmentLink(SingleUseLink):
    """A link to enrol a first (or replacement) second factor."""

    aidant = models.ForeignKey(
        Aidant, on_delete=models.CASCADE, related_name="enrolment_links"
    )
    structure = models.ForeignKey(
        Structure, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    issued_by = models.ForeignKey(
        Aidant, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("lien d'activation du second facteur")

    def __str__(self) -> str:
        return f"EnrolmentLink {self.uuid}"

    def is_usable(self, at=None) -> bool:
        # A deactivated account enrols nothing, whatever link it still holds.
        return super().is_usable(at) and self.aidant.is_active


class CardUnlinkReason(models.TextChoices):
    LOST = "lost", _("carte perdue")
    BROKEN = "broken", _("carte défectueuse")
    LEFT = "left", _("l'aidant a quitté la structure")


class CarteTOTP(models.Model):
    """A physical TOTP card registered by a référent. The seed lives only in the
    linked django-otp device and is never displayed again."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    serial = models.CharField(_("numéro de série"), max_length=64, unique=True)
    # Null: in the team's stock, not yet given to a structure.
    structure = models.ForeignKey(
        Structure, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    aidant = models.ForeignKey(
        Aidant, null=True, blank=True, on_delete=models.SET_NULL, related_name="cartes"
    )
    device = models.OneToOneField(
        "aidants.TOTPDevice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carte",
    )
    registered_by = models.ForeignKey(
        Aidant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlink_reason = models.CharField(
        max_length=16, choices=CardUnlinkReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("carte OTP physique")
        verbose_name_plural = _("cartes OTP physiques")

    def __str__(self) -> str:
        return self.serial


BACKUP_CODE_PEPPER_PURPOSE = "backup-code"


def code_hashes(code: str) -> list[str]:
    """HMAC-SHA-256 of SHA-256(normalized code) under the backup-code pepper of
    each configured key-encryption key, current first (audit.sealing): 10^10
    codes cannot be tried offline without the pepper, which is not in the
    database. The inner SHA-256 lets migration 0003 wrap the older hashes."""
    normalized = code.strip().replace(" ", "").replace("-", "").lower()
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
    return pepper_hmacs(digest.encode("ascii"), purpose=BACKUP_CODE_PEPPER_PURPOSE)


def hash_code(code: str) -> str:
    """The value stored for a new backup code."""
    return code_hashes(code)[0]


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use backup codes, stored as keyed hashes (HMAC-SHA-256 with a
    pepper from outside the database; django-otp's static device stores them in
    clear)."""

    class Meta(Device.Meta):
        verbose_name = _("codes de secours")

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        if self.consume(str(token)):
            self.throttle_reset(commit=True)
            return True
        self.throttle_increment(commit=True)
        return False

    def consume(self, code: str) -> bool:
        """Delete the matching backup code; True when one matched.

        The lookup is on keyed hashes of a random code, so no timing leak of the
        code.
        """
        with transaction.atomic():
            deleted, _ = BackupCode.objects.filter(
                device=self, code_hash__in=code_hashes(code)
            ).delete()
        return deleted > 0


class BackupCode(models.Model):
    device = models.ForeignKey(
        BackupCodeDevice, on_delete=models.CASCADE, related_name="codes"
    )
    code_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["device", "code_hash"])]

    def __str__(self) -> str:
        return "Code de secours"
