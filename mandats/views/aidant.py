"""Aidant pages: the structure's usagers and mandates, revocation, expiring ones.

Every object comes through a queryset scoped to the aidant's current structure
(another structure's usager or mandate is a 404); rows come from
`mandats.presenters`, revocation from `mandats.views.revocation`.
"""

from datetime import timedelta

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from aidants.decorators import verified_aidant_required
from mandats.forms import UsagerSearchForm
from mandats.models import Autorisation, Mandat, Usager
from mandats.presenters import mandat_row, mandat_rows
from mandats.selectors import parse_cursor, structure_usagers_page
from mandats.views.revocation import confirm_then_revoke

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


@verified_aidant_required
def usager_detail(request, uuid):
    usager = get_object_or_404(_usagers(request), uuid=uuid)
    mandats = _mandats(request).filter(usager=usager).prefetch_related("autorisations")
    return render(
        request,
        "mandats/aidant/usager_detail.html",
        {
            "usager": usager,
            "rows": mandat_rows(mandats, timezone.now(), audience="aidant"),
        },
    )


@verified_aidant_required
def mandat_detail(request, uuid):
    mandat = get_object_or_404(
        _mandats(request).prefetch_related("autorisations"), uuid=uuid
    )
    row = mandat_row(mandat, timezone.now(), audience="aidant")
    return render(
        request,
        "mandats/aidant/mandat_detail.html",
        {"mandat": mandat, "usager": mandat.usager, "row": row},
    )


def _revoke(request, mandat: Mandat, autorisation: Autorisation | None):
    return confirm_then_revoke(
        request, mandat=mandat, autorisation=autorisation, audience="aidant"
    )


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
        {
            "page": page,
            "rows": mandat_rows(page.object_list, now, audience="aidant"),
            "days": 30,
        },
    )
