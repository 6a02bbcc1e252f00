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


# Backends that never deliver (or that write the links, tokens included, to the
# console or disk): fine in development, never in production.
NON_DELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(Tags.security, deploy=True)
def email_backend_delivers(app_configs, **kwargs):
    """Invitations, enrolment and reset links travel by e-mail: a console or
    memory backend would print them to the logs or drop them."""
    if settings.EMAIL_BACKEND in NON_DELIVERING_EMAIL_BACKENDS:
        return [
            Error(
                f"DJANGO_EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}, which does not "
                "deliver e-mail (links would reach the console or nowhere).",
                hint="Set DJANGO_EMAIL_BACKEND to an SMTP (or provider) backend.",
                id="relais.E011",
            )
        ]
    return []
