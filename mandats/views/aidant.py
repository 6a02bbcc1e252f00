"""Aidant pages: the structure's usagers and mandates, revocation, expiring ones.

Every object comes through a queryset scoped to the aidant's current structure
(another structure's usager or mandate is a 404); whether a mandate or démarche
may still be revoked is `mandats.access.can_revoke`.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from aidants.decorators import verified_aidant_required
from mandats import access
from mandats.attestation import demarche_rows, revocations
from mandats.exceptions import AlreadyRevoked
from mandats.forms import RevocationForm, UsagerSearchForm
from mandats.models import Autorisation, Mandat, RevokedBy, Usager
from mandats.selectors import parse_cursor, structure_usagers_page
from mandats.services import revoke_autorisation, revoke_mandat

PAGE_SIZE = 25
EXPIRING_DAYS = 30


def _usagers(request):
    """Usagers holding (or having held) a mandate with the current structure."""
    held = Mandat.objects.for_aidant(request.user).values("usager_id")
    return Usager.objects.filter(pk__in=held, purged_at__isnull=True)


def _mandats(request):
    return Mandat.objects.for_aidant(request.user).select_related(
        "usager", "structure", "created_by"
    )


@verified_aidant_required
def usager_list(request):
    form = UsagerSearchForm(request.GET or None)
    # Expired and revoked mandates too: renewals are found where aidants look.
    page = structure_usagers_page(
        request.user.current_structure,
        query=form.cleaned_data["q"] if form.is_valid() else "",
        after=parse_cursor(request.GET.get("after")),
        before=parse_cursor(request.GET.get("before")),
        size=PAGE_SIZE,
    )
    return render(
        request,
        "mandats/aidant/usager_list.html",
        {"form": form, "page": page, "query": request.GET.get("q", "")[:100]},
    )


def _mandat_rows(mandats, at):
    rows = []
    for mandat in mandats:
        demarches = demarche_rows(mandat, at)
        rows.append(
            {
                "mandat": mandat,
                "status": mandat.status(at),
                "status_label": mandat.get_status_display(at),
                "demarches": demarches,
                "live_labels": [d["label"] for d in demarches if d["status"] == "live"],
                "can_revoke": access.can_revoke(mandat=mandat, at=at).allowed,
                "can_renew": not mandat.is_revoked(),
                "has_revocations": bool(revocations(mandat)),
            }
        )
    return rows


@verified_aidant_required
def usager_detail(request, uuid):
    usager = get_object_or_404(_usagers(request), uuid=uuid)
    mandats = _mandats(request).filter(usager=usager).prefetch_related("autorisations")
    return render(
        request,
        "mandats/aidant/usager_detail.html",
        {"usager": usager, "rows": _mandat_rows(mandats, timezone.now())},
    )


@verified_aidant_required
def mandat_detail(request, uuid):
    mandat = get_object_or_404(
        _mandats(request).prefetch_related("autorisations"), uuid=uuid
    )
    at = timezone.now()
    row = _mandat_rows([mandat], at)[0]
    for demarche in row["demarches"]:
        demarche["can_revoke"] = access.can_revoke(
            mandat=mandat, autorisation=demarche["autorisation"], at=at
        ).allowed
    return render(
        request,
        "mandats/aidant/mandat_detail.html",
        {"mandat": mandat, "usager": mandat.usager, "row": row},
    )


def _revoke_page(request, *, mandat, autorisation, decision, form):
    return render(
        request,
        "mandats/aidant/revoke_confirm.html",
        {
            "mandat": mandat,
            "usager": mandat.usager,
            "autorisation": autorisation,
            "decision": decision,
            "form": form,
        },
    )


def _revoke(request, mandat: Mandat, autorisation: Autorisation | None):
    decision = access.can_revoke(mandat=mandat, autorisation=autorisation)
    if not decision.allowed:
        raise PermissionDenied(decision.message)
    form = RevocationForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return _revoke_page(
            request,
            mandat=mandat,
            autorisation=autorisation,
            decision=decision,
            form=form,
        )
    common = {
        "by_type": RevokedBy.AIDANT,
        "by_id": str(request.user.uuid),
        "actor": request.user,
        "reason": form.reason_label(),
        "request": request,
    }
    try:
        if autorisation is None:
            revoke_mandat(mandat=mandat, **common)
            messages.success(request, _("Le mandat est révoqué."))
        else:
            revoke_autorisation(autorisation=autorisation, **common)
            messages.success(request, _("La démarche est révoquée."))
    except AlreadyRevoked as error:
        raise PermissionDenied(str(error)) from error
    return redirect("mandats:mandat-detail", uuid=mandat.uuid)


@never_cache
@verified_aidant_required
def mandat_revoke(request, uuid):
    mandat = get_object_or_404(_mandats(request), uuid=uuid)
    return _revoke(request, mandat, None)


@never_cache
@verified_aidant_required
def autorisation_revoke(request, uuid):
    autorisation = get_object_or_404(
        Autorisation.objects.for_structure(
            request.user.current_structure
        ).select_related("mandat", "mandat__usager"),
        uuid=uuid,
    )
    return _revoke(request, autorisation.mandat, autorisation)


@verified_aidant_required
def expiring(request):
    now = timezone.now()
    mandats = (
        _mandats(request)
        .live(now)
        .filter(expires_at__lte=now + timedelta(days=EXPIRING_DAYS))
        .prefetch_related("autorisations")
        .order_by("expires_at", "pk")
    )
    page = Paginator(mandats, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "mandats/aidant/expiring.html",
        {"page": page, "rows": _mandat_rows(page.object_list, now), "days": 30},
    )
