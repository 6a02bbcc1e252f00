"""A structure's public request to join Relais, reviewed by staff.

The requester has no account: a private link (only its SHA-256 is stored) lets
them edit the draft, submit it and follow it.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from aidants.models import Aidant, Structure, StructureType
from aidants.validators import validate_siret


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("déposée, en cours d'examen")
    CHANGES_ASKED = "changes_asked", _("modifications demandées")
    ACCEPTED = "accepted", _("acceptée")
    REFUSED = "refused", _("refusée")


# States in which the requester may still change the request.
EDITABLE = (RequestStatus.DRAFT, RequestStatus.CHANGES_ASKED)


class HabilitationRequestQuerySet(models.QuerySet):
    def to_review(self) -> "HabilitationRequestQuerySet":
        return self.filter(status=RequestStatus.SUBMITTED)


class HabilitationRequest(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The private link is HMAC(SECRET_KEY, link_salt): nothing in the database
    # alone rebuilds it, and staff e-mails can carry it again later.
    link_salt = models.CharField(max_length=64)
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=RequestStatus.choices,
        default=RequestStatus.DRAFT,
    )
    structure_name = models.CharField(_("nom de la structure"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, validators=[validate_siret])
    structure_type = models.CharField(
        _("type de structure"), max_length=32, choices=StructureType.choices
    )
    address = models.CharField(_("adresse"), max_length=250)
    postcode = models.CharField(_("code postal"), max_length=5)
    commune = models.CharField(_("commune"), max_length=120)
    manager_first_name = models.CharField(_("prénom du responsable"), max_length=150)
    manager_last_name = models.CharField(_("nom du responsable"), max_length=150)
    manager_email = models.EmailField(_("adresse électronique du responsable"))
    manager_phone = models.CharField(
        _("téléphone du responsable"), max_length=32, blank=True
    )
    manager_role = models.CharField(_("fonction du responsable"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Aidant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    structure = models.ForeignKey(
        Structure, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = HabilitationRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande d'habilitation")
        verbose_name_plural = _("demandes d'habilitation")
        ordering = ["-submitted_at", "-created_at"]

    def __str__(self) -> str:
        return f"{self.structure_name} ({self.commune})"

    def is_editable(self) -> bool:
        return self.status in EDITABLE


class PersonRole(models.TextChoices):
    REFERENT = "referent", _("référent")
    AIDANT = "aidant", _("aidant")


class RequestedPerson(models.Model):
    """A future référent or aidant named in a request."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        HabilitationRequest, on_delete=models.CASCADE, related_name="people"
    )
    role = models.CharField(_("rôle"), max_length=16, choices=PersonRole.choices)
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    email = models.EmailField(_("adresse électronique"))
    profession = models.CharField(_("profession"), max_length=150)

    class Meta:
        ordering = ["role", "last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "role", "email"], name="one_role_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.get_role_display()})"


class MessageAuthor(models.TextChoices):
    REQUESTER = "requester", _("demandeur")
    STAFF = "staff", _("équipe Relais")


class RequestMessage(models.Model):
    request = models.ForeignKey(
        HabilitationRequest, on_delete=models.CASCADE, related_name="messages"
    )
    author_kind = models.CharField(max_length=16, choices=MessageAuthor.choices)
    author = models.ForeignKey(
        Aidant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} — {self.created_at:%Y-%m-%d}"


class TermsAcceptance(models.Model):
    """An aidant (référent, staff) accepted this version of the terms of use."""

    aidant = models.ForeignKey(
        Aidant, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    version = models.CharField(_("version"), max_length=32)
    accepted_at = models.DateTimeField(_("acceptées le"))

    class Meta:
        verbose_name = _("acceptation des conditions d'utilisation")
        constraints = [
            models.UniqueConstraint(
                fields=["aidant", "version"], name="one_acceptance_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.aidant} — {self.version}"
