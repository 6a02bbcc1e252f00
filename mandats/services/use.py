"""Acting for a usager: the decision (mandats.access) and its journal entry."""

from typing import Any

import audit
from aidants.models import Aidant, Structure
from mandats import access
from mandats.access import Decision
from mandats.models import Autorisation, Usager


def authorize_use(
    *,
    aidant: Aidant,
    usager: Usager,
    demarche: str,
    structure: Structure | None,
    session_verified: bool,
    client_id: str = "",
    request: Any = None,
    live: Autorisation | None = None,
) -> Decision:
    """Decide (mandats.access.can_act) and journal MANDAT_USED when allowed,
    ACCESS_DENIED with the reason otherwise, in one transaction. Never raises on
    a refusal: the caller must stop when `decision.allowed` is False. `live`:
    see `access.can_act`."""
    with audit.joined_atomic():
        decision = access.can_act(
            aidant=aidant,
            usager=usager,
            demarche=demarche,
            structure=structure,
            session_verified=session_verified,
            live=live,
        )
        if decision.allowed:
            audit.record(
                audit.Action.MANDAT_USED,
                actor=aidant,
                structure=structure,
                usager=usager,
                mandat=decision.autorisation.mandat,
                demarche=demarche,
                client=client_id,
                request=request,
                details={"autorisation": str(decision.autorisation.uuid)},
            )
        else:
            audit.record(
                audit.Action.ACCESS_DENIED,
                actor=aidant,
                structure=structure,
                usager=usager,
                demarche=str(demarche)[:32],
                client=client_id,
                request=request,
                details={"reason": decision.reason},
            )
    return decision
