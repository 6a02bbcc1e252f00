"""Référent space: the current structure's aidants, habilitation changes, physical
cards, invitations and démarches. Every object is loaded through a queryset
scoped to the référent's current structure (another structure's object is a 404)."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aidants import access
from aidants.decorators import referent_required
from aidants.exceptions import AidantsError
from aidants.forms.referent import (
    ConfirmForm,
    DemarchesForm,
    EndDateForm,
    InviteAidantForm,
    ReasonForm,
)
from aidants.models import (
    Habilitation,
    TOTPDevice,
)
from aidants.services import habilitations as hab_services
from aidants.services.invitations import invite_aidant
from aidants.services.otp import devices_by_aidant
from aidants.services.refusals import record_refusal
from aidants.services.structures import set_allowed_demarches
from audit.models import JournalEntry

PAGE_SIZE = 25
GET_POST = require_http_methods(["GET", "POST"])


def _habilitation(request, habilitation_uuid) -> Habilitation:
    scoped = access.managed_habilitations(request.user, request.user.current_structure)
    hab = (
        scoped.select_related("aidant", "structure")
        .filter(uuid=habilitation_uuid)
        .first()
    )
    if hab is None:
        # Another structure's member, or an invitation not accepted yet: nothing.
        record_refusal(
            request=request, reason="not_a_member", habilitation=str(habilitation_uuid)
        )
        raise Http404
    return hab


def _allowed_actions(user, hab: Habilitation) -> dict[str, bool]:
    return {
        **access.habilitation_changes(user, hab),
        "card": access.can_attach_device(user, hab.aidant, hab.structure),
        "enrolment_link": access.can_issue_enrolment_link(
            user, hab.aidant, hab.structure
        ),
    }


HISTORY_SIZE = 20


def _history(hab: Habilitation):
    """The latest journal entries of the structure by or about this aidant."""
    aidant_id = str(hab.aidant.uuid)
    return (
        JournalEntry.objects.for_structure(hab.structure.journal_id)
        .filter(Q(actor_id=aidant_id) | Q(details__aidant=aidant_id))
        .order_by("-seq")[:HISTORY_SIZE]
    )


@referent_required
@require_http_methods(["GET"])
def home(request):
    structure = request.user.current_structure
    habilitations = (
        access.managed_habilitations(request.user, structure)
        .select_related("aidant")
        .order_by("aidant__last_name", "aidant__first_name", "pk")
    )
    page = Paginator(habilitations, PAGE_SIZE).get_page(request.GET.get("page"))
    devices = devices_by_aidant([hab.aidant_id for hab in page])
    rows = [{"hab": hab, "devices": devices.get(hab.aidant_id, [])} for hab in page]
    return render(
        request,
        "aidants/referent/home.html",
        {"structure": structure, "page": page, "rows": rows},
    )


@referent_required
@require_http_methods(["GET"])
def aidant_detail(request, habilitation_uuid):
    hab = _habilitation(request, habilitation_uuid)
    cards = (
        access.managed_cards(request.user, hab.structure)
        .filter(aidant=hab.aidant)
        .order_by("unlinked_at", "-registered_at")
    )
    return render(
        request,
        "aidants/referent/aidant_detail.html",
        {
            "hab": hab,
            "aidant": hab.aidant,
            "devices": devices_by_aidant([hab.aidant_id]).get(hab.aidant_id, []),
            "cards": cards,
            "actions": _allowed_actions(request.user, hab),
            "history": _history(hab),
            "has_app": TOTPDevice.objects.filter(
                user=hab.aidant, confirmed=True, carte__isnull=True
            ).exists(),
        },
    )


# Confirmation pages: GET asks "Êtes-vous sûr…", POST acts through one service.
CONFIRMATIONS = {
    "request": (
        hab_services.request_habilitation,
        ConfirmForm,
        gettext_lazy("Demander l'habilitation"),
        gettext_lazy("Êtes-vous sûr de vouloir demander l'habilitation de %(name)s ?"),
        gettext_lazy(
            "La demande d'habilitation de %(name)s a été transmise à l'équipe Relais."
        ),
    ),
    "suspend": (
        hab_services.suspend_habilitation,
        ReasonForm,
        gettext_lazy("Suspendre l'habilitation"),
        gettext_lazy("Êtes-vous sûr de vouloir suspendre l'habilitation de %(name)s ?"),
        gettext_lazy("L'habilitation de %(name)s est suspendue."),
    ),
    "revoke": (
        hab_services.revoke_habilitation,
        ReasonForm,
        gettext_lazy("Révoquer l'habilitation"),
        gettext_lazy(
            "Êtes-vous sûr de vouloir révoquer définitivement l'habilitation de "
            "%(name)s ?"
        ),
        gettext_lazy("L'habilitation de %(name)s est révoquée."),
    ),
    "reactivate": (
        hab_services.reactivate_habilitation,
        ConfirmForm,
        gettext_lazy("Réactiver l'habilitation"),
        gettext_lazy("Êtes-vous sûr de vouloir réactiver l'habilitation de %(name)s ?"),
        gettext_lazy("L'habilitation de %(name)s est de nouveau active."),
    ),
    "end_date": (
        hab_services.set_habilitation_end_date,
        EndDateForm,
        gettext_lazy("Date de fin d'habilitation"),
        gettext_lazy(
            "Jusqu'à quelle date %(name)s peut-il ou elle agir ? Laissez vide pour "
            "ne fixer aucune date de fin."
        ),
        gettext_lazy("La date de fin d'habilitation de %(name)s est enregistrée."),
    ),
    "designate": (
        hab_services.designate_referent,
        ConfirmForm,
        gettext_lazy("Désigner comme co-référent"),
        gettext_lazy("Êtes-vous sûr de vouloir désigner %(name)s comme co-référent ?"),
        gettext_lazy("%(name)s est désormais co-référent de la structure."),
    ),
}


def confirm_then_act(
    request, hab: Habilitation, *, form_class, act, title, question, done
):
    """The référent's confirmation pages, written once: GET asks `question`, a
    valid POST calls `act(**cleaned_data)` (one service; its AidantsError shown
    as a message) and goes back to the aidant's page."""
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            act(**form.cleaned_data)
        except AidantsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
        return redirect("aidants:referent-aidant", habilitation_uuid=hab.uuid)
    context = {"hab": hab, "form": form, "title": title, "question": question}
    return render(request, "aidants/referent/confirm.html", context)


@referent_required
@GET_POST
def habilitation_change(request, habilitation_uuid, kind: str):
    service, form_class, title, question, done = CONFIRMATIONS[kind]
    hab = _habilitation(request, habilitation_uuid)
    if not access.can_change_habilitation(request.user, hab):
        raise PermissionDenied(_("Vous ne pouvez pas modifier votre propre accès."))
    names = {"name": hab.aidant.get_full_name()}
    return confirm_then_act(
        request,
        hab,
        form_class=form_class,
        act=partial(service, habilitation=hab, by=request.user),
        title=title,
        question=str(question) % names,
        done=str(done) % names,
    )


@referent_required
@GET_POST
def invite(request):
    form = InviteAidantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = invite_aidant(
                structure=request.user.current_structure,
                by=request.user,
                **form.cleaned_data,
            )
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s.")
                % {"email": invitation.aidant.email},
            )
            return redirect("aidants:referent-home")
    return render(request, "aidants/referent/invite.html", {"form": form})


@referent_required
@GET_POST
def demarches(request):
    structure = request.user.current_structure
    if request.method == "POST":
        form = DemarchesForm(request.POST)
    else:
        form = DemarchesForm(initial={"demarches": structure.demarches()})
    if request.method == "POST" and form.is_valid():
        try:
            set_allowed_demarches(
                structure=structure,
                by=request.user,
                demarches=form.cleaned_data["demarches"],
            )
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Les démarches autorisées sont enregistrées."))
            return redirect("aidants:referent-home")
    return render(
        request,
        "aidants/referent/demarches.html",
        {"form": form, "structure": structure},
    )
