"""Who may see or change a habilitation request, and who may use the staff space.
Pure decisions, no writes."""

import hmac
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from aidants import access as aidants_access
from onboarding.models import EDITABLE, HabilitationRequest, RequestStatus

LINK_SALT = "onboarding.request-link"


def may_file_request(user) -> bool:
    """The habilitation request form is public: anybody may file one."""
    return True


def can_use_staff_space(user) -> bool:
    """Active staff with a verified second factor in this session."""
    return aidants_access.can_use_staff_space(user)


def request_link_token(request: HabilitationRequest) -> str:
    """The secret part of the request's private link."""
    return salted_hmac(LINK_SALT, request.link_salt, algorithm="sha256").hexdigest()


def link_matches(request: HabilitationRequest, token: str) -> bool:
    return hmac.compare_digest(request_link_token(request), token or "")


def link_expired(request: HabilitationRequest, at=None) -> bool:
    """A link dies REQUEST_LINK_DAYS after the decision, or after the draft's
    creation when it was never submitted."""
    now = at or timezone.now()
    days = timedelta(days=settings.ONBOARDING_REQUEST_LINK_DAYS)
    if request.status in (RequestStatus.ACCEPTED, RequestStatus.REFUSED):
        return request.decided_at is None or now > request.decided_at + days
    if request.status == RequestStatus.DRAFT:
        return now > request.created_at + days
    return False


def can_edit_request(request: HabilitationRequest) -> bool:
    """The requester changes a request while it is a draft or sent back."""
    return request.status in EDITABLE


def can_write_message(request: HabilitationRequest) -> bool:
    """The requester writes to staff while the request is under review."""
    return request.status == RequestStatus.SUBMITTED


def can_review(actor, request: HabilitationRequest) -> bool:
    """Active staff decide on a submitted request only. (The staff space's pages
    also require a verified second factor: `can_use_staff_space`.)"""
    return bool(
        actor.is_active and actor.is_staff and request.status == RequestStatus.SUBMITTED
    )


def may_read_terms(user) -> bool:
    """The terms of use page is open to anybody; accepting needs a login."""
    return True


def must_accept_terms_here(path: str) -> bool:
    """Pages that wait for the terms to be accepted: all but the terms page
    itself, logging out, static files and the health check."""

    exempt = (
        reverse("onboarding:terms"),
        reverse("aidants:logout"),
        settings.STATIC_URL,
        "/healthz",
    )
    return not path.startswith(exempt)
