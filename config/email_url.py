"""E-mail settings from EMAIL_URL or the usual EMAIL_* variables.

EMAIL_URL: `smtp://user:password@host:587` (STARTTLS with `?tls=1` or the
`submission://` scheme), `smtps://...` (implicit TLS), `console://`. The user and
password are percent-decoded. Without EMAIL_URL, EMAIL_HOST (or the older
DJANGO_EMAIL_HOST) selects SMTP; with neither, mails go to the console.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from config.env import env_bool, env_int, env_secret, env_str

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def parse_email_url(url: str) -> dict:
    """Django EMAIL_* settings from an URL. Raises ValueError on an unknown scheme."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": CONSOLE}
    if scheme not in {"smtp", "smtps", "submission"}:
        raise ValueError(f"EMAIL_URL: unsupported scheme {scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    truthy = {"1", "true", "yes", "on"}
    use_ssl = scheme == "smtps" or query.get("ssl", "").lower() in truthy
    use_tls = scheme == "submission" or query.get("tls", "").lower() in truthy
    default_port = 465 if use_ssl else 587 if use_tls else 25
    return {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls and not use_ssl,
        "EMAIL_USE_SSL": use_ssl,
    }


def email_settings() -> dict:
    """The e-mail settings this process runs with (see the module docstring)."""
    url = env_secret("EMAIL_URL")
    if url:
        return parse_email_url(url)
    host = env_str("EMAIL_HOST") or env_str("DJANGO_EMAIL_HOST")
    default_backend = SMTP if host else CONSOLE
    return {
        "EMAIL_BACKEND": env_str("EMAIL_BACKEND")
        or env_str("DJANGO_EMAIL_BACKEND", default_backend),
        "EMAIL_HOST": host or "localhost",
        "EMAIL_PORT": env_int("EMAIL_PORT", env_int("DJANGO_EMAIL_PORT", 25)),
        "EMAIL_HOST_USER": env_str("EMAIL_HOST_USER")
        or env_str("DJANGO_EMAIL_HOST_USER"),
        "EMAIL_HOST_PASSWORD": env_secret("EMAIL_HOST_PASSWORD")
        or env_secret("DJANGO_EMAIL_HOST_PASSWORD"),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", env_bool("DJANGO_EMAIL_USE_TLS")),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
    }
