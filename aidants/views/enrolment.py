"""The e-mailed enrolment link: (a password when the account has none, then) a
TOTP app. It does not log in: the holder then logs in with password and code."""

from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from aidants.exceptions import AidantsError
from aidants.forms.auth import OtpForm
from aidants.forms.referent import InvitationPasswordForm
from aidants.services import enrolment as svc
from aidants.services.invitations import InvitationInvalid
from aidants.services.otp import provisioning_qr_data_uri, secret_base32
from aidants.views.links import invalid_page, opened_link, token_swap_view

SESSION_KEY = "relais_enrolment"
TEMPLATE = "aidants/enrolment/enrol.html"


open_link = token_swap_view(
    lookup=svc.link_for_token, session_key=SESSION_KEY, clean_url="aidants:enrolment"
)


def _password_step(request, link, context: dict):
    posted = request.POST if request.method == "POST" else None
    form = InvitationPasswordForm(posted, user=link.aidant)
    if posted is not None and form.is_valid():
        # Kept hashed in the session; applied only when the app is confirmed.
        value = dict(request.session[SESSION_KEY])
        value["password_hash"] = make_password(form.cleaned_data["password1"])
        request.session[SESSION_KEY] = value
        return redirect("aidants:enrolment")
    context.update(step="password", form=form)
    return render(request, TEMPLATE, context)


def _totp_step(request, link, password_hash: str | None, context: dict):
    form = OtpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = svc.complete_enrolment(
                link=link,
                password_hash=password_hash,
                otp_token=form.cleaned_data["otp_token"],
            )
        except InvitationInvalid as exc:
            return invalid_page(request, exc)
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            if done:
                request.session.pop(SESSION_KEY, None)
                messages.success(
                    request,
                    _(
                        "Votre application est enregistrée. Connectez-vous avec "
                        "votre mot de passe et le code qu'elle affiche."
                    ),
                )
                return redirect("aidants:login")
            form.add_error("otp_token", _("Code incorrect. Réessayez."))
    device = svc.link_device(link)
    context.update(
        step="totp",
        form=form,
        qr_data_uri=provisioning_qr_data_uri(device),
        secret=secret_base32(device),
    )
    return render(request, TEMPLATE, context)


@never_cache
@sensitive_post_parameters("password1", "password2", "otp_token")
@require_http_methods(["GET", "POST"])
def enrol(request):
    try:
        link = opened_link(request, session_key=SESSION_KEY, by_uuid=svc.link_by_uuid)
    except InvitationInvalid as exc:
        return invalid_page(request, exc)
    context = {"link": link, "aidant": link.aidant}
    password_hash = request.session[SESSION_KEY].get("password_hash")
    if not link.aidant.has_usable_password() and not password_hash:
        return _password_step(request, link, context)
    return _totp_step(request, link, password_hash, context)
