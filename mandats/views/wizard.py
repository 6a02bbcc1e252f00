"""Mandate creation (and renewal) wizard.

1. `new` / `renew`: choose démarches and duration; redirect to FranceConnect.
2. `callback`: the usager identified; the usager is recorded (USAGER_IDENTIFIED).
3. `recap`: the attestation on screen; both confirm; `create_mandat` (or
   `renew_mandat`) creates, signs and journals in one transaction.

The pending mandate lives in the aidant's session, bound to the current
structure. Its one-time `key` doubles as the mandate's `creation_key`, so a
double submit returns the first mandate.
"""

import secrets
import time
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from aidants.decorators import verified_aidant_required
from aidants.demarches import Demarche, describe
from aidants.demarches import options as demarche_options
from mandats import access, franceconnect
from mandats.exceptions import FranceConnectError, MandatsError
from mandats.forms import ConfirmForm, MandatChoiceForm
from mandats.models import Duration, Mandat, Usager
from mandats.services import (
    consent_evidence,
    create_mandat,
    identification_evidence,
    identify_usager,
    renew_mandat,
    replaced_demarches,
)
from mandats.signing import identity_snapshot

PENDING = "mandat_wizard"
PURPOSE = "mandat"
# The usager's FranceConnect login is the consent evidence: it must be recent.
IDENTIFICATION_MAX_AGE_SECONDS = 30 * 60


def _error(request, message: str, *, status: int = 400, title: str = ""):
    return render(
        request,
        "mandats/wizard/error.html",
        {"message": message, "title": title or _("Le mandat n'a pas été créé")},
        status=status,
    )


def _pending(request) -> dict | None:
    pending = request.session.get(PENDING)
    structure = request.user.current_structure
    if not isinstance(pending, dict) or structure is None:
        return None
    if pending.get("structure") != str(structure.uuid):
        return None
    return pending


def _renewed(request, pending: dict) -> Mandat | None:
    if not pending.get("renew"):
        return None
    return get_object_or_404(
        Mandat.objects.for_aidant(request.user), uuid=pending["renew"]
    )


def _start(request, *, renew: Mandat | None):
    structure = request.user.current_structure
    initial = {}
    if renew is not None:
        allowed = set(structure.demarches())
        initial["demarches"] = [d for d in renew.demarches() if d in allowed]
        initial["duration_days"] = renew.duration_days
    form = MandatChoiceForm(request.POST or None, structure=structure, initial=initial)
    if request.method == "POST" and form.is_valid():
        request.session[PENDING] = {
            "structure": str(structure.uuid),
            "demarches": sorted(form.cleaned_data["demarches"]),
            "duration_days": form.cleaned_data["duration_days"],
            "renew": str(renew.uuid) if renew else "",
            "key": secrets.token_urlsafe(32),
        }
        callback = request.build_absolute_uri(reverse("mandats:new-callback"))
        try:
            url = franceconnect.begin(request, redirect_uri=callback, purpose=PURPOSE)
        except FranceConnectError as error:
            return _error(request, str(error), status=502)
        return redirect(url)
    options = demarche_options(
        form.fields["demarches"].choices, form["demarches"].value()
    )
    return render(
        request,
        "mandats/wizard/choose.html",
        {"form": form, "options": options, "renew": renew},
    )


@never_cache
@verified_aidant_required
def new(request):
    return _start(request, renew=None)


@never_cache
@verified_aidant_required
def renew(request, uuid):
    mandat = get_object_or_404(Mandat.objects.for_aidant(request.user), uuid=uuid)
    renewal = access.can_renew(mandat=mandat)
    if not renewal.allowed:
        raise PermissionDenied(renewal.message)
    return _start(request, renew=mandat)


@never_cache
@verified_aidant_required
def callback(request):
    pending = _pending(request)
    try:
        identity = franceconnect.complete(request, purpose=PURPOSE)
    except FranceConnectError as error:
        request.session.pop(PENDING, None)
        return _error(request, str(error), title=_("Identification interrompue"))
    if pending is None:
        return _error(request, _("Aucun mandat n'est en cours de création."))
    renewed = _renewed(request, pending)
    if renewed is not None:
        renewal = access.can_renew(
            mandat=renewed, identified_as=(identity["issuer"], identity["sub"])
        )
        if not renewal.allowed:
            request.session.pop(PENDING, None)
            return _error(request, renewal.message)
    usager = identify_usager(
        identity=identity,
        issuer=identity["issuer"],
        actor=request.user,
        request=request,
    )
    pending.update(
        usager=str(usager.uuid),
        identified_at=int(time.time()),
        # What this identification saw: the mandate signs it, whatever another
        # wizard later writes to the shared usager record.
        identity=identity_snapshot(usager),
        identification=identification_evidence(identity),
    )
    request.session[PENDING] = pending
    return redirect("mandats:new-recap")


def _recap_context(request, pending: dict, usager: Usager, form: ConfirmForm) -> dict:
    structure = request.user.current_structure
    duration = pending["duration_days"]
    return {
        "form": form,
        "usager": usager,
        "structure": structure,
        "aidant": request.user,
        "demarches": [
            {"code": c, "label": Demarche(c).label, "description": describe(c)}
            for c in pending["demarches"]
        ],
        "duration_label": Duration(duration).label,
        "expires_at": timezone.now() + timedelta(days=duration),
        "replaced": [
            Demarche(c).label
            for c in replaced_demarches(
                usager=usager, structure=structure, demarches=pending["demarches"]
            )
        ],
        "renew": pending.get("renew"),
        # Always the pending key, never a posted value echoed back.
        "key": pending["key"],
    }


def _done_url(mandat: Mandat) -> str:
    try:
        return reverse("mandats:mandat-detail", kwargs={"uuid": mandat.uuid})
    except NoReverseMatch:
        return reverse("mandats:new-done", kwargs={"uuid": mandat.uuid})


@never_cache
@verified_aidant_required
def recap(request):
    structure = request.user.current_structure
    if request.method == "POST":
        # Double submit: the first POST consumed the pending state; the key
        # finds the mandate it created (in this structure only).
        done = Mandat.objects.for_structure(structure).filter(
            creation_key=request.POST.get("key") or None
        )
        if request.POST.get("key") and done.exists():
            return redirect(_done_url(done.get()))
    pending = _pending(request)
    if pending is None or not pending.get("usager"):
        return _error(request, _("Aucun mandat n'est en cours de création."))
    if time.time() - pending["identified_at"] > IDENTIFICATION_MAX_AGE_SECONDS:
        request.session.pop(PENDING, None)
        return _error(request, _("L'identification a expiré. Recommencez."))
    usager = get_object_or_404(Usager, uuid=pending["usager"])
    form = ConfirmForm(request.POST or None, initial={"key": pending["key"]})
    if request.method == "POST" and form.is_valid():
        if not secrets.compare_digest(form.cleaned_data["key"], pending["key"]):
            return _error(request, _("Ce formulaire n'est plus valable. Recommencez."))
        try:
            mandat = _grant(request, pending, usager)
        except MandatsError as error:
            return _error(request, str(error))
        request.session.pop(PENDING, None)
        return redirect(_done_url(mandat))
    return render(
        request,
        "mandats/wizard/recap.html",
        _recap_context(request, pending, usager, form),
    )


def _grant(request, pending: dict, usager: Usager) -> Mandat:
    consent = consent_evidence(
        identification=pending["identification"], confirmed_at=timezone.now()
    )
    common = {
        "aidant": request.user,
        "structure": request.user.current_structure,
        "usager": usager,
        "demarches": pending["demarches"],
        "duration_days": pending["duration_days"],
        "consent": consent,
        "creation_key": pending["key"],
        "usager_identity": pending.get("identity"),
        "request": request,
    }
    renewed = _renewed(request, pending)
    if renewed is not None:
        return renew_mandat(mandat=renewed, **common)
    return create_mandat(**common)


@verified_aidant_required
def done(request, uuid):
    mandat = get_object_or_404(
        Mandat.objects.for_aidant(request.user).select_related("usager"), uuid=uuid
    )
    return render(request, "mandats/wizard/done.html", {"mandat": mandat})
