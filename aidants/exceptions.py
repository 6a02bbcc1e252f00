from django.core.exceptions import PermissionDenied


class AidantsError(Exception):
    """Base error of the aidants services; the message is French, for the UI."""


class NotAllowed(AidantsError, PermissionDenied):
    """The actor may not perform this action (becomes a 403 if unhandled)."""


class InvalidTransition(AidantsError):
    """The habilitation is not in a state that allows this change."""


class InvitationInvalid(AidantsError):
    """The invitation link is unknown, expired or already used."""


class LinkUnknown(InvitationInvalid):
    """No e-mailed link (invitation, enrolment) matches this token (HTTP 404)."""


class LinkGone(InvitationInvalid):
    """The e-mailed link expired or was already used (HTTP 410)."""
