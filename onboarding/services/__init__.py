"""The habilitation request's life: draft, submission, messages, staff review.

Requester actions are journaled with the system as actor (the requester has no
account) and the request's uuid; staff decisions with the staff member. Every
e-mail leaves after the commit (aidants.emails.send_email_on_commit).
"""

from onboarding.services.common import REQUEST_FIELDS, request_url
from onboarding.services.requests import (
    add_person,
    create_request,
    remove_person,
    submit_request,
    update_request,
    write_requester_message,
)
from onboarding.services.review import (
    accept_request,
    ask_changes,
    refuse_request,
    validate_habilitation,
)

__all__ = [
    "REQUEST_FIELDS",
    "accept_request",
    "add_person",
    "ask_changes",
    "create_request",
    "refuse_request",
    "remove_person",
    "request_url",
    "submit_request",
    "update_request",
    "validate_habilitation",
    "write_requester_message",
]
