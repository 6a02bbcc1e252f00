"""The habilitation request's life: draft, submission, messages, staff review.

Requester actions are journaled with the system as actor (the requester has no
account) and the request's uuid; staff decisions with the staff member. Every
e-mail leaves after the commit (aidants.emails.send_email_on_commit).
"""

import secrets
from datetime import timedelta

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
    Invitation,
    Structure,
)
from aidants.services.habilitations import activate_habilitation
from aidants.services.invitations import hash_token, invitation_url
from onboarding import access
from onboarding.exceptions import OnboardingError
from onboarding.models import (
    HabilitationRequest,
    MessageAuthor,
    PersonRole,
    RequestedPerson,
    RequestMessage,
    RequestStatus,
)

REQUEST_FIELDS = (
    "structure_name",
    "siret",
    "structure_type",
    "address",
    "postcode",
    "commune",
    "manager_first_name",
    "manager_last_name",
    "manager_email",
    "manager_phone",
    "manager_role",
)


def request_url(request: HabilitationRequest) -> str:
    """The absolute private link of a request (for e-mails)."""
    path = reverse(
        "onboarding:request-detail",
        kwargs={
            "request_uuid": request.uuid,
            "token": access.request_link_token(request),
        },
    )
    return f"{settings.SITE_URL}{path}"


def _locked(request: HabilitationRequest) -> HabilitationRequest:
    return HabilitationRequest.objects.select_for_update().get(pk=request.pk)


def _journal(action, request: HabilitationRequest, *, by=None, **details) -> None:
    audit.record(
        action,
        actor=by,
        structure=request.structure,
        details={"request": str(request.uuid), "siret": request.siret, **details},
    )


def _mail_requester(request: HabilitationRequest, name: str, subject: str, **ctx):
    send_email_on_commit(
        name,
        to=[request.manager_email],
        subject=subject,
        context={"request": request, "url": request_url(request), **ctx},
    )


def create_request(**fields) -> HabilitationRequest:
    """Save a new draft (fields already validated by the form) and e-mail its
    private link to the person in charge."""
    data = {name: fields[name] for name in REQUEST_FIELDS if name in fields}
    data["manager_email"] = data["manager_email"].strip().lower()
    with transaction.atomic():
        request = HabilitationRequest.objects.create(
            link_salt=secrets.token_hex(32), **data
        )
        _mail_requester(
            request,
            "request_draft",
            _("Votre demande d'habilitation Relais : lien de suivi"),
        )
    return request


def _require_editable(request: HabilitationRequest) -> None:
    if not access.can_edit_request(request):
        raise OnboardingError(_("Cette demande ne peut plus être modifiée."))


def update_request(*, request: HabilitationRequest, **fields) -> HabilitationRequest:
    """Change the structure or the person in charge while the request is editable."""
    with transaction.atomic():
        request = _locked(request)
        _require_editable(request)
        for name in REQUEST_FIELDS:
            if name in fields:
                setattr(request, name, fields[name])
        request.manager_email = request.manager_email.strip().lower()
        request.save()
    return request


def add_person(*, request: HabilitationRequest, role: str, **fields) -> RequestedPerson:
    """Name a future référent or aidant. Raises OnboardingError when the request
    is not editable or the person is already named in that role."""
    with transaction.atomic():
        request = _locked(request)
        _require_editable(request)
        email = fields["email"].strip().lower()
        if request.people.filter(role=role, email=email).exists():
            raise OnboardingError(_("Cette personne figure déjà dans la demande."))
        return RequestedPerson.objects.create(
            request=request,
            role=role,
            email=email,
            first_name=fields["first_name"].strip(),
            last_name=fields["last_name"].strip(),
            profession=fields["profession"].strip(),
        )


def remove_person(*, person: RequestedPerson) -> None:
    """Remove a person from an editable request."""
    with transaction.atomic():
        request = _locked(person.request)
        _require_editable(request)
        person.delete()


def submit_request(*, request: HabilitationRequest, message: str = "") -> None:
    """Send the draft (or the corrected request) to staff, with an optional
    message. Journals HABILITATION_REQUEST_SUBMITTED; e-mails an acknowledgement.
    Raises OnboardingError (not editable, no référent)."""
    with transaction.atomic():
        request = _locked(request)
        _require_editable(request)
        if not request.people.filter(role=PersonRole.REFERENT).exists():
            raise OnboardingError(_("Indiquez au moins un futur référent."))
        resubmitted = request.status == RequestStatus.CHANGES_ASKED
        request.status = RequestStatus.SUBMITTED
        request.submitted_at = timezone.now()
        request.save(update_fields=["status", "submitted_at"])
        if message.strip():
            RequestMessage.objects.create(
                request=request,
                author_kind=MessageAuthor.REQUESTER,
                body=message.strip(),
            )
        _journal(
            audit.Action.HABILITATION_REQUEST_SUBMITTED,
            request,
            resubmitted=resubmitted,
        )
        _mail_requester(
            request,
            "request_received",
            _("Nous avons bien reçu votre demande d'habilitation"),
        )


def write_requester_message(*, request: HabilitationRequest, body: str) -> None:
    """The requester writes to staff about a request under review."""
    with transaction.atomic():
        request = _locked(request)
        if not access.can_write_message(request):
            raise OnboardingError(_("Vous ne pouvez pas écrire sur cette demande."))
        RequestMessage.objects.create(
            request=request, author_kind=MessageAuthor.REQUESTER, body=body.strip()
        )


def _require_reviewable(request: HabilitationRequest, by: Aidant):
    request = _locked(request)
    if not access.can_review(by, request):
        raise OnboardingError(_("Cette demande n'est pas en attente d'examen."))
    return request


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
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token_hash=hash_token(raw_token),
        aidant=aidant,
        structure=structure,
        invited_by=by,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    audit.record(
        audit.Action.AIDANT_INVITED,
        actor=by,
        structure=structure,
        details={"aidant": str(aidant.uuid), "invitation": str(invitation.uuid)},
    )
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
    aidants' accounts (new ones only), their habilitations (aidants: active;
    a référent who is not also an aidant: référent only) and one invitation each.

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
        aidant_emails = {p.email for p in people if p.role == PersonRole.AIDANT}
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
                active=person.email in aidant_emails,
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
