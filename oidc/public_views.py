"""The public, unauthenticated endpoints a service or FranceConnect reads:
the discovery document, the published keys and the status URL."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from oidc import keys, services
from oidc.claims import issuer
from oidc.discovery import discovery_document


@require_GET
def discovery(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(discovery_document())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(keys.jwks())
    # Short: after a rotation, services pick the new key up within minutes (and
    # refetch at once on an unknown kid).
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@never_cache
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """The status URL FranceConnect polls for its identity providers: 200 when
    the service and its database answer, 503 otherwise."""
    if not services.database_answers():
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "issuer": issuer()})
