"""The usager space (`/mon-espace/`): FranceConnect login, every mandate and
every use made of it, revocation alone, attestations, logout.

A usager only ever reaches their own objects: every query starts from
`request.usager` (another usager's mandate is a 404).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config import ratelimit
from mandats import attestation, franceconnect, usager_session
from mandats.exceptions import FranceConnectError
from mandats.models import Autorisation, Mandat
from mandats.presenters import mandat_rows
from mandats.usager_session import usager_required
from mandats.views.revocation import confirm_then_revoke

USES_PAGE_SIZE = 20


def _error(request, message: str, *, status: int = 400):
    return render(
        request, "mandats/usager/error.html", {"message": message}, status=status
    )


def _own_mandats(request):
    return (
        Mandat.objects.filter(usager=request.usager)
        .select_related("structure", "created_by")
        .prefetch_related("autorisations")
    )


@never_cache
def space(request):
    usager = usager_session.current_usager(request)
    if usager is None:
        return render(request, "mandats/usager/login.html")
    request.usager = usager
    page = Paginator(usager_session.use_entries(usager), USES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    mandats = _own_mandats(request).order_by("-created_at")
    return render(
        request,
        "mandats/usager/space.html",
        {
            "usager": usager,
            "rows": mandat_rows(mandats, timezone.now(), audience="usager"),
            "page": page,
            "uses": usager_session.uses(list(page.object_list)),
        },
    )


@require_POST
def login(request):
    if ratelimit.hit(request, "usager-login"):
        return ratelimit.too_many_requests(request)
    callback = request.build_absolute_uri(reverse("mandats:usager-callback"))
    try:
        url = franceconnect.begin(
            request, redirect_uri=callback, purpose=usager_session.PURPOSE
        )
    except FranceConnectError as error:
        return _error(request, str(error), status=502)
    return redirect(url)


@never_cache
def callback(request):
    if ratelimit.hit(request, "usager-login"):
        return ratelimit.too_many_requests(request)
    try:
        identity = franceconnect.complete(request, purpose=usager_session.PURPOSE)
    except FranceConnectError as error:
        return _error(request, str(error))
    if usager_session.log_in(request, identity) is None:
        return render(request, "mandats/usager/unknown.html", status=404)
    return redirect("mandats:usager-space")


@require_POST
def logout(request):
    usager_session.log_out(request)
    messages.info(request, _("Vous êtes déconnecté(e) de votre espace."))
    return redirect("mandats:usager-space")


def _revoke(request, mandat: Mandat, autorisation: Autorisation | None):
    return confirm_then_revoke(
        request, mandat=mandat, autorisation=autorisation, audience="usager"
    )


@never_cache
@usager_required
def mandat_revoke(request, uuid):
    return _revoke(request, get_object_or_404(_own_mandats(request), uuid=uuid), None)


@never_cache
@usager_required
def autorisation_revoke(request, uuid):
    autorisation = get_object_or_404(
        Autorisation.objects.for_usager(request.usager).select_related(
            "mandat", "mandat__structure"
        ),
        uuid=uuid,
    )
    return _revoke(request, autorisation.mandat, autorisation)


def _attestation(request, uuid, *, kind: str, pdf: bool):
    mandat = get_object_or_404(_own_mandats(request), uuid=uuid)
    pdf_name = {
        "mandat": "mandats:usager-attestation-pdf",
        "revocation": "mandats:usager-revocation-attestation-pdf",
    }[kind]
    links = {
        "pdf_url": reverse(pdf_name, kwargs={"uuid": mandat.uuid}),
        "back_url": reverse("mandats:usager-space"),
    }
    return attestation.response(request, mandat, kind=kind, pdf=pdf, links=links)


@usager_required
def mandat_attestation(request, uuid):
    return _attestation(request, uuid, kind="mandat", pdf=False)


@usager_required
def mandat_attestation_pdf(request, uuid):
    return _attestation(request, uuid, kind="mandat", pdf=True)


@usager_required
def revocation_attestation(request, uuid):
    return _attestation(request, uuid, kind="revocation", pdf=False)


@usager_required
def revocation_attestation_pdf(request, uuid):
    return _attestation(request, uuid, kind="revocation", pdf=True)
