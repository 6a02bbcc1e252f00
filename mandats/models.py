"""Usagers, mandates and autorisations (one per démarche).

Invariant kept by the database: never two non-revoked autorisations for one
(usager, structure, démarche). An autorisation whose mandate expired is still
"non-revoked" for that constraint: `mandats.services.create_mandat` revokes the
older autorisation (live or expired, reason "remplacée") before granting anew.
"""

import base64
import secrets
import uuid
from datetime import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.demarches import Demarche
from aidants.models import Aidant, Structure
from audit.actions import ActorType

insee_code = RegexValidator(
    r"^[0-9][0-9AB][0-9]{3}$", _("Code INSEE à 5 caractères attendu.")
)
COUNTRY_FRANCE = "99100"


class Gender(models.TextChoices):
    MALE = "male", _("masculin")
    FEMALE = "female", _("féminin")


class Duration(models.IntegerChoices):
    """The only mandate durations, in days."""

    ONE_DAY = 1, _("1 jour")
    ONE_MONTH = 31, _("1 mois")
    SIX_MONTHS = 182, _("6 mois")
    ONE_YEAR = 365, _("12 mois")


class RevokedBy(models.TextChoices):
    AIDANT = "aidant", _("aidant")
    USAGER = "usager", _("usager")
    REFERENT = "referent", _("référent")
    SYSTEM = "system", _("système")


class Status(models.TextChoices):
    LIVE = "live", _("en cours")
    EXPIRED = "expired", _("expiré")
    REVOKED = "revoked", _("révoqué")


def new_public_id() -> str:
    """Random id for the public verification URL (160 bits), base32 lowercase:
    no "-" or "_", so it reads aloud and never looks like a command-line option."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


class UsagerQuerySet(models.QuerySet):
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
                has_live=Exists(live.filter(usager=OuterRef("pk"))),
                renewable_uuid=Subquery(
                    theirs.expired(at).order_by("-expires_at").values("uuid")[:1]
                ),
            )
            .order_by("family_name", "given_name", "pk")
        )

    def search(self, q: str) -> "UsagerQuerySet":
        """Filter on names (each word) or on a birthdate typed dd/mm/yyyy."""
        qs = self
        for word in (q or "").split():
            try:
                born = datetime.strptime(word, "%d/%m/%Y").date()  # noqa: DTZ007
            except ValueError:
                born = None
            if born is not None:
                qs = qs.filter(birthdate=born)
            else:
                qs = qs.filter(
                    Q(given_name__icontains=word)
                    | Q(family_name__icontains=word)
                    | Q(preferred_username__icontains=word)
                )
        return qs


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
    usager = models.ForeignKey(Usager, on_delete=models.PROTECT, related_name="mandats")
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

    def for_usager(self, usager: Usager) -> "AutorisationQuerySet":
        return self.filter(usager=usager)


class Autorisation(models.Model):
    """One démarche of a mandate; revocable alone.

    `usager` and `structure` copy the mandate's (set by the services) so that the
    database can enforce one non-revoked autorisation per (usager, structure,
    démarche).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mandat = models.ForeignKey(
        Mandat, on_delete=models.PROTECT, related_name="autorisations"
    )
    usager = models.ForeignKey(
        Usager, on_delete=models.PROTECT, related_name="autorisations"
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
