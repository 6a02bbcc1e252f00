"""What a référent or a staff member may do to whom. Pure decisions, no writes."""

from aidants.models import Aidant, Habilitation, Structure


def is_referent(aidant: Aidant, structure: Structure | None) -> bool:
    """True when `aidant` is a référent of `structure` (not revoked, active)."""
    if structure is None or not aidant.is_authenticated:
        return False
    return (
        Habilitation.objects.referents()
        .filter(aidant=aidant, structure=structure)
        .exists()
    )


def has_active_habilitation(aidant: Aidant, structure: Structure | None) -> bool:
    """True when `aidant` holds an active, unexpired habilitation in `structure`."""
    if structure is None or not aidant.is_authenticated:
        return False
    return (
        Habilitation.objects.filter(aidant=aidant, structure=structure)
        .active()
        .exists()
    )


def can_manage_structure(actor: Aidant, structure: Structure) -> bool:
    """Référents manage their own structure only; staff manage every structure."""
    return actor.is_staff or is_referent(actor, structure)


def can_activate_habilitation(actor: Aidant) -> bool:
    """Only staff activate (or refuse) a habilitation."""
    return bool(actor.is_staff)


def can_log_in(aidant: Aidant) -> bool:
    """An account logs in when it is staff, holds an active habilitation, or is a
    référent of an active structure."""
    if not aidant.is_active:
        return False
    if aidant.is_staff:
        return True
    memberships = Habilitation.objects.filter(aidant=aidant)
    return memberships.active().exists() or memberships.referents().exists()


def usable_structures(aidant: Aidant) -> list[Structure]:
    """Structures the aidant may select as current (active habilitation or référent)."""
    memberships = Habilitation.objects.filter(aidant=aidant).select_related("structure")
    ids = set(memberships.active().values_list("structure_id", flat=True))
    ids |= set(memberships.referents().values_list("structure_id", flat=True))
    return list(Structure.objects.filter(pk__in=ids).order_by("name"))


def managed_habilitations(actor: Aidant, structure: Structure | None):
    """Memberships of `structure` that `actor` manages (référent space): empty
    unless the actor manages the structure, so other structures' aidants are 404."""
    if structure is None or not can_manage_structure(actor, structure):
        return Habilitation.objects.none()
    return Habilitation.objects.for_structure(structure)


def managed_cards(actor: Aidant, structure: Structure | None):
    """Physical cards registered in `structure`, if `actor` manages it."""
    from aidants.models import CarteTOTP

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
