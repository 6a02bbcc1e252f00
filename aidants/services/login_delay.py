"""Per-account growing delays after failed passwords, from any address.

django-axes locks an (e-mail, address) pair after AXES_FAILURE_LIMIT failures;
an attacker with many addresses is slowed here instead: after
LOGIN_ACCOUNT_FREE_FAILURES failures for one e-mail, each further failure
doubles the wait before the next password is even checked (1 s, 2 s, 4 s...;
attempts during the wait are refused unchecked and not counted),
up to LOGIN_ACCOUNT_MAX_DELAY_SECONDS. A delay, never a lock: a colleague who
types wrong passwords on purpose costs the account holder at most that wait,
and none at all in a browser where the holder already completed a login (a
signed device cookie, OWASP's "device cookies"). A completed login resets it.
"""

import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from aidants.models import LoginDelay

DEVICE_COOKIE = "relais_appareil"
_DEVICE_SALT = "relais.login.device"


def remaining_wait(key: str) -> int:
    """Seconds before a password for `key` may be checked (0: at once)."""
    row = LoginDelay.objects.filter(key=key).first()
    if row is None:
        return 0
    until = row.wait_until(
        settings.LOGIN_ACCOUNT_FREE_FAILURES, settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS
    )
    if until is None:
        return 0
    return max(0, math.ceil((until - timezone.now()).total_seconds()))


def record_failure(key: str) -> None:
    """Count one failed password for `key` (exact: the row is locked)."""
    with transaction.atomic():
        row, _ = LoginDelay.objects.select_for_update().get_or_create(key=key)
        row.failures += 1
        row.last_failure_at = timezone.now()
        row.save(update_fields=["failures", "last_failure_at"])


def reset(key: str) -> None:
    """A completed login (both factors) clears the account's delay."""
    LoginDelay.objects.filter(key=key).delete()


def is_trusted_device(request, key: str) -> bool:
    """True when this browser completed a login for `key` (signed cookie)."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE,
        default="",
        salt=_DEVICE_SALT,
        max_age=settings.LOGIN_DEVICE_COOKIE_DAYS * 86400,
    )
    return bool(value) and constant_time_compare(value, key)


def remember_device(request, response, key: str) -> None:
    """Mark this browser as the account holder's (after both factors)."""
    response.set_signed_cookie(
        DEVICE_COOKIE,
        key,
        salt=_DEVICE_SALT,
        max_age=settings.LOGIN_DEVICE_COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
