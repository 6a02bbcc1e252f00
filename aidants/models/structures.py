"""Structures (mairies, France Services, associations…)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from aidants.demarches import CODES
from aidants.validators import validate_siret


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
        if not self.allowed_demarches:
            return list(CODES)
        allowed = set(self.allowed_demarches)
        return [code for code in CODES if code in allowed]
