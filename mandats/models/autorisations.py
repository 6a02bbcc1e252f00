"""Autorisations: one per démarche of a mandate.

Invariant kept by the database: never two non-revoked autorisations for one
(usager, structure, démarche). An autorisation whose mandate expired is still
"non-revoked" for that constraint: `mandats.services.create_mandat` revokes the
older autorisation (live or expired, reason "remplacée") before granting anew.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models, router
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.demarches import Demarche
from aidants.models import Structure
from config.prepared import PreparedFamily, PreparedQuery, listed
from mandats.models.common import RevokedBy, Status, _now

if TYPE_CHECKING:  # the usager module queries this one
    from mandats.models.usagers import Usager


class AutorisationQuerySet(models.QuerySet):
    def live(self, at: datetime | None = None) -> "AutorisationQuerySet":
        """Not revoked, in a mandate neither revoked nor expired at `at`."""
        return self.filter(
            revoked_at__isnull=True,
            mandat__revoked_at__isnull=True,
            mandat__expires_at__gt=_now(at),
        )

    def for_structure(self, structure: Structure | None) -> "AutorisationQuerySet":
        if structure is None:
            return self.none()
        return self.filter(structure=structure)

    def for_usager(self, usager: "Usager") -> "AutorisationQuerySet":
        return self.filter(usager=usager)

    def of_usager_here(
        self, structure_id: int, usager_uuid: object
    ) -> "AutorisationQuerySet":
        """With the structure `structure_id`, of the usager `usager_uuid`
        (never a purged one)."""
        return self.filter(
            structure_id=structure_id,
            usager__uuid=usager_uuid,
            usager__purged_at__isnull=True,
        )


class Autorisation(models.Model):
    """One démarche of a mandate; revocable alone.

    `usager` and `structure` copy the mandate's (set by the services) so that the
    database can enforce one non-revoked autorisation per (usager, structure,
    démarche).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mandat = models.ForeignKey(
        "mandats.Mandat", on_delete=models.PROTECT, related_name="autorisations"
    )
    usager = models.ForeignKey(
        "mandats.Usager", on_delete=models.PROTECT, related_name="autorisations"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="autorisations"
    )
    demarche = models.CharField(_("démarche"), max_length=32, choices=Demarche.choices)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    revoked_by_type = models.CharField(
        _("révoquée par (type)"), max_length=16, choices=RevokedBy.choices, blank=True
    )
    revoked_by_id = models.CharField(_("révoquée par"), max_length=64, blank=True)
    revocation_reason = models.TextField(_("motif de révocation"), blank=True)

    objects = AutorisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("autorisation")
        verbose_name_plural = _("autorisations")
        ordering = ["demarche"]
        constraints = [
            models.UniqueConstraint(
                fields=["usager", "structure", "demarche"],
                condition=Q(revoked_at__isnull=True),
                name="one_unrevoked_autorisation_per_demarche",
            ),
            models.UniqueConstraint(
                fields=["mandat", "demarche"], name="autorisation_unique_in_mandat"
            ),
            models.CheckConstraint(
                condition=Q(demarche__in=Demarche.values),
                name="autorisation_demarche_known",
            ),
        ]
        indexes = [
            models.Index(fields=["structure", "demarche", "revoked_at"]),
            models.Index(fields=["usager"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_demarche_display()} ({self.mandat_id})"

    @property
    def journal_id(self) -> str:
        return str(self.uuid)

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_live(self, at: datetime | None = None) -> bool:
        return not self.is_revoked() and self.mandat.is_live(at)

    def status(self, at: datetime | None = None) -> str:
        if self.is_revoked() or self.mandat.is_revoked():
            return Status.REVOKED
        if self.mandat.is_expired(at):
            return Status.EXPIRED
        return Status.LIVE


def _live_pick(structure_id, usager_uuid, demarche, at):
    return (
        Autorisation.objects.live(at)
        .of_usager_here(structure_id, usager_uuid)
        .filter(demarche=demarche)
        .select_related("usager", "mandat", "mandat__usager", "mandat__structure")[:1]
    )


# Compiled once per process (config/prepared.py): the aidant's approval.
_LIVE_PICK = PreparedQuery(
    _live_pick, structure_id="int", usager_uuid="uuid", demarche="str", at="datetime"
)


def live_autorisation(
    *, structure: Structure, usager_uuid: object, demarche: str
) -> Autorisation | None:
    """The live autorisation of the usager `usager_uuid` (not purged) with
    `structure` for `demarche`, with its usager and mandate; None when there is
    none or the value is not a UUID."""
    try:
        key = uuid.UUID(str(usager_uuid))
    except ValueError:
        return None
    found = _LIVE_PICK.run(
        router.db_for_read(Autorisation),
        structure_id=structure.pk,
        usager_uuid=key,
        demarche=demarche,
        at=timezone.now(),
    )
    return found[0] if found else None


def _live_of_usager(count: int) -> PreparedQuery:
    def build(*, structure_id, usager_uuid, at, **codes):
        return (
            Autorisation.objects.live(at)
            .of_usager_here(structure_id, usager_uuid)
            .filter(demarche__in=[codes[f"d{i}"] for i in range(count)])
            .select_related("usager")
        )

    kinds = listed("d", ["str"] * count)
    return PreparedQuery(
        build, structure_id="int", usager_uuid="uuid", at="datetime", **kinds
    )


# Compiled once per process and number of démarches: the démarche page.
_LIVE_OF_USAGER = PreparedFamily(_live_of_usager)


def live_autorisations_of(
    *, structure: Structure, usager_uuid: uuid.UUID, demarches: list[str]
) -> list[Autorisation]:
    """The live autorisations of the usager `usager_uuid` (not purged) with
    `structure` for one of `demarches`, each with its usager."""
    if not demarches:
        return []
    return _LIVE_OF_USAGER[len(demarches)].run(
        router.db_for_read(Autorisation),
        structure_id=structure.pk,
        usager_uuid=usager_uuid,
        at=timezone.now(),
        **listed("d", demarches),
    )
