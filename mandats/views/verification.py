"""Public verification page of a mandate (no login): `/verifier/<public_id>`, and
the mandate key set for offline checks: `/verifier/jwks`."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mandats.signing import mandat_jwks
from mandats.verification import verify_public_id


@never_cache
def verify(request, public_id):
    result = verify_public_id(public_id, request=request)
    if not result.genuine:
        # Unknown id, forged or tampered mandate: the same plain answer.
        return render(request, "mandats/verification/not_found.html", status=404)
    return render(request, "mandats/verification/result.html", {"result": result})


@require_GET
def jwks(request):
    response = JsonResponse(mandat_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
