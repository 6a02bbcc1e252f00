"""The staff space: habilitation requests to review, aidants awaiting
validation, suspended aidants, habilitation end dates. OTP-verified staff only;
every change goes through a journaled service."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from aidants.exceptions import AidantsError
from aidants.models import Habilitation, HabilitationStatus
from aidants.services import card_stock
from onboarding import access, services
from onboarding.forms import (
    ActivateForm,
    CardAssignForm,
    CardImportForm,
    MessageForm,
    RefuseForm,
    StatusFilterForm,
)
from onboarding.models import HabilitationRequest, RequestStatus
from ops.uploads import accepts_a_small_file

PAGE_SIZE = 25
GET_POST = require_http_methods(["GET", "POST"])


def staff_required(view):
    """Logged in, OTP-verified, staff (onboarding.access.can_use_staff_space)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not user.is_verified():
            step = "aidants:otp" if user.is_authenticated else "aidants:login"
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(step)}?{query}")
        if not access.can_use_staff_space(user):
            raise PermissionDenied(_("Cet espace est réservé à l'équipe Relais."))
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _hab_request(uuid) -> HabilitationRequest:
    visible = HabilitationRequest.objects.exclude(status=RequestStatus.DRAFT)
    return get_object_or_404(visible, uuid=uuid)


@staff_required
def home(request):
    context = {
        "to_review": HabilitationRequest.objects.to_review().count(),
        "awaiting": Habilitation.objects.filter(
            status=HabilitationStatus.REQUESTED
        ).count(),
        "suspended": Habilitation.objects.filter(
            status=HabilitationStatus.SUSPENDED
        ).count(),
    }
    return render(request, "onboarding/staff/home.html", context)


@staff_required
def requests_list(request):
    form = StatusFilterForm(request.GET or {"statut": RequestStatus.SUBMITTED})
    queryset = HabilitationRequest.objects.exclude(status=RequestStatus.DRAFT)
    if form.is_valid() and form.cleaned_data["statut"]:
        queryset = queryset.filter(status=form.cleaned_data["statut"])
    context = {"form": form, "page": _page(request, queryset)}
    return render(request, "onboarding/staff/requests.html", context)


@staff_required
def request_detail(request, request_uuid):
    hab_request = _hab_request(request_uuid)
    context = {
        "req": hab_request,
        "people": hab_request.people.all(),
        "thread": hab_request.messages.select_related("author"),
        "can_review": access.can_review(request.user, hab_request),
        "changes_form": MessageForm(),
    }
    return render(request, "onboarding/staff/request_detail.html", context)


def _decide(request, hab_request, action, **kwargs):
    try:
        action(request=hab_request, by=request.user, **kwargs)
    except AidantsError as exc:
        messages.error(request, str(exc))
        return False
    return True


def _decide_with_form(request, request_uuid, *, form_class, act, template, done):
    """Staff's confirm-then-decide pages on a request (ask for changes, refuse):
    GET shows the form, a valid POST calls `act(form)` through `_decide`."""
    hab_request = _hab_request(request_uuid)
    form = form_class(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _decide(request, hab_request, act, **form.cleaned_data)
    ):
        messages.success(request, done)
        return redirect("onboarding:staff-request", request_uuid=hab_request.uuid)
    return render(request, template, {"req": hab_request, "form": form})


@GET_POST
@staff_required
def request_changes(request, request_uuid):
    return _decide_with_form(
        request,
        request_uuid,
        form_class=MessageForm,
        act=lambda *, body, **kw: services.ask_changes(message=body, **kw),
        template="onboarding/staff/request_changes.html",
        done=_("La demande est renvoyée au demandeur."),
    )


@GET_POST
@staff_required
def request_refuse(request, request_uuid):
    return _decide_with_form(
        request,
        request_uuid,
        form_class=RefuseForm,
        act=services.refuse_request,
        template="onboarding/staff/request_refuse.html",
        done=_("La demande est refusée."),
    )


@GET_POST
@staff_required
def request_accept(request, request_uuid):
    hab_request = _hab_request(request_uuid)
    if request.method == "POST":
        if _decide(request, hab_request, services.accept_request):
            messages.success(
                request,
                _(
                    "Demande acceptée : la structure est créée, les invitations "
                    "sont envoyées."
                ),
            )
        return redirect("onboarding:staff-request", request_uuid=hab_request.uuid)
    context = {"req": hab_request, "people": hab_request.people.all()}
    return render(request, "onboarding/staff/request_accept.html", context)


@staff_required
def habilitations(request):
    status = request.GET.get("statut")
    if status not in (HabilitationStatus.REQUESTED, HabilitationStatus.SUSPENDED):
        status = HabilitationStatus.REQUESTED
    queryset = (
        Habilitation.objects.filter(status=status)
        .select_related("aidant", "structure")
        .order_by("requested_at", "pk")
    )
    context = {"status": status, "page": _page(request, queryset)}
    return render(request, "onboarding/staff/habilitations.html", context)


@GET_POST
@staff_required
def habilitation_activate(request, habilitation_uuid):
    hab = get_object_or_404(
        Habilitation.objects.select_related("aidant", "structure"),
        uuid=habilitation_uuid,
    )
    form = ActivateForm(request.POST or None, initial={"valid_until": hab.valid_until})
    if request.method == "POST" and form.is_valid():
        try:
            services.validate_habilitation(
                habilitation=hab,
                by=request.user,
                valid_until=form.cleaned_data["valid_until"],
            )
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Habilitation activée."))
            return redirect("onboarding:staff-habilitations")
    return render(
        request,
        "onboarding/staff/habilitation_activate.html",
        {"hab": hab, "form": form},
    )


@staff_required
def end_dates(request):
    queryset = (
        Habilitation.objects.active()
        .filter(valid_until__isnull=False)
        .select_related("aidant", "structure")
        .order_by("valid_until", "pk")
    )
    context = {"page": _page(request, queryset), "today": timezone.localdate()}
    return render(request, "onboarding/staff/end_dates.html", context)


@staff_required
def cards(request):
    queryset = (
        card_stock.stock_cards().select_related("structure").order_by("serial", "pk")
    )
    context = {"page": _page(request, queryset)}
    return render(request, "onboarding/staff/cards.html", context)


@accepts_a_small_file
@GET_POST
@staff_required
def cards_import(request):
    form = CardImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = card_stock.parse_card_csv(form.cleaned_data["file"])
            count = card_stock.import_cards(rows=rows, by=request.user)
        except AidantsError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(
                request,
                ngettext("%(n)d carte importée.", "%(n)d cartes importées.", count)
                % {"n": count},
            )
            return redirect("onboarding:staff-cards")
    return render(request, "onboarding/staff/cards_import.html", {"form": form})


@GET_POST
@staff_required
def cards_assign(request):
    form = CardAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        structure = form.cleaned_data["siret"]
        try:
            count = card_stock.assign_cards(
                serials=form.cleaned_data["serials"],
                structure=structure,
                by=request.user,
            )
        except AidantsError as exc:
            form.add_error("serials", str(exc))
        else:
            messages.success(
                request,
                _("%(n)d cartes attribuées à %(name)s.")
                % {"n": count, "name": structure.name},
            )
            return redirect("onboarding:staff-cards")
    return render(request, "onboarding/staff/cards_assign.html", {"form": form})
