from django.conf import settings
from django.core.checks import Error, Tags, register

SANDBOX_SECRET = "relais-sandbox-secret"  # noqa: S105 - the sandbox's public default


@register(Tags.security, deploy=True)
def franceconnect_is_not_the_sandbox(app_configs, **kwargs):
    """In production FranceConnect must be a real provider over HTTPS."""
    errors = []
    if not settings.FC_ISSUER.startswith("https://"):
        errors.append(
            Error(
                f"FC_ISSUER {settings.FC_ISSUER!r} is the sandbox or plain HTTP.",
                hint="Set FC_ISSUER to FranceConnect's https issuer.",
                id="relais.E002",
            )
        )
    if settings.FC_CLIENT_SECRET == SANDBOX_SECRET:
        errors.append(
            Error(
                "FC_CLIENT_SECRET is the sandbox's default secret.",
                hint="Set FC_CLIENT_ID and FC_CLIENT_SECRET (or its _FILE).",
                id="relais.E003",
            )
        )
    return errors
