from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = _("Fournisseur d'identité (OpenID Connect)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oidc import signals  # noqa: F401 - connects the logout receiver
