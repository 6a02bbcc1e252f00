"""What a référent or a staff member may do to whom. Pure decisions, no writes."""

from datetime import date

from django.db.models import Exists, OuterRef
from django_otp_webauthn.models import WebAuthnCredential

from aidants.models import (
    Aidant,
    BackupCodeDevice,
    CarteTOTP,
    Habilitation,
    HabilitationStatus,
    Structure,
    TOTPDevice,
)


def is_referent(aidant: Aidant, structure: Structure | None) -> bool:
    """True when `aidant` is a référent of `structure` now: the référent
    habilitation is active and unexpired, in an active structure. Suspension,
    revocation and expiry end every référent power at once."""
    if structure is None or not aidant.is_authenticated:
        return False
    return (
        Habilitation.objects.referents()
        .filter(aidant=aidant, structure=structure)
        .exists()
    )


def active_habilitation_sql(
    aidant_ref: str, structure_ref: str, day: date | None = None
) -> Exists:
    """`has_active_habilitation` as SQL, to annotate a query that loads the
    aidant (fields named relative to that query; same `active()` rule, on
    `day`, today by default)."""
    return Exists(
        Habilitation.objects.filter(
            aidant=OuterRef(aidant_ref), structure=OuterRef(structure_ref)
        ).active(day=day)
    )


def remember_habilitation(aidant: Aidant, structure_id: int | None, active) -> None:
    """Keep on `aidant` the answer of `active_habilitation_sql` for
    `structure_id`, loaded with it: `has_active_habilitation` reads it."""
    aidant.active_habilitation_in = (structure_id, bool(active))


def has_active_habilitation(aidant: Aidant, structure: Structure | None) -> bool:
    """True when `aidant` holds an active, unexpired habilitation in `structure`.
    An aidant loaded with its request context (aidants/context.py) already
    carries the answer for its current structure."""
    if structure is None or not aidant.is_authenticated:
        return False
    known = getattr(aidant, "active_habilitation_in", None)
    if known is not None and known[0] == structure.pk:
        return known[1]
    return (
        Habilitation.objects.filter(aidant=aidant, structure=structure)
        .active()
        .exists()
    )


def can_manage_structure(actor: Aidant, structure: Structure | None) -> bool:
    """Référents manage their own structure only; staff manage every structure."""
    return actor.is_staff or is_referent(actor, structure)


def can_activate_habilitation(actor: Aidant) -> bool:
    """Only staff activate (or refuse) a habilitation."""
    return bool(actor.is_staff)


def can_log_in(aidant: Aidant) -> bool:
    """An account logs in when it is staff or holds an active habilitation (a
    référent role counts only inside an active habilitation)."""
    if not aidant.is_active:
        return False
    if aidant.is_staff:
        return True
    return Habilitation.objects.filter(aidant=aidant).active().exists()


def usable_structures(aidant: Aidant) -> list[Structure]:
    """Structures the aidant may select as current (active habilitation)."""
    memberships = Habilitation.objects.filter(aidant=aidant)
    ids = set(memberships.active().values_list("structure_id", flat=True))
    return list(Structure.objects.filter(pk__in=ids).order_by("name"))


def managed_habilitations(actor: Aidant, structure: Structure | None):
    """Memberships of `structure` that `actor` manages (référent space): empty
    unless the actor manages the structure, so other structures' aidants are 404."""
    if structure is None or not can_manage_structure(actor, structure):
        return Habilitation.objects.none()
    return Habilitation.objects.for_structure(structure)


def managed_cards(actor: Aidant, structure: Structure | None):
    """Physical cards registered in `structure`, if `actor` manages it."""
    if structure is None or not can_manage_structure(actor, structure):
        return CarteTOTP.objects.none()
    return CarteTOTP.objects.filter(structure=structure)


def stock_cards_of(actor: Aidant, structure: Structure | None):
    """Cards of `structure`'s stock (not yet given to an aidant), if `actor`
    manages it."""
    return managed_cards(actor, structure).filter(
        aidant__isnull=True, unlinked_at__isnull=True, device__isnull=False
    )


def can_change_habilitation(actor: Aidant, habilitation: Habilitation) -> bool:
    """A manager of the structure changes other members' habilitations, never
    their own (a référent cannot suspend or revoke themselves)."""
    return (
        can_manage_structure(actor, habilitation.structure)
        and habilitation.aidant_id != actor.pk
    )


def habilitation_changes(actor: Aidant, habilitation: Habilitation) -> dict[str, bool]:
    """The changes `actor` may make to `habilitation` now (the référent's buttons,
    and the services' own check): none to their own, each only from the status it
    applies to."""
    change = can_change_habilitation(actor, habilitation)
    status = habilitation.status
    S = HabilitationStatus
    return {
        "request": change
        and (
            status in (S.SUSPENDED, S.REVOKED)
            or (status == S.ACTIVE and not habilitation.is_active())
        ),
        "suspend": change and status == S.ACTIVE,
        "revoke": change and status != S.REVOKED,
        "designate": change and not habilitation.is_referent and status != S.REVOKED,
        "reactivate": change and status == S.SUSPENDED,
        "end_date": change and status != S.REVOKED,
    }


def member_structures(aidant: Aidant):
    """Structures where `aidant` has a membership of any status: the scope in
    which a structure is looked up for the aidant (others give a 404)."""
    return Structure.objects.filter(habilitations__aidant=aidant).distinct()


def can_use_staff_space(user) -> bool:
    """Active staff with a verified second factor (the staff space, beside the
    admin)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.is_verified()
    )


def passkey_required(aidant: Aidant) -> bool:
    """True when a structure where `aidant` is an active member requires passkeys
    (a TOTP code, card or backup code is then not enough to log in)."""
    if not aidant.is_authenticated:
        return False
    return (
        Habilitation.objects.filter(aidant=aidant, structure__require_passkey=True)
        .active()
        .exists()
    )


def can_attach_device(actor: Aidant, aidant: Aidant, structure: Structure) -> bool:
    """A référent (or staff) attaches a second factor (a physical card) only to
    an active member of `structure` they manage, never to a staff account: a
    factor chosen by someone else must not open an account they do not manage."""
    if aidant.is_staff or aidant.is_superuser or not aidant.is_active:
        return False
    return can_manage_structure(actor, structure) and has_active_habilitation(
        aidant, structure
    )


def can_issue_enrolment_link(
    actor: Aidant, aidant: Aidant, structure: Structure | None
) -> bool:
    """Staff send an enrolment link to any active account; a référent only to an
    active member (not staff) of their own structure. The link goes to the
    holder's own address, never to the actor."""
    if not aidant.is_active:
        return False
    if actor.is_staff:
        return True
    return structure is not None and can_attach_device(actor, aidant, structure)


def factor_journal_structures(aidant: Aidant) -> list[Structure]:
    """Every structure the person belongs to (any status but revoked): where a
    change of their second factors is journaled, so each can see it."""
    ids = (
        Habilitation.objects.filter(aidant=aidant)
        .exclude(status=HabilitationStatus.REVOKED)
        .values_list("structure_id", flat=True)
    )
    return list(Structure.objects.filter(pk__in=set(ids)).order_by("pk"))


def has_usable_device(aidant: Aidant) -> bool:
    """A confirmed TOTP device (app or card), a passkey, or backup codes left."""
    if TOTPDevice.objects.filter(user=aidant, confirmed=True).exists():
        return True
    if WebAuthnCredential.objects.filter(user=aidant, confirmed=True).exists():
        return True
    return BackupCodeDevice.objects.filter(
        user=aidant, confirmed=True, codes__isnull=False
    ).exists()
