"""Passkey pages and the WebAuthn ceremonies (django-otp-webauthn's JSON views,
narrowed: enrolment needs a fresh second factor, a login goes through our
`finish_login` so it is journaled, checked and the session key renewed)."""

import json

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

import audit
from aidants import session as aidant_session
from aidants.decorators import passkey_enrolment_allowed
from aidants.exceptions import NotAllowed
from aidants.forms.auth import LoginOtpForm
from aidants.services import passkeys
from aidants.services.login import OtpOutcome, finish_login, verify_otp

ENROLMENT_ONLY_KEY = passkeys.ENROLMENT_ONLY_KEY


class FreshFactorRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "fresh_factor_required"
    default_detail = gettext_lazy(
        "Confirmez d'abord votre identité avec votre second facteur."
    )


class LoginRefused(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "login_refused"
    default_detail = gettext_lazy(
        "Vous n'avez plus d'habilitation active : connexion impossible."
    )


class RegistrationBegin(webauthn_views.BeginCredentialRegistrationView):
    def check_can_register(self) -> None:
        if not aidant_session.full_login_is_fresh(self.request.session):
            raise FreshFactorRequired()


class RegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    def check_can_register(self) -> None:
        if not aidant_session.full_login_is_fresh(self.request.session):
            raise FreshFactorRequired()

    def post(self, *args, **kwargs):
        with transaction.atomic():
            # Errors raise (dispatch turns them into JSON) and roll back.
            response = super().post(*args, **kwargs)
            device = WebAuthnCredential.objects.get(
                pk=json.loads(response.content)["id"]
            )
            passkeys.record_passkey_added(
                aidant=self.request.user, device=device, request=self.request
            )
        self.request.session.pop(ENROLMENT_ONLY_KEY, None)
        return response


class AuthenticationBegin(webauthn_views.BeginCredentialAuthenticationView):
    pass


class AuthenticationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device) -> None:
        """Our login's last step (LOGIN_SUCCEEDED journaled, device "passkey")."""
        if not finish_login(request=self.request, device=device):
            raise LoginRefused()

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        user = self.request.user
        if user.is_authenticated:
            with transaction.atomic():
                audit.record(
                    audit.Action.OTP_FAILED,
                    actor=user,
                    structure=user.current_structure,
                    request=self.request,
                    details={"reason": f"passkey:{getattr(exc, 'code', 'error')}"[:64]},
                )
        return response


@sensitive_post_parameters("otp_token")
@never_cache
@passkey_enrolment_allowed
def passkeys_page(request):
    user = request.user
    form = LoginOtpForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "confirm":
        form = LoginOtpForm(request.POST)
        if form.is_valid():
            result = verify_otp(request=request, token=form.cleaned_data["otp_token"])
            if result.outcome is OtpOutcome.OK:
                return redirect("aidants:passkeys")
            if result.outcome is OtpOutcome.PASSKEY_REQUIRED:
                form.add_error(None, _("Votre structure exige une clé d'accès."))
            else:
                form.add_error("otp_token", _("Ce code est incorrect ou a expiré."))
    elif action == "remove":
        try:
            passkeys.remove_passkey(
                aidant=user,
                device_id=int(request.POST.get("device") or 0),
                request=request,
            )
            messages.success(request, _("La clé d'accès a été supprimée."))
        except (NotAllowed, ValueError) as exc:
            messages.error(request, str(exc) if isinstance(exc, NotAllowed) else "")
        return redirect("aidants:passkeys")
    context = {
        "passkeys": passkeys.passkeys_of(user),
        "fresh": aidant_session.full_login_is_fresh(request.session),
        "enrolment_only": request.session.get(ENROLMENT_ONLY_KEY, False),
        "form": form,
    }
    return render(request, "aidants/account/passkeys.html", context)
