"""Writes on the online services themselves: registration, secret reset,
back-channel logout URI, client assertions already seen. Atomic and journaled."""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

import audit
from oidc.models import (
    Client,
    ClientAssertion,
    new_secret,
)
from oidc.validators import is_loopback


def register_client(
    *, client: Client, secret: str | None = None, by: Any = None
) -> str:
    """Save a new online service with a fresh 256-bit secret (or `secret`, for
    demo data); journals CLIENT_REGISTERED (actor `by`: staff, or the system for
    the command). Returns the secret: shown once, only its hash is kept."""
    secret = secret or new_secret()
    with transaction.atomic():
        client.set_secret(secret)
        client.save()
        audit.record(
            audit.Action.CLIENT_REGISTERED,
            actor=by,
            client=client,
            details={
                "name": client.name[:200],
                "profile": client.profile,
                "auth_method": client.token_endpoint_auth_method,
                "demarches": client.demarches(),
                "redirect_uris": list(client.redirect_uris)[:10],
            },
        )
    return secret


def check_backchannel_logout_uri(uri: str) -> str:
    """A usable back-channel logout URI (OIDC Back-Channel Logout 1.0 §2.2:
    absolute http(s), no fragment), or "" to disable. Raises ValueError with a
    French message."""
    uri = (uri or "").strip()
    if not uri:
        return ""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ValueError(
            gettext(
                "L'URI de déconnexion doit être absolue (http ou https), sans fragment."
            )
        )
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        # The logout token names the usager (pairwise): never in clear.
        raise ValueError(
            gettext(
                "L'URI de déconnexion doit être en https (http : en local seulement)."
            )
        )
    return uri


def set_backchannel_logout_uri(*, client: Client, uri: str) -> Client:
    """Register (or clear, with "") where the service receives logout tokens;
    for `register_client --backchannel-logout-uri` and scripts. Admin edits are
    kept by django-auditlog. Raises ValueError on an unusable URI."""
    client.backchannel_logout_uri = check_backchannel_logout_uri(uri)
    client.save(update_fields=["backchannel_logout_uri"])
    return client


def reset_client_secret(*, client: Client, by: Any = None) -> str:
    """Replace the service's secret; the old one stops working at once.
    Journals CLIENT_SECRET_RESET."""
    secret = new_secret()
    with transaction.atomic():
        client.set_secret(secret)
        client.save(update_fields=["client_secret_hash"])
        audit.record(audit.Action.CLIENT_SECRET_RESET, actor=by, client=client)
    return secret


def record_client_assertion(*, client_id: Any, jti: Any, exp: Any) -> bool:
    """Remember a private_key_jwt assertion's `jti` until it expires; False when
    this client already used it (replayed assertion). Not journaled: the token
    it obtains is."""
    client = Client.objects.filter(client_id=str(client_id)).first()
    if client is None or not isinstance(jti, str) or not 0 < len(jti) <= 255:
        return False
    if "\x00" in jti:
        return False
    try:
        expires_at = datetime.fromtimestamp(
            int(exp), tz=timezone.get_current_timezone()
        )
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    ClientAssertion.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            ClientAssertion.objects.create(
                client=client, jti=jti, expires_at=expires_at
            )
    except IntegrityError:
        return False
    return True
