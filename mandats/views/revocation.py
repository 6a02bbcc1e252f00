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

from mandats import access
from mandats.exceptions import AlreadyRevoked
from mandats.models import Autorisation, Mandat
from mandats.services import revoke_autorisation, revoke_mandat


def confirm_then_revoke(
    request,
    *,
    mandat: Mandat,
    autorisation: Autorisation | None,
    form_class: type[forms.Form],
    revoker: dict,
    reason: Callable[[forms.Form], str],
    page: dict,
    done: str,
    done_url: str,
):
    """GET (or an invalid POST) shows the confirmation `page` (lead, warning,
    submit label, cancel URL); a valid POST revokes as `revoker` (by_type,
    by_id, actor) with `reason(form)`, then goes to `done_url`."""
    decision = access.can_revoke(mandat=mandat, autorisation=autorisation)
    if not decision.allowed:
        raise PermissionDenied(decision.message)
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
    messages.success(request, done)
    return redirect(done_url)
