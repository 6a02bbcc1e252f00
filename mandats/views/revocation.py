"""One confirm-then-revoke flow for a mandate or one of its démarches, from the
aidant's pages (the référent's too: a référent is an aidant of the structure)
and from the usager's space. Whether it may still be revoked is
`mandats.access.can_revoke`; the write is `revoke_mandat` / `revoke_autorisation`.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mandats import access
from mandats.exceptions import AlreadyRevoked
from mandats.forms import RevocationForm, UsagerRevocationForm
from mandats.models import Autorisation, Mandat, RevokedBy
from mandats.services import revoke_autorisation, revoke_mandat

# The reason journaled when the usager revokes alone, in their space.
USAGER_REASON = "Révoqué par la personne dans son espace"


def _aidant_page(mandat: Mandat, autorisation: Autorisation | None) -> dict:
    names = {"name": mandat.usager.full_name}
    if autorisation is None:
        lead = _(
            "Vous allez révoquer tout le mandat de %(name)s, pour toutes ses démarches."
        )
    else:
        names["label"] = autorisation.get_demarche_display()
        lead = _("Vous allez révoquer la démarche « %(label)s » du mandat de %(name)s.")
    detail_url = reverse("mandats:mandat-detail", kwargs={"uuid": mandat.uuid})
    return {
        "lead": lead % names,
        "warning": _(
            "La révocation prend effet immédiatement et ne peut pas être annulée. "
            "Un nouveau mandat demandera une nouvelle identification et un nouvel "
            "accord de la personne."
        ),
        "submit_label": _("Révoquer"),
        "cancel_url": detail_url,
        "done": _("Le mandat est révoqué.")
        if autorisation is None
        else _("La démarche est révoquée."),
        "done_url": detail_url,
    }


def _usager_page(mandat: Mandat, autorisation: Autorisation | None) -> dict:
    names = {"structure": mandat.structure.name}
    if autorisation is None:
        lead = _(
            "Vous allez retirer à %(structure)s le droit d'agir pour vous, pour "
            "toutes les démarches de ce mandat."
        )
    else:
        names["label"] = autorisation.get_demarche_display()
        lead = _(
            "Vous allez retirer à %(structure)s le droit d'agir pour vous sur la "
            "démarche « %(label)s »."
        )
    return {
        "lead": lead % names,
        "warning": _(
            "La révocation prend effet immédiatement et ne peut pas être annulée. "
            "Vous recevrez une attestation de révocation."
        ),
        "submit_label": _("Je révoque"),
        "cancel_url": reverse("mandats:usager-space"),
        "done": _("C'est fait : la révocation a pris effet."),
        "done_url": reverse(
            "mandats:usager-revocation-attestation", kwargs={"uuid": mandat.uuid}
        ),
    }


def _revoker(request, audience: str) -> tuple[dict, type[forms.Form], Callable]:
    """Who revokes, the form they confirm with, and the reason it gives: the
    aidant picks a fixed reason; the usager's reason is always the same."""
    if audience == "usager":
        usager = request.usager
        revoker = {"by_type": RevokedBy.USAGER, "by_id": str(usager.uuid)}
        return (
            {**revoker, "actor": usager},
            UsagerRevocationForm,
            lambda form: USAGER_REASON,
        )
    aidant = request.user
    revoker = {"by_type": RevokedBy.AIDANT, "by_id": str(aidant.uuid)}
    return {**revoker, "actor": aidant}, RevocationForm, RevocationForm.reason_label


def confirm_then_revoke(
    request, *, mandat: Mandat, autorisation: Autorisation | None, audience: str
):
    """GET (or an invalid POST) shows the confirmation page; a valid POST
    revokes the mandate, or only `autorisation`, as the aidant (`audience`
    "aidant", request.user) or the usager ("usager", request.usager)."""
    decision = access.can_revoke(mandat=mandat, autorisation=autorisation)
    if not decision.allowed:
        raise PermissionDenied(decision.message)
    page = (_usager_page if audience == "usager" else _aidant_page)(
        mandat, autorisation
    )
    revoker, form_class, reason = _revoker(request, audience)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        context = {**page, "mandat": mandat, "autorisation": autorisation, "form": form}
        return render(request, "mandats/revoke_confirm.html", context)
    common = {**revoker, "reason": reason(form), "request": request}
    try:
        if autorisation is None:
            revoke_mandat(mandat=mandat, **common)
        else:
            revoke_autorisation(autorisation=autorisation, **common)
    except AlreadyRevoked as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, page["done"])
    return redirect(page["done_url"])
