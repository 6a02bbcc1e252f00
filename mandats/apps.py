from django.apps import AppConfig


class MandatsConfig(AppConfig):
    name = "mandats"
    verbose_name = "Mandats et usagers"
    default_auto_field = "django.db.models.BigAutoField"
