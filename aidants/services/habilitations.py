"""Habilitation changes. Each one is atomic and journaled."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import access, session_events
from aidants.exceptions import InvalidTransition, NotAllowed
from aidants.models import Aidant, Habilitation, HabilitationStatus, Structure

S = HabilitationStatus


def _locked(habilitation: Habilitation) -> Habilitation:
    # Lock the row: two concurrent decisions on one habilitation must not interleave.
    return (
        Habilitation.objects.select_for_update()
        .select_related("structure", "aidant")
        .get(pk=habilitation.pk)
    )


def _require_manager(actor: Aidant, structure: Structure) -> None:
    if not access.can_manage_structure(actor, structure):
        raise NotAllowed(_("Vous n'êtes pas référent de cette structure."))


def _require_change(actor: Aidant, hab: Habilitation) -> None:
    # aidants.access.can_change_habilitation: a manager, never on their own access.
    _require_manager(actor, hab.structure)
    if not access.can_change_habilitation(actor, hab):
        raise NotAllowed(_("Vous ne pouvez pas modifier votre propre accès."))


def _journal(action, hab: Habilitation, by: Aidant | None, reason: str = "") -> None:
    details = {"status": hab.status, "habilitation": str(hab.uuid)}
    if reason:
        details["reason"] = reason[:200]
    audit.record(
        action,
        actor=by,
        structure=hab.structure,
        details={"aidant": str(hab.aidant.uuid), **details},
    )


def request_habilitation(*, habilitation: Habilitation, by: Aidant) -> Habilitation:
    """A référent (or staff) asks staff to habilitate an aidant of their structure.

    Journals HABILITATION_REQUESTED; raises NotAllowed or InvalidTransition.
    """
    with transaction.atomic():
        hab = _locked(habilitation)
        _require_change(by, hab)
        if hab.status == S.ACTIVE and hab.is_active():
            raise InvalidTransition(_("Cette habilitation est déjà active."))
        hab.status = S.REQUESTED
        hab.requested_by, hab.requested_at = by, timezone.now()
        hab.decided_by, hab.decided_at, hab.reason = None, None, ""
        hab.save()
        _journal(audit.Action.HABILITATION_REQUESTED, hab, by)
    return hab


def activate_habilitation(
    *, habilitation: Habilitation, by: Aidant, valid_until: date | None = None
) -> Habilitation:
    """Staff approve a requested (or suspended) habilitation.

    Journals HABILITATION_ACTIVATED; raises NotAllowed unless `by` is staff.
    """
    if not access.can_activate_habilitation(by):
        raise NotAllowed(_("Seule l'équipe Relais peut activer une habilitation."))
    with transaction.atomic():
        hab = _locked(habilitation)
        if hab.status not in (S.REQUESTED, S.SUSPENDED) and hab.is_active():
            raise InvalidTransition(_("Cette habilitation est déjà active."))
        if hab.status == S.REVOKED:
            raise InvalidTransition(
                _("Une habilitation révoquée doit d'abord être redemandée.")
            )
        hab.status = S.ACTIVE
        hab.valid_until = valid_until
        hab.decided_by, hab.decided_at, hab.reason = by, timezone.now(), ""
        hab.save()
        _journal(audit.Action.HABILITATION_ACTIVATED, hab, by)
    return hab


def refuse_habilitation(
    *, habilitation: Habilitation, by: Aidant, reason: str
) -> Habilitation:
    """Staff refuse a requested habilitation (it becomes revoked, with the reason).

    Journals HABILITATION_REFUSED; raises NotAllowed or InvalidTransition.
    """
    if not access.can_activate_habilitation(by):
        raise NotAllowed(_("Seule l'équipe Relais peut refuser une habilitation."))
    with transaction.atomic():
        hab = _locked(habilitation)
        if hab.status != S.REQUESTED:
            raise InvalidTransition(
                _("Seule une demande en attente peut être refusée.")
            )
        hab.status = S.REVOKED
        hab.decided_by, hab.decided_at, hab.reason = by, timezone.now(), reason
        hab.save()
        _journal(audit.Action.HABILITATION_REFUSED, hab, by, reason)
    return hab


def suspend_habilitation(
    *, habilitation: Habilitation, by: Aidant | None, reason: str
) -> Habilitation:
    """A référent of the structure (or staff, or the system when `by` is None)
    suspends an active habilitation. Journals HABILITATION_SUSPENDED."""
    with transaction.atomic():
        hab = _locked(habilitation)
        if by is not None:
            _require_change(by, hab)
        if hab.status != S.ACTIVE:
            raise InvalidTransition(
                _("Seule une habilitation active peut être suspendue.")
            )
        hab.status = S.SUSPENDED
        hab.decided_by, hab.decided_at, hab.reason = by, timezone.now(), reason
        hab.save()
        _journal(audit.Action.HABILITATION_SUSPENDED, hab, by, reason)
        session_events.sessions_ended(
            reason="habilitation_suspended",
            aidant_id=hab.aidant_id,
            structure_id=hab.structure_id,
        )
    return hab


def revoke_habilitation(
    *, habilitation: Habilitation, by: Aidant, reason: str
) -> Habilitation:
    """A référent of the structure (or staff) revokes a habilitation for good; the
    aidant also loses the référent role there. Journals HABILITATION_REVOKED."""
    with transaction.atomic():
        hab = _locked(habilitation)
        _require_change(by, hab)
        if hab.status == S.REVOKED:
            raise InvalidTransition(_("Cette habilitation est déjà révoquée."))
        hab.status = S.REVOKED
        hab.is_referent = False
        hab.decided_by, hab.decided_at, hab.reason = by, timezone.now(), reason
        hab.save()
        _journal(audit.Action.HABILITATION_REVOKED, hab, by, reason)
        session_events.sessions_ended(
            reason="habilitation_revoked",
            aidant_id=hab.aidant_id,
            structure_id=hab.structure_id,
        )
    return hab


def designate_referent(*, habilitation: Habilitation, by: Aidant) -> Habilitation:
    """A référent (or staff) makes another member of the structure a co-référent.

    Journals REFERENT_DESIGNATED; raises NotAllowed or InvalidTransition.
    """
    with transaction.atomic():
        hab = _locked(habilitation)
        _require_change(by, hab)
        if hab.status == S.REVOKED:
            raise InvalidTransition(_("Cet aidant n'est plus membre de la structure."))
        if hab.is_referent:
            raise InvalidTransition(_("Cet aidant est déjà référent."))
        hab.is_referent = True
        hab.save(update_fields=["is_referent"])
        _journal(audit.Action.REFERENT_DESIGNATED, hab, by)
    return hab


def reactivate_habilitation(*, habilitation: Habilitation, by: Aidant) -> Habilitation:
    """A référent of the structure (or staff) lifts a suspension: the aidant acts
    again, until the end date if one is set. Journals HABILITATION_REACTIVATED;
    raises NotAllowed or InvalidTransition (not suspended, or expired)."""
    with transaction.atomic():
        hab = _locked(habilitation)
        _require_change(by, hab)
        if hab.status != S.SUSPENDED:
            raise InvalidTransition(
                _("Seule une habilitation suspendue peut être réactivée.")
            )
        if hab.valid_until is not None and hab.valid_until < timezone.localdate():
            raise InvalidTransition(
                _("Cette habilitation a expiré : changez d'abord sa date de fin.")
            )
        hab.status = S.ACTIVE
        hab.decided_by, hab.decided_at, hab.reason = by, timezone.now(), ""
        hab.save()
        _journal(audit.Action.HABILITATION_REACTIVATED, hab, by)
    return hab


def set_habilitation_end_date(
    *, habilitation: Habilitation, by: Aidant, valid_until: date | None
) -> Habilitation:
    """A référent of the structure (or staff) sets, changes or removes (None) the
    habilitation's end date; after it the aidant can no longer act (see
    Habilitation.is_active). Journals HABILITATION_END_DATE_SET; raises
    NotAllowed or InvalidTransition (revoked, or a date in the past)."""
    with transaction.atomic():
        hab = _locked(habilitation)
        _require_change(by, hab)
        if hab.status == S.REVOKED:
            raise InvalidTransition(_("Cette habilitation est révoquée."))
        if valid_until is not None and valid_until < timezone.localdate():
            raise InvalidTransition(_("La date de fin ne peut pas être passée."))
        hab.valid_until = valid_until
        hab.save(update_fields=["valid_until"])
        audit.record(
            audit.Action.HABILITATION_END_DATE_SET,
            actor=by,
            structure=hab.structure,
            details={
                "aidant": str(hab.aidant.uuid),
                "habilitation": str(hab.uuid),
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
    return hab
