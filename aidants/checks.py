from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs):
    """In production the secret key must come from DJANGO_SECRET_KEY(_FILE)."""
    if getattr(settings, "SECRET_KEY_GENERATED", False):
        return [
            Error(
                "DJANGO_SECRET_KEY is not set: a generated development key is in use.",
                hint="Set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE.",
                id="relais.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def site_url_is_https(app_configs, **kwargs):
    """Links in e-mails and attestations' QR codes use RELAIS_SITE_URL."""
    if not settings.SITE_URL.startswith("https://"):
        return [
            Error(
                f"RELAIS_SITE_URL is {settings.SITE_URL!r}, not an https URL.",
                hint="Set RELAIS_SITE_URL to the public https address of Relais.",
                id="relais.E004",
            )
        ]
    return []
