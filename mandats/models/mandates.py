"""Mandates: what a usager signed with a structure, for how long."""

import uuid
from datetime import datetime

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.models import Aidant, Structure
from mandats.models.common import Duration, RevokedBy, Status, _now, new_public_id
from mandats.models.directory import StructureUsager


class MandatQuerySet(models.QuerySet):
    def for_structure(self, structure: Structure | None) -> "MandatQuerySet":
        if structure is None:
            return self.none()
        return self.filter(structure=structure)

    def for_aidant(self, aidant: Aidant) -> "MandatQuerySet":
        """Mandates of the aidant's current structure (views: others give 404)."""
        return self.for_structure(getattr(aidant, "current_structure", None))

    def live(self, at: datetime | None = None) -> "MandatQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=_now(at))

    def expired(self, at: datetime | None = None) -> "MandatQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__lte=_now(at))

    def revoked(self) -> "MandatQuerySet":
        return self.filter(revoked_at__isnull=False)


class Mandat(models.Model):
    """A usager's consent that a structure's aidants act for them, for some
    démarches and a bounded time. Signed at creation; revocation is final."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(
        _("identifiant public"),
        max_length=64,
        unique=True,
        default=new_public_id,
        editable=False,
    )
    usager = models.ForeignKey(
        "mandats.Usager", on_delete=models.PROTECT, related_name="mandats"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="mandats"
    )
    created_by = models.ForeignKey(
        Aidant,
        on_delete=models.PROTECT,
        related_name="mandats_created",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    duration_days = models.PositiveSmallIntegerField(
        _("durée"), choices=Duration.choices
    )
    # FranceConnect auth_time, acr, sub digest, confirmed_by_usager_at,
    # confirmed_by_aidant_at (see mandats.services.create_mandat).
    consent = models.JSONField(_("preuve du consentement"), default=dict, blank=True)
    # The identity this mandate signed (pivot + FranceConnect issuer/sub), kept
    # with it: a later identification of the same usager (another structure's
    # wizard, a name change) updates the shared usager, never what was signed.
    usager_identity = models.JSONField(
        _("identité signée"), default=dict, blank=True, editable=False
    )
    signature = models.TextField(_("signature (JWS)"), blank=True)
    signing_kid = models.CharField(_("clé de signature"), max_length=128, blank=True)
    # One-time key of the wizard's confirmation: a double submit finds this
    # mandate instead of creating a second one.
    creation_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    renewed_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
        verbose_name=_("renouvelle le mandat"),
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by_type = models.CharField(
        _("révoqué par (type)"), max_length=16, choices=RevokedBy.choices, blank=True
    )
    revoked_by_id = models.CharField(_("révoqué par"), max_length=64, blank=True)
    revocation_reason = models.TextField(_("motif de révocation"), blank=True)
    # Set by mandats.reminders.send_expiry_reminders: one reminder per mandate.
    reminder_sent_at = models.DateTimeField(
        _("rappel d'expiration envoyé le"), null=True, blank=True, editable=False
    )

    objects = MandatQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandat")
        verbose_name_plural = _("mandats")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_days__in=Duration.values),
                name="mandat_duration_allowed",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="mandat_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by_type="")
                | Q(revoked_at__isnull=False) & ~Q(revoked_by_type=""),
                name="mandat_revocation_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["structure", "expires_at"]),
            models.Index(fields=["usager", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Mandat {self.uuid}"

    def save(self, *args, **kwargs):
        """Save; a new mandate enters its usager in the structure's directory
        (mandats.models.directory) in the same transaction."""
        adding = self._state.adding
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            if adding:
                StructureUsager.objects.enter(self.usager, self.structure_id)

    @property
    def journal_id(self) -> str:
        return str(self.uuid)

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at: datetime | None = None) -> bool:
        return _now(at) >= self.expires_at

    def is_live(self, at: datetime | None = None) -> bool:
        return not self.is_revoked() and not self.is_expired(at)

    def status(self, at: datetime | None = None) -> str:
        """ "revoked" wins over "expired": a revocation is final and explicit."""
        if self.is_revoked():
            return Status.REVOKED
        if self.is_expired(at):
            return Status.EXPIRED
        return Status.LIVE

    def get_status_display(self, at: datetime | None = None) -> str:
        return str(Status(self.status(at)).label)

    def demarches(self) -> list[str]:
        """Démarche codes granted by this mandate (revoked ones included), sorted."""
        return sorted({a.demarche for a in self.autorisations.all()})
