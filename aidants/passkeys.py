"""Passkeys (WebAuthn) as the aidant's second factor, with django-otp-webauthn.

The relying party is the host of RELAIS_SITE_URL and the only accepted origin is
that URL's, both read when a ceremony runs. User verification is required at
enrolment and at every use (the authenticator checks a PIN or biometrics);
attestation is not asked (`none`): we trust the key, not the maker's statement.
Passwordless login is off: a passkey is only ever the second step.
"""

from collections.abc import Sequence
from typing import TypeGuard
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django_otp.models import Device
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)


def relying_party_id(request: HttpRequest | None = None) -> str:
    """The WebAuthn RP id: RELAIS_SITE_URL's host name."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def site_origin() -> str:
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


class RelaisWebAuthnHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        """Only RELAIS_SITE_URL's origin (a phishing site's never verifies)."""
        return [site_origin()]

    def get_attestation_conveyance_preference(self) -> AttestationConveyancePreference:
        return AttestationConveyancePreference.NONE

    def get_generate_registration_options_kwargs(self, *, user) -> dict:
        """The library's options, with user verification required."""
        options = super().get_generate_registration_options_kwargs(user=user)
        options["authenticator_selection"] = AuthenticatorSelectionCriteria(
            user_verification=UserVerificationRequirement.REQUIRED,
            resident_key=ResidentKeyRequirement.PREFERRED,
        )
        return options

    def get_generate_authentication_options_kwargs(
        self, *, user=None, require_user_verification: bool
    ) -> dict:
        """User verification always required (the library drops it for a
        second factor)."""
        return super().get_generate_authentication_options_kwargs(
            user=user, require_user_verification=True
        )


def is_passkey(device: Device | None) -> TypeGuard[WebAuthnCredential]:
    return isinstance(device, WebAuthnCredential)


def amr_for(
    device: Device | None, methods: Sequence[str] = ("pwd", "otp", "mfa")
) -> tuple[str, ...]:
    """RFC 8176 authentication methods of an authentication (`methods`, as the
    session recorded them) whose second factor is `device`: `otp` becomes `hwk`
    for a passkey bound to its device, `swk` for a synced one (backup eligible)."""
    if is_passkey(device):
        kind = "swk" if device.backup_eligible else "hwk"
        return tuple(kind if method == "otp" else method for method in methods)
    return tuple(methods)
