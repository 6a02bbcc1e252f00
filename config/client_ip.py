"""The client's address, trusting exactly RELAIS_PROXY_COUNT reverse proxies.

Each trusted proxy appends the address it saw to X-Forwarded-For, so with N
proxies the client is the N-th entry from the right; anything further left was
written by the client and is ignored. Without proxies (the default) the header
is ignored altogether: REMOTE_ADDR is the client. Used by the journal, django-axes
(AXES_CLIENT_IP_CALLABLE) and the rate limits (RATELIMIT_IP_META_KEY).
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """The client address for `request` (a string, "" when unknown)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = int(getattr(settings, "RELAIS_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    # Fewer entries than trusted proxies: the request did not come through all
    # of them (or a proxy is misconfigured); the socket peer is all we know.
    if len(hops) < count or not _valid(hops[-count]):
        return remote
    return hops[-count]
