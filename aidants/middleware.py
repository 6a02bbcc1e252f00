"""Session limits: 8 hours at most, OTP asked again after 15 idle minutes; and
when each factor was last proven (OIDC `auth_time`, `amr`, step-up freshness)."""

import time

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY

LOGIN_AT_KEY = "relais_login_at"
LAST_SEEN_KEY = "relais_last_seen"
# When the second factor was last proven, and the methods of that proof.
OTP_AT_KEY = "relais_otp_at"
AMR_KEY = "relais_amr"
# Set by the password step, consumed by the OTP step that completes it.
PENDING_PWD_KEY = "relais_pwd_pending"  # noqa: S105 (a session key name)
# LAST_SEEN is written at most this often, to spare the session table.
LAST_SEEN_GRANULARITY_SECONDS = 30


def start_session_clock(request) -> None:
    """Start the 8-hour clock: called when the password step opens a session."""
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[LAST_SEEN_KEY] = now
    request.session[PENDING_PWD_KEY] = True


def mark_active(request) -> None:
    """Restart the idle clock: called when the second factor is verified.

    The 8-hour clock is not restarted: re-entering an OTP after an idle
    timeout must not extend a session beyond 8 hours from the password login.
    """
    request.session[LAST_SEEN_KEY] = int(time.time())


def record_second_factor(request) -> list[str]:
    """Note that the second factor was just proven (login, idle re-check or
    step-up); returns the RFC 8176 methods of this authentication: password and
    OTP when the password step came just before, the OTP alone otherwise."""
    with_password = bool(request.session.pop(PENDING_PWD_KEY, False))
    methods = ["pwd", "otp", "mfa"] if with_password else ["otp"]
    request.session[OTP_AT_KEY] = int(time.time())
    request.session[AMR_KEY] = methods
    return methods


def auth_time(request) -> int:
    """Epoch seconds of the session's latest authentication (the last proof of
    the second factor; the password login for sessions older than that key)."""
    session = request.session
    for key in (OTP_AT_KEY, LOGIN_AT_KEY):
        value = session.get(key)
        if isinstance(value, int):
            return value
    return int(time.time())


def auth_methods(request) -> list[str]:
    """RFC 8176 `amr` of the session's latest authentication."""
    methods = request.session.get(AMR_KEY)
    if isinstance(methods, list) and all(isinstance(m, str) for m in methods):
        return methods
    return ["pwd", "otp", "mfa"]


def second_factor_is_fresh(
    request, *, prompt_login: bool, max_age: int | None = None
) -> bool:
    """True when the second factor was proven recently enough for an OIDC
    `prompt=login` (RELAIS_OTP_FRESHNESS_SECONDS) and `max_age` (seconds)."""
    limits = [max_age] if max_age is not None else []
    if prompt_login:
        limits.append(settings.OTP_FRESHNESS_SECONDS)
    return not limits or time.time() - auth_time(request) <= min(limits)


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request) -> None:
        now = int(time.time())
        session = request.session
        login_at = session.setdefault(LOGIN_AT_KEY, now)
        if now - login_at >= settings.SESSION_MAX_AGE_SECONDS:
            # Imported here: the services module imports this one.
            from aidants.services.login import logout_aidant

            logout_aidant(request=request, reason="session_max_age")
            return
        last_seen = session.get(LAST_SEEN_KEY, now)
        if now - last_seen >= settings.OTP_IDLE_TIMEOUT_SECONDS and (
            DEVICE_ID_SESSION_KEY in session
        ):
            # Idle too long: keep the password login, ask the second factor again.
            del session[DEVICE_ID_SESSION_KEY]
            request.user.otp_device = None
        if now - last_seen >= LAST_SEEN_GRANULARITY_SECONDS or (
            LAST_SEEN_KEY not in session
        ):
            session[LAST_SEEN_KEY] = now
