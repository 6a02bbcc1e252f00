"""Error pages people can read, in development too.

With DEBUG on, Django answers a 404 with its technical page (every URL pattern
of the site) and logs each 403 with a traceback, on top of the server's own
line. Here a 404 or a 403 always gets the site's French page (templates/404.html,
403.html), and Django logs it once ("Forbidden: /path"), without a traceback.
Server errors (500) keep Django's debug page in development.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import Resolver404, resolve
from django.views import defaults


class ErrorPagesMiddleware:
    """After the authentication middlewares (the pages show who is logged in),
    after CommonMiddleware (which still turns a 404 into its slash redirect)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            # An unknown path fails in URL resolution, before any view or
            # process_exception: Django would answer with its technical 404.
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as error:
                return defaults.page_not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            return defaults.permission_denied(request, exception)
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        return None
