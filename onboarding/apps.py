from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Demandes d'habilitation et espace équipe"
    default_auto_field = "django.db.models.BigAutoField"
