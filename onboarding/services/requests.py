"""The requester's side: the draft, its people, the submission, messages.
Journaled with the system as actor (the requester has no account)."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
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
from onboarding.services.common import (
    REQUEST_FIELDS,
    _journal,
    _locked,
    _mail_requester,
    _require_editable,
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
