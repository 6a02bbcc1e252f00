"""Refusals of signed-in accounts, journaled so that a structure sees who tried
what (a suspended référent, another structure's référent probing a member page)."""

from django.db import transaction

import audit


def record_refusal(*, request, reason: str, **details: str) -> None:
    """Journal ACCESS_DENIED for the signed-in account behind `request`, in its
    current structure, with the reason, the path's route name and `details`.
    Raises nothing; writes nothing for an anonymous request."""
    user = request.user
    if not user.is_authenticated:
        return
    match = getattr(request, "resolver_match", None)
    info = {"reason": reason, "view": match.view_name if match else "", **details}
    with transaction.atomic():
        audit.record(
            audit.Action.ACCESS_DENIED,
            actor=user,
            structure=user.current_structure,
            details=info,
            request=request,
        )
