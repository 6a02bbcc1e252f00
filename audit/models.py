from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actions import Action, ActorType
from audit.sealing import SealedField, unseal

GENESIS_HASH = "0" * 64


class JournalEntryQuerySet(models.QuerySet):
    """Reads of the journal. Scoping comes first (`for_structure`, `for_actor`),
    then `filtered`; newest first is up to the caller (`order_by("-seq")`)."""

    def for_structure(self, structure_id: Any) -> "JournalEntryQuerySet":
        """Entries recorded for one structure (by its journal id, a UUID)."""
        return self.filter(structure_id=str(structure_id))

    def for_actor(self, actor_id: Any) -> "JournalEntryQuerySet":
        """Entries whose actor is this aidant, usager or staff member (journal id)."""
        return self.filter(actor_id=str(actor_id))

    def for_usager(self, usager_id: Any) -> "JournalEntryQuerySet":
        """Entries about one usager (their journal id)."""
        return self.filter(usager_id=str(usager_id))

    def filtered(
        self,
        *,
        actor_id: Any = None,
        usager_id: Any = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> "JournalEntryQuerySet":
        """Narrow by actor, usager, action and a [since, until) time range; None
        or empty values do not filter."""
        qs = self
        if actor_id:
            qs = qs.filter(actor_id=str(actor_id))
        if usager_id:
            qs = qs.filter(usager_id=str(usager_id))
        if action:
            qs = qs.filter(action=action)
        if since is not None:
            qs = qs.filter(created_at__gte=since)
        if until is not None:
            qs = qs.filter(created_at__lt=until)
        return qs


class JournalEntry(models.Model):
    """One append-only entry. Other apps' objects are named by plain ids, never by
    foreign keys, so that deleting personal data never has to touch the chain."""

    seq = models.BigIntegerField(_("numéro"), unique=True)
    created_at = models.DateTimeField(_("date"), db_index=True)
    action = models.CharField(_("action"), max_length=64, choices=Action.choices)
    actor_type = models.CharField(
        _("type d'acteur"), max_length=16, choices=ActorType.choices
    )
    actor_id = models.CharField(_("acteur"), max_length=64, blank=True)
    structure_id = models.CharField(_("structure"), max_length=64, blank=True)
    usager_id = models.CharField(_("usager"), max_length=64, blank=True)
    mandat_id = models.CharField(_("mandat"), max_length=64, blank=True)
    demarche = models.CharField(_("démarche"), max_length=32, blank=True)
    client_id = models.CharField(_("service en ligne"), max_length=128, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("entrées du journal")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["structure_id", "seq"], name="journal_structure_idx"),
            models.Index(fields=["actor_id", "seq"], name="journal_actor_idx"),
            models.Index(fields=["usager_id", "seq"], name="journal_usager_idx"),
            models.Index(fields=["mandat_id", "seq"], name="journal_mandat_idx"),
            models.Index(fields=["action", "seq"], name="journal_action_idx"),
            # The journal pages (newest first, keyset) and their filters: the
            # structure's, by action, by month; an aidant's own; a usager's uses.
            models.Index(
                fields=["structure_id", "created_at", "seq"],
                name="journal_structure_time_idx",
            ),
            models.Index(
                fields=["structure_id", "action", "created_at", "seq"],
                name="journal_struct_action_idx",
            ),
            models.Index(
                fields=["actor_id", "created_at", "seq"], name="journal_actor_time_idx"
            ),
            models.Index(
                fields=["usager_id", "action", "seq"], name="journal_usager_action_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class JournalHead(models.Model):
    """Single row holding the chain's head; locked to serialize appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("tête du journal")

    def __str__(self) -> str:
        return f"#{self.seq}"


class KeyAlgorithm(models.TextChoices):
    ES256 = "ES256", "ES256 (ECDSA P-256)"
    RS256 = "RS256", "RS256 (RSA 2048)"
    EDDSA = "EdDSA", "EdDSA (Ed25519)"


class KeyPurpose(models.TextChoices):
    """One key per purpose: a key that signs id_tokens never signs a mandate or
    a checkpoint. LEGACY: keys from before that rule (retired, still verify)."""

    ID_TOKEN = "id_token", _("id_tokens (publiée dans le JWKS)")
    MANDAT = "mandat", _("signature des mandats")
    CHECKPOINT = "checkpoint", _("points de contrôle du journal")
    LEGACY = "legacy", _("ancienne clé commune (retirée)")


class ServiceKey(models.Model):
    """One of the service's signing keys, for one purpose. One active key per
    purpose and algorithm; retired keys stay published for verification until
    the row is deleted. The private key is sealed under the key-encryption key
    (audit.sealing), and the published public key is derived from it: a row
    inserted without that key publishes nothing. Managed through `audit.keys`."""

    kid = models.CharField(_("identifiant de clé"), max_length=128, unique=True)
    purpose = models.CharField(
        _("usage"), max_length=16, choices=KeyPurpose.choices, db_index=True
    )
    alg = models.CharField(
        _("algorithme"),
        max_length=8,
        choices=KeyAlgorithm.choices,
        default=KeyAlgorithm.ES256,
    )
    sealed_private_key = SealedField(_("clé privée chiffrée"))
    # Informational (admin); what is published is derived from the sealed key.
    public_jwk = models.JSONField(_("clé publique (JWK)"))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("clé de signature")
        verbose_name_plural = _("clés de signature")
        ordering = ["-created_at"]
        constraints = [
            # Two workers creating "the" current key at once: one of them loses
            # here and reads the winner's key (see audit.keys.current_key).
            models.UniqueConstraint(
                fields=["purpose", "alg"],
                condition=models.Q(active=True),
                name="one_active_key_per_purpose_alg",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.alg} {self.kid}"

    def private_pem(self) -> bytes:
        """The private key (PEM), opened with the key-encryption key. Raises
        audit.sealing.SealError."""
        return unseal(self.sealed_private_key)


class JournalCheckpoint(models.Model):
    """A signed statement "the journal had entry `seq` with hash `entry_hash` at
    `created_at`". Lets `verify_journal` detect a truncated tail. Append-only."""

    seq = models.BigIntegerField(_("numéro d'entrée"), db_index=True)
    entry_hash = models.CharField(_("empreinte"), max_length=64)
    created_at = models.DateTimeField(_("date"))
    kid = models.CharField(_("identifiant de clé"), max_length=128)
    signature = models.TextField(_("signature (JWS)"))

    class Meta:
        verbose_name = _("point de contrôle du journal")
        verbose_name_plural = _("points de contrôle du journal")
        ordering = ["seq", "pk"]

    def __str__(self) -> str:
        return f"#{self.seq}"
