"""Rate limits of the anonymous surfaces (django-ratelimit), per client address.

Each surface is a named group with its rate in settings.RELAIS_RATE_LIMITS
("count/period", django-ratelimit's syntax). A refused request is answered 429
with a French page; the first refusal of a window is journaled once
(RATE_LIMITED, with the group), the others are not: a flood cannot fill the
journal.
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import render
from django_ratelimit.core import get_usage

import audit


def _usage(request, group: str, *, increment: bool) -> dict | None:
    rate = settings.RELAIS_RATE_LIMITS.get(group)
    if not rate:
        return None
    return get_usage(request, group=group, key="ip", rate=rate, increment=increment)


def over_limit(request, group: str) -> bool:
    """True when `group`'s counter for this address is already over its rate
    (does not count this request)."""
    usage = _usage(request, group, increment=False)
    return bool(usage and usage["should_limit"])


def hit(request, group: str) -> bool:
    """Count this request in `group`; True when it goes over the rate. The
    request that first goes over journals RATE_LIMITED (one entry per window)."""
    usage = _usage(request, group, increment=True)
    if not usage or not usage["should_limit"]:
        return False
    if usage["count"] == usage["limit"] + 1:
        with transaction.atomic():
            audit.record(
                audit.Action.RATE_LIMITED,
                actor=None,
                request=request,
                details={"group": group, "limit": usage["limit"]},
            )
    return True


def too_many_requests(request, exception=None):
    """The French 429 page (also RATELIMIT_VIEW)."""
    return render(request, "429.html", status=429)
