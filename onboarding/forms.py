"""Forms of the habilitation request and of the staff space. They validate only."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from aidants.models import Structure, StructureType
from aidants.validators import validate_siret
from onboarding.models import PersonRole, RequestStatus


def _text(label: str, max_length: int, **kw) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        error_messages={"required": _("Ce champ est obligatoire.")},
        **kw,
    )


class RequestForm(DsfrBaseForm):
    structure_name = _text(_("Nom de la structure"), 200)
    siret = forms.CharField(
        label=_("SIRET"),
        help_text=_(
            "14 chiffres, sans espace (voir annuaire-entreprises.data.gouv.fr)."
        ),
        max_length=14,
        validators=[validate_siret],
        error_messages={"required": _("Saisissez le SIRET de la structure.")},
    )
    structure_type = forms.ChoiceField(
        label=_("Type de structure"),
        choices=[("", _("Choisissez un type"))] + StructureType.choices,
        error_messages={"required": _("Choisissez le type de la structure.")},
    )
    address = _text(_("Adresse postale"), 250)
    postcode = forms.RegexField(
        label=_("Code postal"),
        regex=r"^\d{5}$",
        max_length=5,
        error_messages={
            "required": _("Saisissez le code postal."),
            "invalid": _("Le code postal compte 5 chiffres."),
        },
    )
    commune = _text(_("Commune"), 120)
    manager_first_name = _text(_("Prénom du responsable"), 150)
    manager_last_name = _text(_("Nom du responsable"), 150)
    manager_role = _text(_("Fonction du responsable"), 150)
    manager_email = forms.EmailField(
        label=_("Adresse électronique du responsable"),
        help_text=_("Le lien de suivi de la demande sera envoyé à cette adresse."),
        error_messages={
            "required": _("Saisissez l'adresse électronique du responsable."),
            "invalid": _("Saisissez une adresse électronique valide."),
        },
    )
    manager_phone = forms.CharField(
        label=_("Téléphone du responsable"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )


class PersonForm(DsfrBaseForm):
    role = forms.ChoiceField(
        label=_("Rôle"),
        choices=PersonRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le rôle de la personne.")},
    )
    first_name = _text(_("Prénom"), 150)
    last_name = _text(_("Nom"), 150)
    email = forms.EmailField(
        label=_("Adresse électronique"),
        error_messages={
            "required": _("Saisissez l'adresse électronique."),
            "invalid": _("Saisissez une adresse électronique valide."),
        },
    )
    profession = _text(_("Profession"), 150)


class MessageForm(DsfrBaseForm):
    body = forms.CharField(
        label=_("Message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Écrivez votre message.")},
    )


class SubmitForm(DsfrBaseForm):
    message = forms.CharField(
        label=_("Message à l'équipe Relais (facultatif)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RefuseForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Motif du refus"),
        help_text=_("Il sera envoyé au demandeur."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Indiquez le motif du refus.")},
    )


class StatusFilterForm(DsfrBaseForm):
    statut = forms.ChoiceField(
        label=_("Statut"),
        choices=[("", _("Toutes"))]
        + [
            (c, capfirst(label))
            for c, label in RequestStatus.choices
            if c != RequestStatus.DRAFT
        ],
        required=False,
    )


class ActivateForm(DsfrBaseForm):
    valid_until = forms.DateField(
        label=_("Valable jusqu'au (facultatif)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide.")},
    )


class AcceptTermsForm(DsfrBaseForm):
    version = forms.CharField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        label=_("J'ai lu et j'accepte les conditions d'utilisation"),
        error_messages={
            "required": _("Cochez la case pour accepter les conditions d'utilisation.")
        },
    )


class CardImportForm(DsfrBaseForm):
    file = forms.FileField(
        label=_("Fichier CSV des cartes"),
        help_text=_(
            "Une carte par ligne : numéro de série, clé secrète en base32 et, "
            "facultativement, la période (30 ou 60 secondes)."
        ),
        error_messages={"required": _("Choisissez le fichier CSV des cartes.")},
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 1_000_000:
            raise forms.ValidationError(_("Le fichier dépasse 1 Mo."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("Le fichier doit être encodé en UTF-8.")
            ) from exc


class CardAssignForm(DsfrBaseForm):
    siret = forms.CharField(
        label=_("SIRET de la structure"),
        max_length=14,
        error_messages={"required": _("Saisissez le SIRET de la structure.")},
    )
    serials = forms.CharField(
        label=_("Numéros de série"),
        help_text=_("Un par ligne."),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Saisissez au moins un numéro de série.")},
    )

    def clean_siret(self):

        structure = Structure.objects.filter(
            siret=self.cleaned_data["siret"].strip(), active=True
        ).first()
        if structure is None:
            raise forms.ValidationError(_("Aucune structure active ne porte ce SIRET."))
        return structure

    def clean_serials(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["serials"].splitlines()]
