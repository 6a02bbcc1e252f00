"""The aidant session's keys and clocks, in one home: 8 hours at most from the
password login, the second factor asked again after 15 idle minutes, and when
each factor was last proven (OIDC `auth_time`, `amr`, step-up and passkey
enrolment freshness). Nothing outside this module reads these session keys.

`is_verified` applies both limits; the middleware (aidants/middleware.py), the
login service and the OIDC bridge (oidc/access.py) all rely on it."""

import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django_otp import DEVICE_ID_SESSION_KEY

LOGIN_AT_KEY = "relais_login_at"
LAST_SEEN_KEY = "relais_last_seen"
# When the second factor was last proven, and the methods of that proof.
OTP_AT_KEY = "relais_otp_at"
AMR_KEY = "relais_amr"
# Set by the password step, consumed by the OTP step that completes it.
PENDING_PWD_KEY = "relais_pwd_pending"  # noqa: S105 (a session key name)
# When the last full login (password then second factor) completed: passkey
# enrolment asks for a recent one.
FACTOR_AT_KEY = "relais_second_factor_at"
# LAST_SEEN is written at most this often, to spare the session table.
LAST_SEEN_GRANULARITY_SECONDS = 30

Session = Mapping[str, Any]


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)


def start_clock(session) -> None:
    """Start the 8-hour clock: called when the password step opens a session."""
    now = _now(None)
    session[LOGIN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now
    session[PENDING_PWD_KEY] = True


def mark_active(session) -> None:
    """Restart the idle clock: called when the second factor is verified.

    The 8-hour clock is not restarted: re-entering an OTP after an idle
    timeout must not extend a session beyond 8 hours from the password login.
    """
    session[LAST_SEEN_KEY] = _now(None)


def record_second_factor(session) -> list[str]:
    """Note that the second factor was just proven (login, idle re-check or
    step-up); returns the RFC 8176 methods of this authentication: password and
    OTP when the password step came just before, the OTP alone otherwise."""
    with_password = bool(session.pop(PENDING_PWD_KEY, False))
    methods = ["pwd", "otp", "mfa"] if with_password else ["otp"]
    session[OTP_AT_KEY] = _now(None)
    session[AMR_KEY] = methods
    return methods


def mark_full_login(session) -> None:
    """Remember when a full login (password and second factor) completed."""
    session[FACTOR_AT_KEY] = _now(None)


def full_login_is_fresh(session, now: float | None = None) -> bool:
    """A full login less than PASSKEY_FRESH_FACTOR_SECONDS ago (passkey
    enrolment needs it)."""
    proven = session.get(FACTOR_AT_KEY)
    if not isinstance(proven, int):
        return False
    return _now(now) - proven <= settings.PASSKEY_FRESH_FACTOR_SECONDS


def auth_time(session) -> int:
    """Epoch seconds of the session's latest authentication (the last proof of
    the second factor; the password login for sessions older than that key)."""
    for key in (OTP_AT_KEY, LOGIN_AT_KEY):
        value = session.get(key)
        if isinstance(value, int):
            return value
    return _now(None)


def auth_methods(session) -> list[str]:
    """RFC 8176 `amr` of the session's latest authentication."""
    methods = session.get(AMR_KEY)
    if isinstance(methods, list) and all(isinstance(m, str) for m in methods):
        return methods
    return ["pwd", "otp", "mfa"]


def second_factor_is_fresh(
    session, *, prompt_login: bool, max_age: int | None = None
) -> bool:
    """True when the second factor was proven recently enough for an OIDC
    `prompt=login` (RELAIS_OTP_FRESHNESS_SECONDS) and `max_age` (seconds)."""
    limits = [max_age] if max_age is not None else []
    if prompt_login:
        limits.append(settings.OTP_FRESHNESS_SECONDS)
    return not limits or time.time() - auth_time(session) <= min(limits)


def past_max_age(session: Session, now: float | None = None) -> bool:
    """The 8-hour rule: the password login is too old (a session without the
    key is not: the middleware starts its clock)."""
    login_at = session.get(LOGIN_AT_KEY)
    return (
        isinstance(login_at, int)
        and _now(now) - login_at >= settings.SESSION_MAX_AGE_SECONDS
    )


def is_idle(session: Session, now: float | None = None) -> bool:
    """The 15-minute rule: no request for too long, the second factor is due."""
    last_seen = session.get(LAST_SEEN_KEY)
    return (
        isinstance(last_seen, int)
        and _now(now) - last_seen >= settings.OTP_IDLE_TIMEOUT_SECONDS
    )


def is_verified(session: Session, aidant, now: float | None = None) -> bool:
    """The session belongs to `aidant` (an Aidant or its pk), carries a verified
    second factor, is within its 8 hours and not idle for 15 minutes."""
    aidant_pk = getattr(aidant, "pk", aidant)
    if str(session.get(SESSION_KEY, "")) != str(aidant_pk):
        return False
    if DEVICE_ID_SESSION_KEY not in session:
        return False
    return not past_max_age(session, now) and not is_idle(session, now)


def enforce(request) -> str | None:
    """The middleware's per-request bookkeeping for an authenticated aidant.
    Returns "session_max_age" when the session must end; drops the second
    factor when idle too long; keeps the idle clock."""
    now = _now(None)
    session = request.session
    session.setdefault(LOGIN_AT_KEY, now)
    if past_max_age(session, now):
        return "session_max_age"
    if DEVICE_ID_SESSION_KEY in session and is_idle(session, now):
        # Idle too long: keep the password login, ask the second factor again.
        del session[DEVICE_ID_SESSION_KEY]
        request.user.otp_device = None
    last_seen = session.get(LAST_SEEN_KEY, now)
    if now - last_seen >= LAST_SEEN_GRANULARITY_SECONDS or (
        LAST_SEEN_KEY not in session
    ):
        session[LAST_SEEN_KEY] = now
    return None
