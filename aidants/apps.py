from django.apps import AppConfig


class AidantsConfig(AppConfig):
    name = "aidants"
    verbose_name = "Aidants et structures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aidants import checks  # noqa: F401 - registers system checks
