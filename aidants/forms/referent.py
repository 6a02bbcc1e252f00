"""Forms of the référent space and of the invitation pages. They validate only."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from aidants.demarches import Demarche
from aidants.demarches import options as demarche_options
from aidants.forms.auth import OtpForm, otp_code_field
from aidants.models import CardUnlinkReason, CarteTOTP
from aidants.services.cards import InvalidSeed, parse_seed


class NeverEchoedInput(forms.TextInput):
    """A text input that never renders a submitted value back (card seeds)."""

    def format_value(self, value):
        return None


class InviteAidantForm(DsfrBaseForm):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid": _("Saisissez une adresse électronique valide.")},
    )
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    profession = forms.CharField(label=_("Profession"), max_length=150)
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )


class ReasonForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indiquez le motif.")},
    )


class EndDateForm(DsfrBaseForm):
    valid_until = forms.DateField(
        label=_("Date de fin (facultative)"),
        help_text=_(
            "Au format jj/mm/aaaa. Après cette date, l'aidant ne peut plus agir."
        ),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide.")},
    )


class RegisterCardForm(DsfrBaseForm):
    serial = forms.CharField(
        label=_("Numéro de série de la carte"),
        max_length=64,
        error_messages={"required": _("Saisissez le numéro de série de la carte.")},
    )
    seed = forms.CharField(
        label=_("Clé secrète (base32)"),
        help_text=_(
            "Fournie avec la carte. Elle ne sera plus jamais affichée après "
            "l'enregistrement."
        ),
        max_length=128,
        widget=NeverEchoedInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Saisissez la clé secrète de la carte.")},
    )
    step = forms.TypedChoiceField(
        label=_("Durée de validité d'un code"),
        choices=[(30, _("30 secondes")), (60, _("60 secondes"))],
        coerce=int,
        initial=30,
        error_messages={"invalid_choice": _("Choisissez 30 ou 60 secondes.")},
    )

    def clean_serial(self) -> str:
        serial = self.cleaned_data["serial"].strip()
        if CarteTOTP.objects.filter(serial=serial).exists():
            raise forms.ValidationError(_("Une carte porte déjà ce numéro de série."))
        return serial

    def clean_seed(self) -> str:
        seed = self.cleaned_data["seed"]
        try:
            parse_seed(seed)
        except InvalidSeed as exc:
            raise forms.ValidationError(str(exc)) from exc
        return seed


class UnlinkCardForm(DsfrBaseForm):
    reason = forms.ChoiceField(
        label=_("Motif"),
        choices=CardUnlinkReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez un motif."),
            "invalid_choice": _("Choisissez un motif valable."),
        },
    )


class DemarchesForm(forms.Form):
    demarches = forms.MultipleChoiceField(
        label=_("Démarches autorisées"),
        choices=Demarche.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choisissez au moins une démarche."),
            "invalid_choice": _("Démarche inconnue."),
        },
    )

    def options(self) -> list[dict]:
        """One row per démarche for the template: code, label, description, checked."""
        if self.is_bound:
            selected = self.data.getlist("demarches")
        else:
            selected = self.initial.get("demarches", [])
        return demarche_options(Demarche.choices, selected)


class InvitationPasswordForm(DsfrBaseForm):
    """Step 1 of an invitation: choose a password (Django's validators)."""

    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2", _("Les deux mots de passe ne correspondent pas.")
            )
        elif password1:
            try:
                password_validation.validate_password(password1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ConfirmForm(DsfrBaseForm):
    """An empty form: the confirmation pages only need CSRF."""


class StockCardForm(OtpForm):
    """A référent picks a card of the structure's stock and types its code."""

    field_order = ["card", "otp_token"]
    otp_token = otp_code_field(_("Code affiché par la carte"))
    card = forms.ModelChoiceField(
        label=_("Carte du stock de la structure"),
        queryset=CarteTOTP.objects.none(),
        to_field_name="uuid",
        empty_label=_("Choisissez une carte"),
        error_messages={
            "required": _("Choisissez une carte."),
            "invalid_choice": _("Cette carte n'est pas dans le stock de la structure."),
        },
    )

    def __init__(self, *args, cards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = cards
        self.fields["card"].label_from_instance = lambda card: card.serial
