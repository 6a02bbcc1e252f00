"""Outermost middleware: request id and one log line per request; bodies refused
before anything reads them."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.translation import gettext as _

from audit.context import REQUEST_ID
from ops.responses import is_service_path, multipart_refused, refusal

logger = logging.getLogger("relais.request")
# A request id from the reverse proxy (nginx's $request_id) is kept when sane.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """Gives each request an id (X-Request-ID in and out; journal entries written
    by the request carry it) and logs one line when it ends: method, path without
    the query string, status, duration. Never bodies, queries or tokens."""

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
            logger.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "remote_addr": request.META.get("REMOTE_ADDR", ""),
                },
            )
            return response
        finally:
            REQUEST_ID.reset(token)


class BodyLimitMiddleware:
    """Refuses, without reading it, a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE
    (413) and a multipart body to an OAuth endpoint (400). Pages accept multipart
    forms, but a file part in them is refused (ops.uploads): nothing is ever
    written to a temporary file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        content_type = request.META.get("CONTENT_TYPE", "").lower()
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
        # OAuth endpoints take application/x-www-form-urlencoded (RFC 6749
        # §4.1.3): a multipart body there is refused unread.
        if content_type.startswith("multipart/") and is_service_path(request.path):
            return multipart_refused(request)
        return self.get_response(request)
