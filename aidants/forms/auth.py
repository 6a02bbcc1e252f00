"""Login, OTP and account forms. They validate; the services act."""

from django import forms
from django.utils.translation import gettext_lazy as _

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


class LoginForm(forms.Form):
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


class OtpForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code à usage unique"),
        help_text=_(
            "Le code à 6 chiffres de votre application ou de votre carte, "
            "ou un code de secours à 10 chiffres."
        ),
        max_length=32,
        error_messages={"required": _("Saisissez le code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )

    def clean_otp_token(self) -> str:
        token = normalize_token(self.cleaned_data["otp_token"])
        if not token.isdigit() or not 6 <= len(token) <= 10:
            raise forms.ValidationError(
                _("Le code se compose de 6 chiffres (ou 10 pour un code de secours).")
            )
        return token


class TotpConfirmForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code affiché par l'application"),
        help_text=_("6 chiffres, par exemple 123456."),
        max_length=16,
        error_messages={"required": _("Saisissez le code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )

    def clean_otp_token(self) -> str:
        token = normalize_token(self.cleaned_data["otp_token"])
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("Le code se compose de 6 chiffres."))
        return token


class SwitchStructureForm(forms.Form):
    structure = forms.UUIDField(
        error_messages={"invalid": _("Structure inconnue.")},
    )


class PasswordResetRequestForm(forms.Form):
    email = _email_field()
