from django.apps import AppConfig


class MandatsConfig(AppConfig):
    name = "mandats"
    verbose_name = "Mandats et usagers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Field-level history next to the domain journal (admin edits included).
        from auditlog.registry import auditlog

        from mandats import checks  # noqa: F401 - registers system checks

        # The app registry: models are importable only once ready() runs.
        from mandats.models import Autorisation, Mandat

        # Usager is left out: its identity would be copied into auditlog's
        # history, out of reach of the personal-data purge.
        for model, exclude in (
            (Mandat, ["signature", "creation_key"]),
            (Autorisation, []),
        ):
            if not auditlog.contains(model):
                auditlog.register(model, exclude_fields=exclude)
