"""Session limits (aidants/session.py): 8 hours at most, the second factor asked
again after 15 idle minutes."""

from aidants import session as aidant_session
from aidants.services.login import logout_aidant


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = aidant_session.enforce(request)
            if reason:
                logout_aidant(request=request, reason=reason)
        return self.get_response(request)
