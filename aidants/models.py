import secrets
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

from aidants.demarches import Demarche
from aidants.validators import validate_siret
from audit.actions import ActorType
from audit.sealing import SealedField, seal, unseal


class StructureType(models.TextChoices):
    MAIRIE = "mairie", _("Mairie")
    CCAS = "ccas", _("CCAS / CIAS")
    FRANCE_SERVICES = "france_services", _("France Services")
    ASSOCIATION = "association", _("Association")
    DEPARTEMENT = "departement", _("Département")
    OTHER = "other", _("Autre")


class Structure(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nom"), max_length=200)
    siret = models.CharField(
        _("SIRET"), max_length=14, unique=True, validators=[validate_siret]
    )
    type = models.CharField(
        _("type"), max_length=32, choices=StructureType.choices, default="other"
    )
    commune = models.CharField(_("commune"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    # Its aidants must prove the second factor with a passkey (phishing-resistant).
    require_passkey = models.BooleanField(
        _("exiger une clé d'accès (passkey)"), default=False
    )
    # Empty list: every démarche is allowed.
    allowed_demarches = models.JSONField(
        _("démarches autorisées"), default=list, blank=True
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.commune})"

    @property
    def journal_id(self) -> str:
        return str(self.uuid)

    def demarches(self) -> list[str]:
        """The démarche codes this structure's aidants may use, in catalogue order."""
        allowed = set(self.allowed_demarches or Demarche.values)
        return [code for code in Demarche.values if code in allowed]


class AidantManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class Aidant(AbstractBaseUser, PermissionsMixin):
    """A person who logs in to Relais: aidant, référent, or staff member."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("adresse électronique"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    profession = models.CharField(_("profession"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("compte actif"), default=True)
    is_staff = models.BooleanField(_("équipe Relais"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    current_structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure courante"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    inactivity_warned_at = models.DateTimeField(null=True, blank=True)
    # Bumped to end every session of the account at once (a lost factor): it is
    # part of the session auth hash that Django checks on each request.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = AidantManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("aidant")
        verbose_name_plural = _("aidants")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    def _session_hash(self, secret: str | None = None) -> str:
        return salted_hmac(
            "relais.aidants.Aidant.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        """HMAC of the password hash and the session epoch: a new password or a
        new epoch logs every session of the account out."""
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def journal_actor(self) -> tuple[str, str]:
        kind = ActorType.STAFF if self.is_staff else ActorType.AIDANT
        return kind, str(self.uuid)


class HabilitationStatus(models.TextChoices):
    REQUESTED = "requested", _("demandée")
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspendue")
    REVOKED = "revoked", _("révoquée")


class HabilitationQuerySet(models.QuerySet):
    def active(self, at: datetime | None = None) -> "HabilitationQuerySet":
        """Active status, unexpired, in an active structure."""
        today = timezone.localdate(at or timezone.now())
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            status=HabilitationStatus.ACTIVE,
            structure__active=True,
        )

    def referents(self, at: datetime | None = None) -> "HabilitationQuerySet":
        """Référent memberships that give référent powers now: the role lasts only
        while the habilitation itself is active and unexpired (see `active`)."""
        return self.active(at).filter(is_referent=True)

    def for_structure(self, structure: Structure) -> "HabilitationQuerySet":
        return self.filter(structure=structure)


class Habilitation(models.Model):
    """An aidant's membership of a structure and their right to act there."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    aidant = models.ForeignKey(
        Aidant, on_delete=models.PROTECT, related_name="habilitations"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="habilitations"
    )
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=HabilitationStatus.choices,
        default=HabilitationStatus.REQUESTED,
    )
    is_referent = models.BooleanField(_("référent"), default=False)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    requested_by = models.ForeignKey(
        Aidant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    requested_at = models.DateTimeField(_("demandée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        Aidant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True)

    objects = HabilitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        constraints = [
            models.UniqueConstraint(
                fields=["aidant", "structure"], name="one_habilitation_per_structure"
            )
        ]
        indexes = [models.Index(fields=["structure", "status"])]

    def __str__(self) -> str:
        return f"{self.aidant} — {self.structure.name} ({self.get_status_display()})"

    def is_active(self, at: datetime | None = None) -> bool:
        today: date = timezone.localdate(at or timezone.now())
        return (
            self.status == HabilitationStatus.ACTIVE
            and (self.valid_until is None or self.valid_until >= today)
            and self.structure.active
        )


class Invitation(models.Model):
    """A single-use, expiring link emailed to a new aidant. Only its hash is kept."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    aidant = models.ForeignKey(
        Aidant, on_delete=models.CASCADE, related_name="invitations"
    )
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        Aidant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The unconfirmed app device shown at the first opening: a re-opened link
    # shows the same secret until it is confirmed.
    device = models.ForeignKey(
        "TOTPDevice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"Invitation {self.uuid}"

    def is_usable(self, at: datetime | None = None) -> bool:
        return self.used_at is None and (at or timezone.now()) < self.expires_at


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


class EnrolmentLink(models.Model):
    """A single-use, expiring e-mailed link to enrol a first (or replacement)
    second factor. Only the SHA-256 of its token is kept."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    aidant = models.ForeignKey(
        Aidant, on_delete=models.CASCADE, related_name="enrolment_links"
    )
    structure = models.ForeignKey(
        Structure, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    issued_by = models.ForeignKey(
        Aidant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    device = models.ForeignKey(
        "TOTPDevice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lien d'activation du second facteur")

    def __str__(self) -> str:
        return f"EnrolmentLink {self.uuid}"

    def is_usable(self, at: datetime | None = None) -> bool:
        return self.used_at is None and (at or timezone.now()) < self.expires_at


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


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use backup codes, stored as keyed hashes (HMAC-SHA-256 with a
    pepper from outside the database; django-otp's static device stores them in
    clear)."""

    class Meta(Device.Meta):
        verbose_name = _("codes de secours")

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        from aidants.services.otp import consume_backup_code

        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        if consume_backup_code(self, str(token)):
            self.throttle_reset(commit=True)
            return True
        self.throttle_increment(commit=True)
        return False


class BackupCode(models.Model):
    device = models.ForeignKey(
        BackupCodeDevice, on_delete=models.CASCADE, related_name="codes"
    )
    code_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["device", "code_hash"])]

    def __str__(self) -> str:
        return "Code de secours"


class LoginDelay(models.Model):
    """Failed passwords for one login name, from every address: the per-account
    growing delay (aidants/services/login_delay.py). Keyed by a keyed hash of
    the e-mail, so unknown e-mails are delayed alike and no address is stored."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("délai de connexion")
        verbose_name_plural = _("délais de connexion")

    def __str__(self) -> str:
        return f"{self.key[:12]}… ({self.failures})"

    def wait_until(self, free: int, max_seconds: int) -> datetime | None:
        """When the next password may be checked, or None when at once."""
        extra = self.failures - free
        if extra <= 0 or self.last_failure_at is None:
            return None
        seconds = min(2 ** min(extra - 1, 30), max_seconds)
        return self.last_failure_at + timedelta(seconds=seconds)
