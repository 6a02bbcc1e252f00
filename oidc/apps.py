from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from mandats import online_services


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = _("Fournisseur d'identité (OpenID Connect)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The app registry: models and signal modules load once ready() runs.
        from auditlog.registry import auditlog

        # The app registry: models and signal modules load once ready() runs.
        from aidants import session_events
        from oidc import backchannel, signals  # noqa: F401 - logout receiver

        # Domain services of lower apps end service sessions through this hook.
        session_events.register(backchannel.end_sessions)
        # The app registry: models and signal modules load once ready() runs.
        from oidc.models import Client

        # The usager space names the online services it lists (mandats cannot
        # import oidc).
        online_services.register(Client.objects.names)

        # Admin edits of online services are kept field by field; the secret's
        # hash and the pairwise key stay out of the history.
        if not auditlog.contains(Client):
            auditlog.register(
                Client, exclude_fields=["client_secret_hash", "pairwise_salt"]
            )
