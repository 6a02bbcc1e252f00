"""Revoking a mandate or one of its autorisations: atomic and journaled."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import session_events
from mandats.exceptions import AlreadyRevoked
from mandats.models import Autorisation, Mandat, RevokedBy

REASON_REPLACED = "remplacée"


def _journal_actor(by_type: str, by_id: str, actor: Any) -> Any:
    # The journal knows aidant/usager/system/staff; a référent is an aidant.
    if actor is not None:
        return actor
    if by_type == RevokedBy.SYSTEM:
        return None
    kind = "aidant" if by_type == RevokedBy.REFERENT else by_type
    return (kind, by_id)


def _set_revoked(obj, *, at, by_type: str, by_id: str, reason: str) -> None:
    obj.revoked_at = at
    obj.revoked_by_type = by_type
    obj.revoked_by_id = str(by_id)[:64]
    obj.revocation_reason = reason
    obj.save(
        update_fields=[
            "revoked_at",
            "revoked_by_type",
            "revoked_by_id",
            "revocation_reason",
        ]
    )


def revoke_autorisation(
    *,
    autorisation: Autorisation,
    by_type: str,
    by_id: str,
    actor: Any = None,
    reason: str = "",
    request: Any = None,
) -> Autorisation:
    """Revoke one démarche of a mandate, at once and for good.

    Journals AUTORISATION_REVOKED; raises AlreadyRevoked if it (or its mandate)
    is already revoked. Revoking the last live démarche does not revoke the
    mandate itself (it simply covers nothing any more).
    """
    by_type = RevokedBy(by_type)
    with transaction.atomic():
        # Lock: two concurrent revocations must not both succeed.
        locked = (
            Autorisation.objects.select_for_update()
            .select_related("mandat", "usager", "structure")
            .get(pk=autorisation.pk)
        )
        if locked.revoked_at is not None or locked.mandat.revoked_at is not None:
            raise AlreadyRevoked(_("Cette autorisation est déjà révoquée."))
        _set_revoked(
            locked, at=timezone.now(), by_type=by_type, by_id=by_id, reason=reason
        )
        audit.record(
            audit.Action.AUTORISATION_REVOKED,
            actor=_journal_actor(by_type, by_id, actor),
            structure=locked.structure,
            usager=locked.usager,
            mandat=locked.mandat,
            demarche=locked.demarche,
            request=request,
            details={"by": by_type, "reason": reason[:200]},
        )
        # Services holding a session opened under it are told (back-channel).
        session_events.sessions_ended(
            reason="autorisation_revoked", autorisation_ids=(locked.pk,)
        )
    autorisation.refresh_from_db()
    return locked


def revoke_mandat(
    *,
    mandat: Mandat,
    by_type: str,
    by_id: str,
    actor: Any = None,
    reason: str = "",
    request: Any = None,
) -> Mandat:
    """Revoke a whole mandate and its live autorisations, at once and for good.

    Journals MANDAT_REVOKED; raises AlreadyRevoked on a revoked mandate (no
    service ever un-revokes one).
    """
    by_type = RevokedBy(by_type)
    with transaction.atomic():
        locked = (
            Mandat.objects.select_for_update()
            .select_related("usager", "structure")
            .get(pk=mandat.pk)
        )
        if locked.revoked_at is not None:
            raise AlreadyRevoked(_("Ce mandat est déjà révoqué."))
        now = timezone.now()
        _set_revoked(locked, at=now, by_type=by_type, by_id=by_id, reason=reason)
        # Revoked with the mandate: frees the (usager, structure, démarche) slot.
        Autorisation.objects.filter(mandat=locked, revoked_at__isnull=True).update(
            revoked_at=now,
            revoked_by_type=by_type,
            revoked_by_id=str(by_id)[:64],
            revocation_reason=reason,
        )
        audit.record(
            audit.Action.MANDAT_REVOKED,
            actor=_journal_actor(by_type, by_id, actor),
            structure=locked.structure,
            usager=locked.usager,
            mandat=locked,
            request=request,
            details={"by": by_type, "reason": reason[:200]},
        )
        session_events.sessions_ended(reason="mandat_revoked", mandat_id=locked.pk)
    mandat.refresh_from_db()
    return locked
