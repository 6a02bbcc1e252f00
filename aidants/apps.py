from django.apps import AppConfig


class AidantsConfig(AppConfig):
    name = "aidants"
    verbose_name = "Aidants et structures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aidants import checks  # noqa: F401 - registers system checks

        self._register_auditlog()

    def _register_auditlog(self) -> None:
        # Field-level history (admin edits included) next to the domain journal.
        # Secrets stay out: no password, and TOTPDevice (which holds the seed) is
        # not registered.
        from auditlog.registry import auditlog

        # The app registry: models are importable only once ready() runs.
        from aidants.models import Aidant, CarteTOTP, Habilitation, Structure

        for model, exclude in (
            (Structure, []),
            (Aidant, ["password", "last_login"]),
            (Habilitation, []),
            (CarteTOTP, []),
        ):
            if not auditlog.contains(model):
                auditlog.register(model, exclude_fields=exclude)
