from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Journal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit import checks  # noqa: F401 - registers the deploy checks

        # The app registry: models are importable only once ready() runs.
        from audit.triggers import ensure_triggers

        # `flush` (used between transactional tests) has to drop the triggers to
        # empty the tables; post_migrate follows every migrate and flush.
        post_migrate.connect(
            ensure_triggers, sender=self, dispatch_uid="audit-triggers"
        )
