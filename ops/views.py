from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from ops import probes


@never_cache
def healthz(request):
    """Liveness, for load balancers: 200 when the database answers `SELECT 1`
    within RELAIS_HEALTHZ_DEADLINE_MS, 503 otherwise."""
    failure = probes.run_with_deadline(
        "liveness", probes.database_answers, settings.RELAIS_HEALTHZ_DEADLINE_MS / 1000
    )
    if failure:
        return JsonResponse(
            {"status": "error", "database": "unavailable", "reason": failure},
            status=503,
        )
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: 200 when a write on the scratch row commits and the journal head
    can be locked within a short lock timeout; 503 within RELAIS_READYZ_DEADLINE_MS
    otherwise (a frozen lock holder, a read-only or unreachable database)."""
    deadline_ms = settings.RELAIS_READYZ_DEADLINE_MS
    failure = probes.run_with_deadline(
        "readiness",
        lambda: probes.database_writable_and_journal_reachable(deadline_ms // 2),
        deadline_ms / 1000,
    )
    if failure:
        response = JsonResponse(
            {"status": "unavailable", "reason": failure}, status=503
        )
        response["Retry-After"] = str(settings.RELAIS_RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok"})
