"""Logging out ends what the aidant's session issued (no journaling here: the
logout itself is journaled by the aidants app)."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver


@receiver(user_logged_out, dispatch_uid="oidc_revoke_tokens_on_logout")
def revoke_tokens_on_logout(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is None or not session_key:
        return
    from oidc.services import revoke_session_tokens

    revoke_session_tokens(aidant=user, session_key=session_key)
