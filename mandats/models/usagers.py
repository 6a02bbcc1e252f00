"""Usagers: the people aidants act for, as FranceConnect identified them."""

import uuid
from datetime import datetime

from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from aidants.models import Structure
from audit.actions import ActorType
from mandats.models.autorisations import Autorisation
from mandats.models.common import COUNTRY_FRANCE, Gender, _now, insee_code
from mandats.models.directory import COPIED, SearchMixin, StructureUsager
from mandats.models.mandates import Mandat


class UsagerQuerySet(SearchMixin, models.QuerySet):
    def with_live_autorisations(
        self,
        structure: Structure,
        demarches: list[str] | None = None,
        at: datetime | None = None,
    ) -> "UsagerQuerySet":
        """Usagers holding a live autorisation with `structure` (for one of
        `demarches` when given), each once: the pick lists."""
        autorisations = Autorisation.objects.live(at).for_structure(structure)
        if demarches is not None:
            autorisations = autorisations.filter(demarche__in=demarches)
        return self.filter(
            pk__in=autorisations.values("usager_id"), purged_at__isnull=True
        ).order_by("family_name", "given_name", "pk")

    def with_mandats_of(
        self, structure: Structure, at: datetime | None = None
    ) -> "UsagerQuerySet":
        """Usagers who hold or held a mandate with `structure`, each once, with
        `has_live` (a live autorisation there) and `renewable_uuid` (their latest
        expired, unrevoked mandate there): the aidant's list, renewals included."""
        at = _now(at)
        theirs = Mandat.objects.for_structure(structure).filter(usager=OuterRef("pk"))
        live = Autorisation.objects.live(at).for_structure(structure)
        return (
            self.filter(
                pk__in=Mandat.objects.for_structure(structure).values("usager_id"),
                purged_at__isnull=True,
            )
            .annotate(
                # A scalar subquery (an id or NULL), not EXISTS: PostgreSQL may
                # hash an EXISTS over every live autorisation of the structure
                # (600,000 in a large one) instead of probing the page's rows.
                has_live=Subquery(live.filter(usager=OuterRef("pk")).values("pk")[:1]),
                renewable_uuid=Subquery(
                    theirs.expired(at).order_by("-expires_at").values("uuid")[:1]
                ),
            )
            .order_by("family_name", "given_name", "pk")
        )


class Usager(models.Model):
    """A person identified through FranceConnect. Identity is never typed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    given_name = models.CharField(_("prénoms"), max_length=255)
    family_name = models.CharField(_("nom de naissance"), max_length=255)
    preferred_username = models.CharField(_("nom d'usage"), max_length=255, blank=True)
    birthdate = models.DateField(_("date de naissance"))
    gender = models.CharField(_("sexe"), max_length=8, choices=Gender.choices)
    # Blank for people born abroad (birthcountry is then not 99100).
    birthplace = models.CharField(
        _("lieu de naissance (INSEE)"),
        max_length=5,
        blank=True,
        validators=[insee_code],
    )
    birthcountry = models.CharField(
        _("pays de naissance (INSEE)"),
        max_length=5,
        default=COUNTRY_FRANCE,
        validators=[insee_code],
    )
    email = models.EmailField(_("adresse électronique"), blank=True)
    fc_sub = models.CharField(_("identifiant FranceConnect"), max_length=255)
    fc_issuer = models.CharField(_("fournisseur FranceConnect"), max_length=255)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    purged_at = models.DateTimeField(_("données purgées le"), null=True, blank=True)

    objects = UsagerQuerySet.as_manager()

    class Meta:
        verbose_name = _("usager")
        verbose_name_plural = _("usagers")
        ordering = ["family_name", "given_name"]
        # No name or birthdate index: the usager lists read the structures'
        # directory (mandats.models.directory); migration 0008 dropped them.
        constraints = [
            models.UniqueConstraint(
                fields=["fc_issuer", "fc_sub"], name="usager_unique_fc_identity"
            ),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="usager_gender_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        """Save; a change of names or birthdate reaches the structures'
        directories (mandats.models.directory) in the same transaction."""
        adding = self._state.adding
        fields = kwargs.get("update_fields")
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            if not adding and (fields is None or set(fields) & set(COPIED)):
                StructureUsager.objects.copy_names(self)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def journal_id(self) -> str:
        return str(self.uuid)

    def journal_actor(self) -> tuple[str, str]:
        return ActorType.USAGER, str(self.uuid)

    def initials(self) -> str:
        """First given name's and family name's initials, e.g. "A. D."."""
        parts = [self.given_name.split()[:1], self.family_name.split()[:1]]
        return " ".join(f"{p[0][0].upper()}." for p in parts if p and p[0])

    def identity_pivot(self) -> dict[str, str]:
        """FranceConnect identity pivot, in FranceConnect's formats."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "birthdate": self.birthdate.isoformat(),
            "gender": self.gender,
            "birthplace": self.birthplace,
            "birthcountry": self.birthcountry,
        }
