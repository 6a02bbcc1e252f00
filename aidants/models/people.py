"""Aidants, their habilitations in structures and their invitations."""

import hashlib
import hmac
import uuid
from datetime import date, datetime

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

from aidants.models.structures import Structure
from audit.actions import ActorType


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
    # Not a field: (structure id, active?) loaded with the request's context
    # (aidants/context.py), read by aidants.access.has_active_habilitation.
    active_habilitation_in: tuple[int | None, bool] | None = None

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
    def active(
        self, at: datetime | None = None, *, day: date | None = None
    ) -> "HabilitationQuerySet":
        """Active status, unexpired (on `day`, or the day of `at`), in an active
        structure."""
        today = day or timezone.localdate(at or timezone.now())
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


def hash_token(raw_token: str) -> str:
    """SHA-256 of an e-mailed link's token: the only form of it that is stored."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


class SingleUseLinkQuerySet(models.QuerySet):
    def by_raw(self, raw_token: str):
        """The link whose stored hash is `raw_token`'s, or None (compared in
        constant time)."""
        token_hash = hash_token(raw_token or "")
        link = self.filter(token_hash=token_hash).first()
        if link is None or not hmac.compare_digest(link.token_hash, token_hash):
            return None
        return link


class SingleUseLink(models.Model):
    """A single-use, expiring e-mailed link (invitation, enrolment). Only the
    SHA-256 of its token is kept. `device`: the unconfirmed app device shown at
    the first opening, so a re-opened link shows the same secret until it is
    confirmed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
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

    objects = SingleUseLinkQuerySet.as_manager()

    class Meta:
        abstract = True

    def is_usable(self, at: datetime | None = None) -> bool:
        return self.used_at is None and (at or timezone.now()) < self.expires_at


class Invitation(SingleUseLink):
    """A link emailed to a new aidant (or an existing account) to join a
    structure."""

    aidant = models.ForeignKey(
        Aidant, on_delete=models.CASCADE, related_name="invitations"
    )
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        Aidant, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"Invitation {self.uuid}"
