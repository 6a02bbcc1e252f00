"""Errors raised by the mandats services. Messages are French, for the UI."""

from django.core.exceptions import PermissionDenied


class MandatsError(Exception):
    """Base error of the mandats services; str(error) is a French message."""


class NotAllowed(MandatsError, PermissionDenied):
    """The actor may not perform this action (becomes a 403 if unhandled)."""


class InvalidMandat(MandatsError):
    """The requested mandate is invalid (duration, démarches, usager...)."""


class AlreadyRevoked(MandatsError):
    """The mandate or autorisation is already revoked: revocation is final."""


class FranceConnectError(MandatsError):
    """FranceConnect identification failed (cancelled, bad state or token, down)."""
