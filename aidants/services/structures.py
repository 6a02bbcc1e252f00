"""Structure settings changed by its référents."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

import audit
from aidants import access
from aidants.demarches import Demarche
from aidants.exceptions import AidantsError, NotAllowed
from aidants.models import Aidant, Structure


def set_allowed_demarches(
    *, structure: Structure, by: Aidant, demarches: Iterable[str]
) -> Structure:
    """Restrict the démarches the structure's aidants may use (all of them
    selected means no restriction). Journals STRUCTURE_DEMARCHES_CHANGED;
    raises NotAllowed, or AidantsError for an empty or unknown selection."""
    if not access.can_manage_structure(by, structure):
        raise NotAllowed(_("Vous n'êtes pas référent de cette structure."))
    chosen = set(demarches)
    if not chosen:
        raise AidantsError(_("Choisissez au moins une démarche."))
    if not chosen <= set(Demarche.values):
        raise AidantsError(_("Démarche inconnue."))
    ordered = [code for code in Demarche.values if code in chosen]
    # Everything selected is stored as "no restriction" (the empty list), so that
    # a démarche added to the catalogue later is not silently forbidden.
    stored = [] if len(ordered) == len(Demarche.values) else ordered
    with transaction.atomic():
        structure = Structure.objects.select_for_update().get(pk=structure.pk)
        before = structure.demarches()
        structure.allowed_demarches = stored
        structure.save(update_fields=["allowed_demarches"])
        audit.record(
            audit.Action.STRUCTURE_DEMARCHES_CHANGED,
            actor=by,
            structure=structure,
            details={"before": before, "after": ordered},
        )
    return structure
