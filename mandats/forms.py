"""Wizard forms: they validate with French messages and never write."""

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from aidants.demarches import Demarche
from aidants.models import Structure
from mandats.models import Duration


class MandatChoiceForm(DsfrBaseForm):
    """Step 1: the démarches (only those the structure allows) and the duration."""

    demarches = forms.MultipleChoiceField(
        label=_("Démarches confiées"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choisissez au moins une démarche."),
            "invalid_choice": _(
                "Cette démarche n'est pas proposée par votre structure."
            ),
        },
    )
    duration_days = forms.TypedChoiceField(
        label=_("Durée du mandat"),
        choices=Duration.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez une durée."),
            "invalid_choice": _("Cette durée n'est pas proposée."),
        },
    )

    def __init__(self, *args, structure: Structure, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = structure.demarches()
        self.fields["demarches"].choices = [
            (code, Demarche(code).label) for code in allowed
        ]


class ConfirmForm(DsfrBaseForm):
    """Final step: both people confirm, in person, after reading the attestation."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirm_usager = forms.BooleanField(
        label=_(
            "La personne a lu l'attestation de mandat et donne son accord "
            "pour que les aidants de la structure agissent pour elle."
        ),
        error_messages={"required": _("L'accord de la personne est nécessaire.")},
    )
    confirm_aidant = forms.BooleanField(
        label=_(
            "Je confirme avoir présenté le mandat à la personne et recueilli "
            "son accord en sa présence."
        ),
        error_messages={"required": _("Votre confirmation est nécessaire.")},
    )


# Fixed reasons, never free text: the reason is journaled, and the journal names
# people only by ids and codes (DESIGN.md, "Journal").
REVOCATION_REASONS = [
    ("usager", _("À la demande de la personne")),
    ("end", _("Fin de l'accompagnement")),
    ("error", _("Mandat établi par erreur")),
    ("other", _("Autre motif")),
]


class RevocationForm(DsfrBaseForm):
    """An aidant's confirmation of a revocation, with one of the fixed reasons."""

    reason = forms.ChoiceField(
        label=_("Motif de la révocation"),
        choices=REVOCATION_REASONS,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez un motif."),
            "invalid_choice": _("Choisissez un des motifs proposés."),
        },
    )

    def reason_label(self) -> str:
        return str(dict(REVOCATION_REASONS)[self.cleaned_data["reason"]])


class UsagerRevocationForm(DsfrBaseForm):
    """The usager's confirmation of a revocation: nothing to choose (the reason
    is fixed: the usager revoked it in their space)."""


class UsagerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher une personne"),
        help_text=_("Nom, prénom, ou date de naissance au format jj/mm/aaaa."),
        required=False,
        max_length=100,
        error_messages={
            "max_length": _("Recherche trop longue (100 caractères au plus).")
        },
    )
