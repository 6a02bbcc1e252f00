from aidants.exceptions import AidantsError


class OnboardingError(AidantsError):
    """A request cannot change this way; the message is French, for the UI."""


class RequestLinkInvalid(OnboardingError):
    """The private link is unknown (404)."""


class RequestLinkExpired(RequestLinkInvalid):
    """The private link is no longer valid (410)."""
