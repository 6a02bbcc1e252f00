"""The emailed invitation link: set a password, enrol a TOTP app, done.

No login here: the link's token is the credential. State between the steps is kept
in the session under the invitation's uuid; nothing is written on the account
until the last step succeeds, and the token never reaches the logs."""

from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from aidants.exceptions import AidantsError
from aidants.forms.referent import ConfirmForm, InvitationPasswordForm, OtpCodeForm
from aidants.models import TOTPDevice
from aidants.services import invitations as svc
from aidants.services.otp import (
    provisioning_qr_data_uri,
    secret_base32,
    start_totp_enrolment,
)


def _session_key(invitation) -> str:
    return f"relais_invitation_{invitation.uuid}"


def _invalid(request, exc: svc.InvitationInvalid):
    status = 410 if isinstance(exc, svc.InvitationGone) else 404
    response = render(
        request,
        "aidants/invitation/invalid.html",
        {"message": str(exc)},
        status=status,
    )
    # Django logs every 4xx with its path, which holds the token: skip that log.
    response._has_been_logged = True
    return response


def _enrolment_device(request, invitation, state: dict) -> TOTPDevice:
    """The unconfirmed device created for this invitation in this session, or a
    new one (which replaces any earlier unconfirmed attempt)."""
    device = TOTPDevice.objects.filter(
        pk=state.get("device_id"), user=invitation.aidant, confirmed=False
    ).first()
    if device is None:
        device = start_totp_enrolment(aidant=invitation.aidant, name=_("Application"))
        state["device_id"] = device.pk
        request.session[_session_key(invitation)] = state
    return device


def _finish(request, invitation, state: dict, device, otp_token: str):
    ok = svc.accept_invitation(
        invitation=invitation,
        password_hash=state.get("password_hash"),
        device=device,
        otp_token=otp_token,
    )
    if ok:
        request.session.pop(_session_key(invitation), None)
        messages.success(
            request,
            _(
                "Votre compte est prêt. Votre habilitation doit encore être activée "
                "par l'équipe Relais, à la demande de votre référent : vous pourrez "
                "vous connecter dès qu'elle le sera. Pour savoir où en est la "
                "demande, adressez-vous à votre référent."
            ),
        )
    return ok


def _password_step(request, invitation, state: dict, context: dict):
    posted = request.POST if request.method == "POST" else None
    form = InvitationPasswordForm(posted, user=invitation.aidant)
    if posted is not None and form.is_valid():
        # Kept hashed in the session; applied only when every step is done.
        state["password_hash"] = make_password(form.cleaned_data["password1"])
        request.session[_session_key(invitation)] = state
        return redirect(request.path)
    context.update(step="password", form=form)
    return render(request, "aidants/invitation/accept.html", context)


def _final_step(request, invitation, state: dict, context: dict):
    posted = request.POST if request.method == "POST" else None
    device = None
    if svc.needs_totp(invitation.aidant):
        device = _enrolment_device(request, invitation, state)
    form = OtpCodeForm(posted) if device is not None else ConfirmForm(posted)
    if posted is not None and form.is_valid():
        otp_token = form.cleaned_data.get("otp_token", "").strip()
        try:
            done = _finish(request, invitation, state, device, otp_token)
        except svc.InvitationInvalid as exc:
            return _invalid(request, exc)
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            if done:
                return redirect("aidants:login")
            form.add_error("otp_token", _("Code incorrect. Réessayez."))
    if device is not None:
        context.update(
            step="totp",
            qr_data_uri=provisioning_qr_data_uri(device),
            secret=secret_base32(device),
        )
    else:
        context["step"] = "confirm"
    context["form"] = form
    return render(request, "aidants/invitation/accept.html", context)


@never_cache
@sensitive_post_parameters("password1", "password2", "otp_token")
@require_http_methods(["GET", "POST"])
def accept(request, token):
    try:
        invitation = svc.invitation_for_token(token)
    except svc.InvitationInvalid as exc:
        return _invalid(request, exc)
    state = dict(request.session.get(_session_key(invitation), {}))
    context = {"invitation": invitation, "aidant": invitation.aidant}
    if svc.needs_password(invitation.aidant) and "password_hash" not in state:
        return _password_step(request, invitation, state, context)
    return _final_step(request, invitation, state, context)
