"""Login, OTP and account forms. They validate; the services act."""

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from aidants.services.login import normalize_token


def _email_field() -> forms.EmailField:
    """The account's e-mail, as the login and the password reset ask for it."""
    return forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        error_messages={
            "required": _("Saisissez votre adresse électronique."),
            "invalid": _("Saisissez une adresse électronique valide."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )


class LoginForm(DsfrBaseForm):
    email = _email_field()
    password = forms.CharField(
        label=_("Mot de passe"),
        max_length=256,
        strip=False,
        error_messages={"required": _("Saisissez votre mot de passe.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


def otp_code_field(label, help_text="") -> forms.CharField:
    """The one-time code's field, as every form asks for it."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=32,
        error_messages={"required": _("Saisissez le code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


class OtpForm(DsfrBaseForm):
    """The one form for a one-time code: the 6 digits of an app or a card. Its
    `LoginOtpForm` also takes a 10-digit backup code."""

    backup_codes = False
    otp_token = otp_code_field(
        _("Code à 6 chiffres affiché par l'application"),
        _("6 chiffres, par exemple 123456."),
    )

    def clean_otp_token(self) -> str:
        token = normalize_token(self.cleaned_data["otp_token"])
        if self.backup_codes:
            if not token.isdigit() or not 6 <= len(token) <= 10:
                raise forms.ValidationError(
                    _(
                        "Le code se compose de 6 chiffres (ou 10 pour un code de "
                        "secours)."
                    )
                )
        elif not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("Le code se compose de 6 chiffres."))
        return token


class LoginOtpForm(OtpForm):
    """The login's second step, the step-up and the passkey confirmation: an
    app's or a card's code, or a backup code."""

    backup_codes = True
    otp_token = otp_code_field(
        _("Code à usage unique"),
        _(
            "Le code à 6 chiffres de votre application ou de votre carte, "
            "ou un code de secours à 10 chiffres."
        ),
    )


class SwitchStructureForm(forms.Form):
    structure = forms.UUIDField(
        error_messages={"invalid": _("Structure inconnue.")},
    )


class PasswordResetRequestForm(DsfrBaseForm):
    email = _email_field()
