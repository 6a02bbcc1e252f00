"""The aidant's passkeys: enrolment (after a fresh second factor), removal, and
the structure's requirement. Each change is atomic and journaled like the other
factors (OTP_DEVICE_ADDED / OTP_DEVICE_REMOVED with kind "passkey")."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp_webauthn.models import WebAuthnCredential

import audit
from aidants import access
from aidants.exceptions import NotAllowed
from aidants.models import Aidant, Structure

# Set when a structure requires passkeys and the aidant has none yet: the code
# they logged in with opens the passkey enrolment page and nothing else.
ENROLMENT_ONLY_KEY = "relais_passkey_enrolment_only"


def passkeys_of(aidant: Aidant):
    return WebAuthnCredential.objects.filter(user=aidant, confirmed=True).order_by(
        "created_at"
    )


def has_passkey(aidant: Aidant) -> bool:
    return passkeys_of(aidant).exists()


def record_passkey_added(
    *, aidant: Aidant, device: WebAuthnCredential, request
) -> None:
    """Journal OTP_DEVICE_ADDED for a passkey the library just saved; runs in
    the enrolment request's transaction."""
    audit.record(
        audit.Action.OTP_DEVICE_ADDED,
        actor=aidant,
        structure=aidant.current_structure,
        request=request,
        details={"kind": "passkey", "device": device.pk},
    )


def remove_passkey(*, aidant: Aidant, device_id: int, request=None) -> None:
    """Delete one of the aidant's own passkeys. Journals OTP_DEVICE_REMOVED;
    raises NotAllowed when it would leave no usable factor, or when their
    structure requires passkeys and it is the last one."""
    with transaction.atomic():
        device = passkeys_of(aidant).select_for_update().filter(pk=device_id).first()
        if device is None:
            raise NotAllowed(_("Cette clé d'accès n'existe pas."))
        others = passkeys_of(aidant).exclude(pk=device.pk).exists()
        if not others and access.passkey_required(aidant):
            raise NotAllowed(
                _(
                    "Votre structure exige une clé d'accès : enregistrez-en une "
                    "autre avant de supprimer celle-ci."
                )
            )
        device.delete()
        if not access.has_usable_device(aidant):
            # Raised inside the atomic block: the deletion is rolled back.
            raise NotAllowed(
                _("C'est votre dernier moyen de connexion : il ne peut être supprimé.")
            )
        audit.record(
            audit.Action.OTP_DEVICE_REMOVED,
            actor=aidant,
            structure=aidant.current_structure,
            request=request,
            details={"kind": "passkey", "device": device_id},
        )


def set_passkey_requirement(
    *, structure: Structure, required: bool, by: Aidant
) -> Structure:
    """A référent (or staff) makes passkeys required, or not, for the
    structure's aidants. Journals STRUCTURE_PASSKEY_POLICY_CHANGED."""
    if not access.can_manage_structure(by, structure):
        raise NotAllowed(_("Vous ne gérez pas cette structure."))
    with transaction.atomic():
        locked = Structure.objects.select_for_update().get(pk=structure.pk)
        locked.require_passkey = required
        locked.save(update_fields=["require_passkey"])
        audit.record(
            audit.Action.STRUCTURE_PASSKEY_POLICY_CHANGED,
            actor=by,
            structure=locked,
            details={"require_passkey": required},
        )
    structure.refresh_from_db()
    return locked
