"""The staff's side: ask for changes, refuse, accept (structure, accounts,
habilitations, invitations), activate a habilitation. Journaled with the staff
member."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants.emails import send_email_on_commit
from aidants.models import (
    Aidant,
    Habilitation,
    HabilitationStatus,
    Structure,
)
from aidants.services.habilitations import activate_habilitation
from aidants.services.invitations import invitation_url, issue_invitation
from onboarding.exceptions import OnboardingError
from onboarding.models import (
    HabilitationRequest,
    MessageAuthor,
    PersonRole,
    RequestedPerson,
    RequestMessage,
    RequestStatus,
)
from onboarding.services.common import (
    _journal,
    _mail_requester,
    _require_reviewable,
)


def ask_changes(*, request: HabilitationRequest, by: Aidant, message: str) -> None:
    """Staff send the request back with a message. Journals
    HABILITATION_REQUEST_CHANGES_ASKED; e-mails the requester."""
    with transaction.atomic():
        request = _require_reviewable(request, by)
        request.status = RequestStatus.CHANGES_ASKED
        request.save(update_fields=["status"])
        RequestMessage.objects.create(
            request=request,
            author_kind=MessageAuthor.STAFF,
            author=by,
            body=message.strip(),
        )
        _journal(audit.Action.HABILITATION_REQUEST_CHANGES_ASKED, request, by=by)
        _mail_requester(
            request,
            "request_changes_asked",
            _("Votre demande d'habilitation : des modifications sont demandées"),
            message=message.strip(),
        )


def refuse_request(*, request: HabilitationRequest, by: Aidant, reason: str) -> None:
    """Staff refuse the request with a reason. Journals
    HABILITATION_REQUEST_REFUSED; e-mails the requester."""
    with transaction.atomic():
        request = _require_reviewable(request, by)
        request.status = RequestStatus.REFUSED
        request.refusal_reason = reason.strip()
        request.decided_by, request.decided_at = by, timezone.now()
        request.save(
            update_fields=["status", "refusal_reason", "decided_by", "decided_at"]
        )
        _journal(
            audit.Action.HABILITATION_REQUEST_REFUSED,
            request,
            by=by,
            reason=reason.strip()[:200],
        )
        _mail_requester(
            request,
            "request_refused",
            _("Votre demande d'habilitation n'a pas été acceptée"),
        )


def _account_for(person: RequestedPerson, structure: Structure) -> Aidant:
    account = Aidant.objects.filter(email__iexact=person.email).first()
    if account is None:
        account = Aidant.objects.create_user(
            person.email,
            password=None,
            first_name=person.first_name,
            last_name=person.last_name,
            profession=person.profession,
            current_structure=structure,
        )
    return account


def _invite(*, aidant: Aidant, structure: Structure, by: Aidant) -> None:
    invitation, raw_token = issue_invitation(aidant=aidant, structure=structure, by=by)
    send_email_on_commit(
        "invitation",
        to=[aidant.email],
        subject=_("Invitation à rejoindre %(structure)s sur Relais")
        % {"structure": structure.name},
        context={
            "aidant": aidant,
            "structure": structure,
            "invited_by": None,
            "url": invitation_url(raw_token),
            "expires_at": invitation.expires_at,
        },
    )


def _habilitate(
    *, aidant: Aidant, structure: Structure, by: Aidant, referent: bool, active: bool
) -> Habilitation:
    now = timezone.now()
    hab = Habilitation.objects.create(
        aidant=aidant,
        structure=structure,
        is_referent=referent,
        status=HabilitationStatus.ACTIVE if active else HabilitationStatus.REQUESTED,
        requested_by=by,
        requested_at=now,
        decided_by=by if active else None,
        decided_at=now if active else None,
    )
    action = (
        audit.Action.HABILITATION_ACTIVATED
        if active
        else audit.Action.HABILITATION_REQUESTED
    )
    audit.record(
        action,
        actor=by,
        structure=structure,
        details={
            "aidant": str(aidant.uuid),
            "habilitation": str(hab.uuid),
            "status": hab.status,
            "referent": referent,
        },
    )
    if referent:
        audit.record(
            audit.Action.REFERENT_DESIGNATED,
            actor=by,
            structure=structure,
            details={"aidant": str(aidant.uuid), "habilitation": str(hab.uuid)},
        )
    return hab


def accept_request(*, request: HabilitationRequest, by: Aidant) -> Structure:
    """Staff accept: in one transaction, the structure, the référents' and
    aidants' accounts (new ones only), their habilitations, active (staff's
    acceptance is their validation: a référent holds référent powers only
    inside an active habilitation, see aidants.access) and one invitation each.

    Journals STRUCTURE_CREATED, the habilitations, AIDANT_INVITED and
    HABILITATION_REQUEST_ACCEPTED; e-mails after the commit. Raises
    OnboardingError (not under review, SIRET already registered).
    """
    with transaction.atomic():
        request = _require_reviewable(request, by)
        if Structure.objects.filter(siret=request.siret).exists():
            raise OnboardingError(
                _("Une structure porte déjà ce SIRET : refusez ou faites corriger.")
            )
        structure = Structure.objects.create(
            name=request.structure_name,
            siret=request.siret,
            type=request.structure_type,
            commune=request.commune,
        )
        audit.record(
            audit.Action.STRUCTURE_CREATED,
            actor=by,
            structure=structure,
            details={"request": str(request.uuid), "siret": structure.siret},
        )
        people = list(request.people.all())
        done: set[str] = set()
        # Référents first: a person named twice gets one membership, both roles.
        for person in sorted(people, key=lambda p: p.role != PersonRole.REFERENT):
            if person.email in done:
                continue
            done.add(person.email)
            account = _account_for(person, structure)
            _habilitate(
                aidant=account,
                structure=structure,
                by=by,
                referent=person.role == PersonRole.REFERENT,
                active=True,
            )
            _invite(aidant=account, structure=structure, by=by)
        request.status = RequestStatus.ACCEPTED
        request.structure = structure
        request.decided_by, request.decided_at = by, timezone.now()
        request.save(update_fields=["status", "structure", "decided_by", "decided_at"])
        _journal(audit.Action.HABILITATION_REQUEST_ACCEPTED, request, by=by)
        _mail_requester(
            request,
            "request_accepted",
            _("Votre demande d'habilitation est acceptée"),
            structure=structure,
        )
    return structure


def validate_habilitation(
    *, habilitation: Habilitation, by: Aidant, valid_until=None
) -> Habilitation:
    """Staff activate a requested habilitation or reactivate a suspended one
    (aidants.services.habilitations.activate_habilitation journals it), and the
    aidant is told by e-mail that the account is active."""

    with transaction.atomic():
        hab = activate_habilitation(
            habilitation=habilitation, by=by, valid_until=valid_until
        )
        send_email_on_commit(
            "account_activated",
            to=[hab.aidant.email],
            subject=_("Votre compte Relais est actif"),
            context={
                "aidant": hab.aidant,
                "structure": hab.structure,
                "valid_until": hab.valid_until,
                "login_url": f"{settings.SITE_URL}{reverse('aidants:login')}",
            },
        )
    return hab
