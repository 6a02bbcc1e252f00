"""Public verification page of a mandate (no login): `/verifier/<public_id>`, and
the mandate key set for offline checks: `/verifier/jwks`.

Rate limited per address ("verify" for every check, "verify-unknown" for ids
that match nothing): 429 with a French page beyond.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config import ratelimit
from mandats.signing import mandat_jwks
from mandats.verification import NOT_FOUND, verify_public_id


@never_cache
def verify(request, public_id):
    if ratelimit.hit(request, "verify") or ratelimit.over_limit(
        request, "verify-unknown"
    ):
        return ratelimit.too_many_requests(request)
    result = verify_public_id(public_id, request=request)
    if result.status == NOT_FOUND and ratelimit.hit(request, "verify-unknown"):
        return ratelimit.too_many_requests(request)
    if not result.genuine:
        # Unknown id, forged or tampered mandate: the same plain answer.
        return render(request, "mandats/verification/not_found.html", status=404)
    return render(request, "mandats/verification/result.html", {"result": result})


@require_GET
def jwks(request):
    response = JsonResponse(mandat_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
