from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actions import Action, ActorType

GENESIS_HASH = "0" * 64


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
