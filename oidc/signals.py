"""Logging out ends what the aidant's session issued; deactivating an account
ends every token it holds (no journaling here: the logout is journaled by the
aidants app, the deactivation by the admin's field history)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from oidc.services import revoke_aidant_tokens, revoke_session_tokens


@receiver(user_logged_out, dispatch_uid="oidc_revoke_tokens_on_logout")
def revoke_tokens_on_logout(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is None or not session_key:
        return

    revoke_session_tokens(aidant=user, session_key=session_key)


@receiver(
    post_save,
    sender=settings.AUTH_USER_MODEL,
    dispatch_uid="oidc_revoke_tokens_on_deactivation",
)
def revoke_tokens_on_deactivation(sender, instance, **kwargs) -> None:
    if instance.is_active:
        return

    revoke_aidant_tokens(aidant=instance)
