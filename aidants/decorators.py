"""View guards. Every aidant page uses `verified_aidant_required`."""

from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from aidants import access
from aidants.services.passkeys import ENROLMENT_ONLY_KEY
from aidants.services.refusals import record_refusal


def _redirect_to(name: str, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


def _guard(
    view, *, need_habilitation: bool, need_referent: bool, enrolment: bool = False
):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return _redirect_to("aidants:login", request)
        if not user.is_verified():
            return _redirect_to("aidants:otp", request)
        if request.session.get(ENROLMENT_ONLY_KEY) and not enrolment:
            return redirect("aidants:passkeys")
        structure = user.current_structure
        if need_referent and not access.is_referent(user, structure):
            record_refusal(request=request, reason="not_referent")
            raise PermissionDenied(_("Cette page est réservée aux référents."))
        if need_habilitation and not access.has_active_habilitation(user, structure):
            record_refusal(request=request, reason="no_active_habilitation")
            raise PermissionDenied(
                _("Vous n'avez pas d'habilitation active dans cette structure.")
            )
        return view(request, *args, **kwargs)

    return wrapped


def verified_aidant_required(view):
    """Logged in, OTP-verified, active habilitation in the current structure."""
    return _guard(view, need_habilitation=True, need_referent=False)


def referent_required(view):
    """Logged in, OTP-verified, référent of the current structure."""
    return _guard(view, need_habilitation=False, need_referent=True)


def verified_login_required(view):
    """Logged in and OTP-verified (any structure status): account pages."""
    return _guard(view, need_habilitation=False, need_referent=False)


def passkey_enrolment_allowed(view):
    """Logged in and verified, also in a session limited to passkey enrolment."""
    return _guard(view, need_habilitation=False, need_referent=False, enrolment=True)
