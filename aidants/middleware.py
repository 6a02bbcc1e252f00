"""Session limits: 8 hours at most, OTP asked again after 15 idle minutes."""

import time

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY

LOGIN_AT_KEY = "relais_login_at"
LAST_SEEN_KEY = "relais_last_seen"
# LAST_SEEN is written at most this often, to spare the session table.
LAST_SEEN_GRANULARITY_SECONDS = 30


def start_session_clock(request) -> None:
    """Start the 8-hour clock: called when the password step opens a session."""
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[LAST_SEEN_KEY] = now


def mark_active(request) -> None:
    """Restart the idle clock: called when the second factor is verified.

    The 8-hour clock is not restarted: re-entering an OTP after an idle
    timeout must not extend a session beyond 8 hours from the password login.
    """
    request.session[LAST_SEEN_KEY] = int(time.time())


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
