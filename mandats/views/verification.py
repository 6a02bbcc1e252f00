"""Public verification page of a mandate (no login): `/verifier/<public_id>`."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache

from mandats.verification import verify_public_id


@never_cache
def verify(request, public_id):
    result = verify_public_id(public_id, request=request)
    if not result.genuine:
        # Unknown id, forged or tampered mandate: the same plain answer.
        return render(request, "mandats/verification/not_found.html", status=404)
    return render(request, "mandats/verification/result.html", {"result": result})
