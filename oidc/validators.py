"""Checks on what staff register for an online service (admin and command)."""

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

LOOPBACK_HOSTS = ("localhost",)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost (RFC 8252 §7.3: native and test clients)."""
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_redirect_uri(uri: str) -> None:
    """An absolute https URI without fragment; plain http only on loopback
    (RFC 9700 §2.6: codes never travel in clear). Raises ValidationError."""
    URLValidator(schemes=["http", "https"])(uri)
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise ValidationError(_("Une URI ne contient pas de fragment."))
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise ValidationError(
            _(
                "%(uri)s : seules les URI https sont acceptées "
                "(http : en local seulement)."
            )
            % {"uri": uri}
        )
