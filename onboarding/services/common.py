"""What the habilitation request's steps share: its fields, its link, the
lock, the journal and the requester's e-mails."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

import audit
from aidants.emails import send_email_on_commit
from aidants.models import (
    Aidant,
)
from onboarding import access
from onboarding.exceptions import OnboardingError
from onboarding.models import (
    HabilitationRequest,
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


def _require_editable(request: HabilitationRequest) -> None:
    if not access.can_edit_request(request):
        raise OnboardingError(_("Cette demande ne peut plus être modifiée."))


def _require_reviewable(request: HabilitationRequest, by: Aidant):
    request = _locked(request)
    if not access.can_review(by, request):
        raise OnboardingError(_("Cette demande n'est pas en attente d'examen."))
    return request
