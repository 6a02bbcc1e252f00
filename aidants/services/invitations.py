"""Inviting an aidant into a structure and accepting the emailed link.

Only the SHA-256 of the link's token is stored; the raw token exists in the
email and in the invitee's browser, nowhere else (never in the journal or logs).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import access
from aidants.exceptions import (
    AidantsError,
    InvalidTransition,
    InvitationInvalid,  # noqa: F401 (re-exported: the link pages catch it here)
    LinkGone,
    LinkUnknown,
    NotAllowed,
)
from aidants.models import (
    Aidant,
    Habilitation,
    HabilitationStatus,
    Invitation,
    Structure,
    TOTPDevice,
)
from aidants.models.people import hash_token  # noqa: F401 (re-exported for tests)
from aidants.services.links import issue_link, link_url, mail_link, usable_link
from aidants.services.otp import confirm_totp_enrolment, kept_enrolment_device

# The names the invitation pages know (one pair of link errors for every link).
InvitationUnknown = LinkUnknown
InvitationGone = LinkGone


def invitation_url(raw_token: str) -> str:
    return link_url("aidants:invitation-open", raw_token)


def _membership_for(
    *, aidant: Aidant, structure: Structure, by: Aidant | None
) -> Habilitation:
    """Return the aidant's requested membership of `structure`, creating it
    (journaled HABILITATION_REQUESTED) when there is none yet."""
    hab = (
        Habilitation.objects.select_for_update()
        .filter(aidant=aidant, structure=structure)
        .first()
    )
    if hab is not None:
        if hab.status != HabilitationStatus.REQUESTED:
            raise InvalidTransition(
                _(
                    "Cette personne est déjà membre de la structure : utilisez sa "
                    "fiche pour demander son habilitation."
                )
            )
        return hab
    hab = Habilitation.objects.create(
        aidant=aidant,
        structure=structure,
        status=HabilitationStatus.REQUESTED,
        requested_by=by,
        requested_at=timezone.now(),
    )
    audit.record(
        audit.Action.HABILITATION_REQUESTED,
        actor=by,
        structure=structure,
        details={
            "aidant": str(aidant.uuid),
            "status": hab.status,
            "habilitation": str(hab.uuid),
        },
    )
    return hab


def _existing_membership(*, aidant: Aidant, structure: Structure):
    """The existing account's pending membership of `structure` (a re-invitation),
    or None; raises InvalidTransition when it is already a member."""
    hab = (
        Habilitation.objects.select_for_update()
        .filter(aidant=aidant, structure=structure)
        .first()
    )
    if hab is not None and hab.status != HabilitationStatus.REQUESTED:
        raise InvalidTransition(
            _(
                "Cette personne est déjà membre de la structure : utilisez sa "
                "fiche pour demander son habilitation."
            )
        )
    return hab


def _send_invitation_email(invitation: Invitation, raw_token: str) -> None:
    context = {
        "aidant": invitation.aidant,
        "structure": invitation.structure,
        "invited_by": invitation.invited_by,
        "url": invitation_url(raw_token),
        "expires_at": invitation.expires_at,
        "existing": needs_sign_in(invitation),
    }
    mail_link(
        "invitation",
        to=invitation.aidant.email,
        subject=_("Invitation à rejoindre %(structure)s sur Relais")
        % {"structure": invitation.structure.name},
        context=context,
        failure=_(
            "Le courriel d'invitation n'a pas pu être envoyé. Réessayez plus "
            "tard : une nouvelle invitation remplacera celle-ci."
        ),
    )


def issue_invitation(
    *,
    aidant: Aidant,
    structure: Structure,
    by: Aidant,
    habilitation: Habilitation | None = None,
) -> tuple[Invitation, str]:
    """Inside the caller's transaction: a new single-use invitation of `aidant`
    to `structure` (it replaces their pending ones there). Journals
    AIDANT_INVITED; returns the invitation and its raw token (for the e-mail
    only). The référent's invitations and staff's accepted requests both come
    here."""
    invitation, raw_token = issue_link(
        Invitation,
        valid_hours=settings.INVITATION_VALID_HOURS,
        replaces=Invitation.objects.filter(aidant=aidant, structure=structure),
        aidant=aidant,
        structure=structure,
        invited_by=by,
    )
    audit.record(
        audit.Action.AIDANT_INVITED,
        actor=by,
        structure=structure,
        details={
            "aidant": str(aidant.uuid),
            "habilitation": str(habilitation.uuid) if habilitation else "",
            "invitation": str(invitation.uuid),
        },
    )
    return invitation, raw_token


def invite_aidant(
    *,
    structure: Structure,
    by: Aidant,
    email: str,
    first_name: str,
    last_name: str,
    profession: str = "",
    phone: str = "",
) -> tuple[Invitation, str]:
    """A référent invites a person: for a new email, creates the account
    (unusable password) and a requested habilitation; for an existing account,
    only a pending invitation (the membership is created when its holder
    accepts, signed in). The single-use invitation replaces any earlier pending
    one; the link is e-mailed.

    Journals HABILITATION_REQUESTED (new membership) and AIDANT_INVITED; raises
    NotAllowed, InvalidTransition (already a member) or AidantsError (the mail
    failed after the invitation was recorded).
    """
    if not access.can_manage_structure(by, structure):
        raise NotAllowed(_("Vous n'êtes pas référent de cette structure."))
    email = email.strip().lower()
    with transaction.atomic():
        aidant = Aidant.objects.filter(email__iexact=email).first()
        hab = None
        if aidant is None:
            aidant = Aidant.objects.create_user(
                email,
                password=None,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                profession=profession.strip(),
                phone=phone.strip(),
                current_structure=structure,
            )
            hab = _membership_for(aidant=aidant, structure=structure, by=by)
        else:
            # An existing account (another structure's aidant, staff): nothing
            # is created in this structure until its holder accepts, signed in
            # with their own second factor (see `accept_invitation`).
            hab = _existing_membership(aidant=aidant, structure=structure)
        invitation, raw_token = issue_invitation(
            aidant=aidant, structure=structure, by=by, habilitation=hab
        )
    # Sent after the commit: the journal head stays locked only for the writes,
    # never for an SMTP round trip. A failed mail is reported; re-inviting
    # replaces this invitation.
    _send_invitation_email(invitation, raw_token)
    return invitation, raw_token


def invitation_for_token(raw_token: str) -> Invitation:
    """The usable invitation behind a link's token.

    Raises InvitationUnknown (no such link) or InvitationGone (expired or used).
    """
    invitations = Invitation.objects.select_related("aidant", "structure")
    return usable_link(invitations.by_raw(raw_token), kind="invitation")


def invitation_by_uuid(invitation_uuid: str) -> Invitation:
    """The usable invitation whose link this browser opened (its uuid is kept in
    the session in place of the token). Raises like `invitation_for_token`."""
    invitations = Invitation.objects.select_related("aidant", "structure")
    return usable_link(
        invitations.filter(uuid=invitation_uuid).first(), kind="invitation"
    )


def needs_password(aidant: Aidant) -> bool:
    return not aidant.has_usable_password()


def needs_sign_in(invitation: Invitation) -> bool:
    """An invitation to an account that already has a password is accepted by
    its holder signed in with their own second factor, never by the link alone."""
    return invitation.aidant.has_usable_password()


def needs_totp(aidant: Aidant) -> bool:
    return not TOTPDevice.objects.filter(user=aidant, confirmed=True).exists()


def invitation_device(invitation: Invitation) -> TOTPDevice:
    """The app device enrolled through this invitation: created at the first
    opening and kept (same secret) until confirmed."""
    return kept_enrolment_device(invitation)


def accept_invitation(
    *,
    invitation: Invitation,
    by: Aidant | None = None,
    password_hash: str | None = None,
    otp_token: str = "",
) -> bool:
    """Finish an invitation at once. A new account: confirm the invitation's
    TOTP device with `otp_token` and set the password (already hashed). An
    existing account: `by` must be its holder, signed in with their own second
    factor. Then the membership is requested and the invitation marked used.

    Returns False (nothing changed) when the code is wrong. Journals
    OTP_DEVICE_ADDED, HABILITATION_REQUESTED (existing account) and
    INVITATION_ACCEPTED; raises InvitationGone if the link was used or expired
    meanwhile, NotAllowed (another account), AidantsError (a step is missing).
    """
    with transaction.atomic():
        # Lock the invitation: two tabs finishing at once must not both succeed.
        inv = (
            # of=self: PostgreSQL cannot lock the nullable side of an outer join.
            Invitation.objects.select_for_update(of=("self",))
            .select_related("aidant", "structure", "invited_by")
            .get(pk=invitation.pk)
        )
        if not inv.is_usable():
            raise InvitationGone(_("Ce lien d'invitation n'est plus valable."))
        aidant = inv.aidant
        if needs_sign_in(inv):
            # `by` is the request's user: django-otp's middleware gives it
            # is_verified(), true only after its own second factor.
            verified = getattr(by, "is_verified", lambda: False)()
            if by is None or by.pk != aidant.pk or not verified:
                raise NotAllowed(_("Cette invitation est destinée à un autre compte."))
        elif not _enrol_new_account(inv, password_hash, otp_token):
            return False
        hab = Habilitation.objects.filter(aidant=aidant, structure=inv.structure)
        if not hab.exists():
            _membership_for(aidant=aidant, structure=inv.structure, by=inv.invited_by)
        if aidant.current_structure_id is None:
            aidant.current_structure = inv.structure
            aidant.save(update_fields=["current_structure"])
        inv.used_at = timezone.now()
        inv.save(update_fields=["used_at"])
        audit.record(
            audit.Action.INVITATION_ACCEPTED,
            actor=aidant,
            structure=inv.structure,
            details={"aidant": str(aidant.uuid), "invitation": str(inv.uuid)},
        )
    return True


def _enrol_new_account(inv: Invitation, password_hash: str | None, token: str) -> bool:
    aidant = inv.aidant
    if not password_hash:
        raise AidantsError(_("Choisissez d'abord un mot de passe."))
    if needs_totp(aidant):
        device = inv.device
        if device is None or device.user_id != aidant.pk:
            raise AidantsError(_("Configurez d'abord votre application."))
        if not confirm_totp_enrolment(device=device, token=token):
            return False
    aidant.password = password_hash
    aidant.save(update_fields=["password"])
    return True
