"""Outermost middleware: request id and one log line per request; bodies refused
before anything reads them."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.translation import gettext as _

from audit.context import REQUEST_ID
from ops.responses import refusal

logger = logging.getLogger("relais.request")
# A request id from the reverse proxy (nginx's $request_id) is kept when sane.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """Gives each request an id (X-Request-ID in and out; journal entries written
    by the request carry it) and logs one line when it ends: method, URL pattern
    (never the path or query string: they may carry tokens), status, duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round(1000 * (time.perf_counter() - started), 1)
            route = _route(request)
            logger.info(
                "%s %s %s %sms",
                request.method,
                route,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "remote_addr": request.META.get("REMOTE_ADDR", ""),
                    "request_id": request_id,
                },
            )
            return response
        finally:
            REQUEST_ID.reset(token)


def _route(request) -> str:
    """The URL pattern, not the path: paths carry invitation tokens and other
    secrets (`/invitation/<str:token>/`), patterns never do."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    first = request.path.strip("/").split("/", 1)[0]
    return f"/{first}/… (unresolved)" if first else "/"


class BodyLimitMiddleware:
    """Refuses, without reading it, a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE
    (413). Multipart forms are parsed in memory, and their first file part is
    refused (400, ops.uploads): nothing is ever written to a temporary file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not length.isdigit() or int(length) > limit:
            return refusal(
                request,
                status=413,
                error="invalid_request",
                title=_("Demande trop volumineuse"),
                message=_(
                    "Le contenu envoyé dépasse la taille acceptée "
                    "(%(limit)s Ko au plus). Rien n'a été enregistré."
                )
                % {"limit": limit // 1024},
            )
        return self.get_response(request)
