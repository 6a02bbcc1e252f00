"""The aidant's own account: OTP devices, TOTP enrolment, backup codes, and the
choice of the current structure."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from aidants import access
from aidants.decorators import verified_login_required
from aidants.forms.auth import OtpForm, SwitchStructureForm
from aidants.models import TOTPDevice
from aidants.services.login import switch_structure
from aidants.services.otp import (
    confirm_totp_enrolment,
    create_backup_codes,
    devices_overview,
    provisioning_qr_data_uri,
    secret_base32,
    start_totp_enrolment,
)
from aidants.views.auth import safe_next, url_with_next


@verified_login_required
def account(request):
    user = request.user
    context = {
        "devices": devices_overview(user),
        "structures": access.usable_structures(user),
    }
    return render(request, "aidants/account/account.html", context)


@sensitive_post_parameters("otp_token")
@never_cache
@verified_login_required
def totp_enrol(request):
    # Only a verified session adds an app here: a first factor is enrolled only
    # through an e-mailed link (aidants/views/enrolment.py), never after a
    # password alone.
    user = request.user
    context = {"next": safe_next(request), "first_device": False}
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "start":
        # The seed is shown in this response only, to this aidant only.
        device = start_totp_enrolment(aidant=user)
        context.update(
            step="scan",
            form=OtpForm(),
            qr_data_uri=provisioning_qr_data_uri(device),
            secret=secret_base32(device),
        )
        return render(request, "aidants/account/totp_enrol.html", context)
    if action == "confirm":
        return _confirm_enrolment(request, context)
    return render(request, "aidants/account/totp_enrol.html", {**context, "step": ""})


def _confirm_enrolment(request, context):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).last()
    if device is None:
        messages.error(request, _("Cette configuration a expiré : recommencez."))
        return redirect(url_with_next("aidants:totp-enrol", context["next"]))
    form = OtpForm(request.POST)
    if form.is_valid() and confirm_totp_enrolment(
        device=device, token=form.cleaned_data["otp_token"]
    ):
        messages.success(request, _("Votre application est enregistrée."))
        return redirect(context["next"] or "aidants:account")
    if form.is_valid():
        form.add_error(
            "otp_token",
            _(
                "Ce code est incorrect ou a expiré. Saisissez le code que votre "
                "application affiche maintenant (il change toutes les 30 secondes)."
            ),
        )
    context.update(step="confirm", form=form)
    return render(request, "aidants/account/totp_enrol.html", context)


@verified_login_required
@never_cache
def backup_codes(request):
    user = request.user
    codes = create_backup_codes(aidant=user) if request.method == "POST" else None
    context = {"codes": codes, "generated_at": timezone.now()}
    return render(request, "aidants/account/backup_codes.html", context)


@verified_login_required
@require_POST
def switch_structure_view(request):
    form = SwitchStructureForm(request.POST)
    if not form.is_valid():
        raise Http404
    structure = get_object_or_404(
        access.member_structures(request.user), uuid=form.cleaned_data["structure"]
    )
    # NotAllowed (a PermissionDenied) becomes the 403 page: membership not usable.
    switch_structure(aidant=request.user, structure=structure)
    messages.success(
        request,
        _("Vous agissez maintenant pour %(structure)s.")
        % {"structure": structure.name},
    )
    return redirect(safe_next(request) or "aidants:home")
