"""Password reset by e-mail, on Django's own token generator: a link valid once
(the token depends on the password hash and last login) and for
PASSWORD_RESET_TIMEOUT seconds. A reset never touches the second factors."""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

import audit
from aidants.models import Aidant
from aidants.services.login import email_digest

logger = logging.getLogger(__name__)


def request_password_reset(*, email: str, request) -> None:
    """E-mail a reset link when `email` is an active account with a password;
    do nothing visible otherwise (the caller shows one message either way).
    Journals PASSWORD_RESET_REQUESTED (an unknown address by keyed hash only)."""
    email = (email or "").strip().lower()
    aidant = Aidant.objects.filter(email__iexact=email, is_active=True).first()
    if aidant is not None and not aidant.has_usable_password():
        aidant = None  # Invited but never activated: the invitation is the way in.
    with transaction.atomic():
        audit.record(
            audit.Action.PASSWORD_RESET_REQUESTED,
            actor=aidant,
            structure=aidant.current_structure if aidant else None,
            details={} if aidant else {"email_hmac": email_digest(email)},
            request=request,
        )
    if aidant is not None:
        _send_link(aidant)


def _send_link(aidant: Aidant) -> None:
    path = reverse(
        "aidants:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(aidant.pk)),
            "token": default_token_generator.make_token(aidant),
        },
    )
    context = {
        "aidant": aidant,
        "url": f"{settings.SITE_URL}{path}",
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    try:
        send_mail(
            subject=_("Relais : réinitialisation de votre mot de passe"),
            message=render_to_string("emails/password_reset.txt", context),
            from_email=None,
            recipient_list=[aidant.email],
        )
    except OSError:  # Same answer to the visitor: no hint that the address exists.
        logger.warning("Password reset mail not sent to account %s", aidant.uuid)


def reset_password(*, aidant: Aidant, password: str, request=None) -> None:
    """Set the new password (which logs every session of the account out and
    spends the link). Journals PASSWORD_RESET."""
    with transaction.atomic():
        aidant.set_password(password)
        aidant.save(update_fields=["password"])
        audit.record(
            audit.Action.PASSWORD_RESET,
            actor=aidant,
            structure=aidant.current_structure,
            details={},
            request=request,
        )
