"""The usager's own session (usager space), separate from any aidant login.

A usager logs in with FranceConnect (same client as the creation wizard, purpose
"usager"); the session then holds only their uuid under SESSION_KEY, for at
most USAGER_SESSION_MAX_AGE_SECONDS and USAGER_SESSION_IDLE_SECONDS idle.
"""

import time
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect

import audit
from aidants.demarches import Demarche
from aidants.models import Aidant, Structure
from audit.models import JournalEntry
from mandats import online_services
from mandats.franceconnect import Identity
from mandats.models import Usager

SESSION_KEY = "usager_space"
PURPOSE = "usager"


def _max_age() -> int:
    return int(getattr(settings, "USAGER_SESSION_MAX_AGE_SECONDS", 3600))


def _idle() -> int:
    return int(getattr(settings, "USAGER_SESSION_IDLE_SECONDS", 15 * 60))


def log_in(request, identity: Identity) -> Usager | None:
    """Open the usager space for the usager FranceConnect identified, if Relais
    knows them (by issuer + sub, not purged); journals USAGER_LOGGED_IN. Returns
    None (and opens nothing) for an unknown identity: no usager is created."""
    usager = Usager.objects.filter(
        fc_issuer=identity["issuer"], fc_sub=identity["sub"], purged_at__isnull=True
    ).first()
    if usager is None:
        return None
    with transaction.atomic():
        audit.record(
            audit.Action.USAGER_LOGGED_IN,
            actor=usager,
            usager=usager,
            request=request,
            details={"acr": identity.get("acr", "")[:32]},
        )
    # A new session key: no fixation from a key planted before the login.
    request.session.cycle_key()
    now = int(time.time())
    request.session[SESSION_KEY] = {
        "usager": str(usager.uuid),
        "since": now,
        "seen": now,
    }
    return usager


def log_out(request) -> None:
    request.session.pop(SESSION_KEY, None)


def current_usager(request) -> Usager | None:
    """The logged-in usager, or None (absent, too old, idle, or purged)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    now = int(time.time())
    if now - int(data.get("since", 0)) > _max_age() or (
        now - int(data.get("seen", 0)) > _idle()
    ):
        log_out(request)
        return None
    usager_id = data.get("usager")
    usager = (
        Usager.objects.filter(uuid=usager_id, purged_at__isnull=True).first()
        if usager_id
        else None
    )
    if usager is None:
        log_out(request)
        return None
    data["seen"] = now
    request.session[SESSION_KEY] = data
    return usager


def usager_required(view):
    """Usager space pages: a logged-in usager, passed as `request.usager`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        usager = current_usager(request)
        if usager is None:
            return redirect("mandats:usager-space")
        request.usager = usager
        return view(request, *args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Use:
    at: datetime
    structure: str
    aidant_first_name: str
    demarche: str
    service: str
    mandat_id: str


def _names(model, field: str, values: set[str], attr) -> dict[str, str]:
    if not values:
        return {}
    rows = model.objects.filter(**{f"{field}__in": values})
    return {str(getattr(row, field)): attr(row) for row in rows}


def uses(entries: list[JournalEntry]) -> list[Use]:
    """Journal MANDAT_USED entries as what the usager reads: when, which
    structure, the aidant's first name only, démarche, online service. Names are
    resolved with one query per kind, not per entry."""

    structures = _names(
        Structure, "uuid", {e.structure_id for e in entries}, lambda s: s.name
    )
    aidants = _names(
        Aidant, "uuid", {e.actor_id for e in entries}, lambda a: a.first_name
    )
    clients = online_services.names({e.client_id for e in entries if e.client_id})
    result = []
    for entry in entries:
        try:
            demarche = str(Demarche(entry.demarche).label)
        except ValueError:
            demarche = entry.demarche
        result.append(
            Use(
                at=entry.created_at,
                structure=structures.get(entry.structure_id, ""),
                aidant_first_name=aidants.get(entry.actor_id, ""),
                demarche=demarche,
                service=clients.get(entry.client_id, entry.client_id),
                mandat_id=entry.mandat_id,
            )
        )
    return result


def use_entries(usager: Usager) -> Any:
    """The journal's MANDAT_USED entries about `usager`, newest first (a queryset
    to paginate)."""
    return (
        JournalEntry.objects.for_usager(usager.journal_id)
        .filter(action=audit.Action.MANDAT_USED)
        .order_by("-seq")
    )
