"""The e-mailed invitation link. A new account: set a password, enrol a TOTP app,
done (the link is the credential). An existing account: its holder accepts
signed in with their own second factor; the link alone does nothing.

The token leaves the URL at once (aidants/views/links.py). State between the
steps is kept in the session under the invitation's uuid; nothing is written on
the account until the last step succeeds."""

from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from aidants.access import can_log_in
from aidants.exceptions import AidantsError, NotAllowed
from aidants.forms.auth import OtpForm
from aidants.forms.referent import ConfirmForm, InvitationPasswordForm
from aidants.services import invitations as svc
from aidants.services.otp import provisioning_qr_data_uri, secret_base32
from aidants.services.refusals import record_refusal
from aidants.views.auth import url_with_next
from aidants.views.links import invalid_page, opened_link, token_swap_view

SESSION_KEY = "relais_invitation"


def _state_key(invitation) -> str:
    return f"relais_invitation_{invitation.uuid}"


open_link = token_swap_view(
    lookup=svc.invitation_for_token,
    session_key=SESSION_KEY,
    clean_url="aidants:invitation",
)


def _password_step(request, invitation, state: dict, context: dict):
    posted = request.POST if request.method == "POST" else None
    form = InvitationPasswordForm(posted, user=invitation.aidant)
    if posted is not None and form.is_valid():
        # Kept hashed in the session; applied only when every step is done.
        state["password_hash"] = make_password(form.cleaned_data["password1"])
        request.session[_state_key(invitation)] = state
        return redirect("aidants:invitation")
    context.update(step="password", form=form)
    return render(request, "aidants/invitation/accept.html", context)


def _totp_step(request, invitation, state: dict, context: dict):
    posted = request.POST if request.method == "POST" else None
    needs_totp = svc.needs_totp(invitation.aidant)
    form = OtpForm(posted) if needs_totp else ConfirmForm(posted)
    if posted is not None and form.is_valid():
        try:
            done = svc.accept_invitation(
                invitation=invitation,
                password_hash=state.get("password_hash"),
                otp_token=form.cleaned_data.get("otp_token", ""),
            )
        except svc.InvitationInvalid as exc:
            return invalid_page(request, exc)
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            if done:
                _forget(request, invitation)
                messages.success(
                    request,
                    _("Votre compte est prêt. Vous pouvez vous connecter.")
                    if can_log_in(invitation.aidant)
                    else _(
                        "Votre compte est prêt. Votre habilitation doit encore être "
                        "activée par l'équipe Relais : vous pourrez vous connecter "
                        "dès qu'elle le sera."
                    ),
                )
                return redirect("aidants:login")
            form.add_error("otp_token", _("Code incorrect. Réessayez."))
    if needs_totp:
        device = svc.invitation_device(invitation)
        context.update(
            step="totp",
            qr_data_uri=provisioning_qr_data_uri(device),
            secret=secret_base32(device),
        )
    else:
        context["step"] = "confirm"
    context["form"] = form
    return render(request, "aidants/invitation/accept.html", context)


def _join_step(request, invitation, context: dict):
    user = request.user
    holder = (
        user.is_authenticated and user.is_verified() and user.pk == invitation.aidant_id
    )
    if not holder:
        if request.method == "POST":
            record_refusal(
                request=request,
                reason="invitation_for_another_account",
                invitation=str(invitation.uuid),
            )
        context.update(
            step="sign_in",
            other_account=user.is_authenticated and user.pk != invitation.aidant_id,
            login_url=url_with_next("aidants:login", reverse("aidants:invitation")),
        )
        return render(request, "aidants/invitation/accept.html", context)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.accept_invitation(invitation=invitation, by=user)
        except svc.InvitationInvalid as exc:
            return invalid_page(request, exc)
        except NotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            _forget(request, invitation)
            messages.success(
                request,
                _(
                    "Vous avez rejoint %(structure)s. Votre habilitation doit encore "
                    "y être activée par l'équipe Relais."
                )
                % {"structure": invitation.structure.name},
            )
            return redirect("aidants:home")
    context.update(step="join", form=form)
    return render(request, "aidants/invitation/accept.html", context)


def _forget(request, invitation) -> None:
    request.session.pop(_state_key(invitation), None)
    request.session.pop(SESSION_KEY, None)


@never_cache
@sensitive_post_parameters("password1", "password2", "otp_token")
@require_http_methods(["GET", "POST"])
def accept(request):
    try:
        invitation = opened_link(
            request, session_key=SESSION_KEY, by_uuid=svc.invitation_by_uuid
        )
    except svc.InvitationInvalid as exc:
        return invalid_page(request, exc)
    context = {"invitation": invitation, "aidant": invitation.aidant}
    if svc.needs_sign_in(invitation):
        return _join_step(request, invitation, context)
    state = dict(request.session.get(_state_key(invitation), {}))
    if "password_hash" not in state:
        return _password_step(request, invitation, state, context)
    return _totp_step(request, invitation, state, context)
