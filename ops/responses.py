"""Refusals that must not touch the database: the 503 page when it is
unreachable, 413/400 for bodies refused before they are read. People get a French
page, online services an OAuth error JSON."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

# Endpoints called by online services (machines): they get JSON, not pages.
SERVICE_PATHS = (
    "/oidc/token",
    "/oidc/userinfo",
    "/oidc/revoke",
    "/oidc/jwks",
    "/.well-known/",
    "/healthz",
    "/readyz",
)


def is_service_path(path: str) -> bool:
    return path.startswith(SERVICE_PATHS)


def refusal(
    request, *, status: int, error: str, message: str, title: str
) -> HttpResponse:
    """A French page (rendered without a request: no session, no database) or,
    for service endpoints, `{"error", "error_description"}`."""
    if is_service_path(request.path):
        return JsonResponse(
            {"error": error, "error_description": message}, status=status
        )
    page = loader.get_template("ops/refusal.html").render(
        {"title": title, "message": message, "status": status}
    )
    return HttpResponse(page, status=status)


def unavailable(request) -> HttpResponse:
    """503 with Retry-After: the database is unreachable or too slow to answer."""
    response = refusal(
        request,
        status=503,
        error="temporarily_unavailable",
        title=_("Service momentanément indisponible"),
        message=_(
            "Relais ne peut pas joindre sa base de données pour le moment. "
            "Rien n'a été enregistré pour cette demande : réessayez dans "
            "quelques instants."
        ),
    )
    response["Retry-After"] = str(settings.RELAIS_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def multipart_refused(request):
    """400: a file sent where Relais expects none (nothing is stored)."""
    return refusal(
        request,
        status=400,
        error="invalid_request",
        title=_("Format de demande refusé"),
        message=_(
            "Cette adresse n'accepte pas l'envoi de fichiers. Rien n'a été enregistré."
        ),
    )
