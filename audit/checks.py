from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def key_encryption_key_from_environment(app_configs, **kwargs):
    """In production the key-encryption key (which seals the private keys and OTP
    seeds) must come from outside the database and the project folder."""
    if getattr(settings, "KEY_ENCRYPTION_KEY_GENERATED", True):
        return [
            Error(
                "RELAIS_KEY_ENCRYPTION_KEY is not set: a generated development "
                "key-encryption key is in use.",
                hint="Set RELAIS_KEY_ENCRYPTION_KEY or RELAIS_KEY_ENCRYPTION_KEY_FILE "
                "(Fernet keys: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())').",
                id="relais.E010",
            )
        ]
    return []
