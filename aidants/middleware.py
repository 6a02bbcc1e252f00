"""Session limits: 8 hours at most, OTP asked again after 15 idle minutes."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django_otp import DEVICE_ID_SESSION_KEY

LOGIN_AT_KEY = "relais_login_at"
LAST_SEEN_KEY = "relais_last_seen"


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
        if now - login_at > settings.SESSION_MAX_AGE_SECONDS:
            logout(request)
            return
        last_seen = session.get(LAST_SEEN_KEY, now)
        if now - last_seen > settings.OTP_IDLE_TIMEOUT_SECONDS and (
            DEVICE_ID_SESSION_KEY in session
        ):
            # Idle too long: keep the password login, ask the second factor again.
            del session[DEVICE_ID_SESSION_KEY]
            request.user.otp_device = None
        if now - last_seen >= 30 or LAST_SEEN_KEY not in session:
            # Written at most every 30 s to spare the session table.
            session[LAST_SEEN_KEY] = now
