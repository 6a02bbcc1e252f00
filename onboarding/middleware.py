"""Sends a logged-in, OTP-verified person to the terms of use until they have
accepted the version in force (first login, then each new version)."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from onboarding import access, terms


class TermsOfUseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_accept(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('onboarding:terms')}?{query}")
        return self.get_response(request)

    def _must_accept(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_verified():
            return False
        version = terms.current_version()
        if request.session.get(terms.SESSION_KEY) == version:
            return False
        if not access.must_accept_terms_here(request.path):
            return False
        if terms.has_accepted(user, version):
            request.session[terms.SESSION_KEY] = version
            return False
        return True
