"""Relais settings: everything comes from the environment, with safe defaults."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from config.env import env_bool, env_int, env_list, env_secret, env_str
from ops.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> tuple[str, bool]:
    """Return (key, generated). Without DJANGO_SECRET_KEY, a dev key is kept in a
    git-ignored file; `check --deploy` refuses it (see aidants.checks)."""
    key = env_secret("DJANGO_SECRET_KEY")
    if key:
        return key, False
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        # Written whole with mode 0600 first, then linked into place: concurrent
        # first starts (test workers, autoreloader) never read a partial key.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip(), True


SECRET_KEY, SECRET_KEY_GENERATED = _secret_key()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Public base URL, used in emails and attestations' QR codes.
SITE_URL = env_str("RELAIS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# OpenID Provider issuer (defaults to SITE_URL); codes live 60 s, tokens 10 min.
OIDC_ISSUER = env_str("RELAIS_OIDC_ISSUER", "").rstrip("/")
OIDC_CODE_TTL_SECONDS = 60
OIDC_TOKEN_TTL_SECONDS = 600
# Demo online service (/demo-service/): on with DEBUG (`make run`), off in prod.
DEMO_SERVICE_ENABLED = env_bool("RELAIS_DEMO_SERVICE", DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "auditlog",
    "csp",
    "dsfr",
    "widget_tweaks",
    "audit",
    "ops",
    "aidants",
    "mandats",
    "oidc",
]

MIDDLEWARE = [
    # Outermost: request id and the one log line per request, then bodies refused
    # unread (ops/middleware.py).
    "ops.middleware.RequestLogMiddleware",
    "ops.middleware.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "aidants.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aidants.context_processors.relais",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite (WAL) is the embedded default; DATABASE_URL switches to PostgreSQL.
# Relais' own backends (audit.backends) append queued journal entries as the last
# statements of each transaction. Every wait on the database is bounded
# (docs/operations.md): a stuck lock holder or a lost database gives a 503 within
# seconds instead of freezing the workers.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DB_LOCK_TIMEOUT_MS = env_int("RELAIS_DB_LOCK_TIMEOUT_MS", 5000)
DB_STATEMENT_TIMEOUT_MS = env_int("RELAIS_DB_STATEMENT_TIMEOUT_MS", 15000)
DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = env_int(
    "RELAIS_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 5000
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "audit.backends.sqlite3"
    # In-memory test databases, one per pytest-xdist worker process (pytest-django
    # recognises only Django's own engine name for that).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN: journal appends never interleave.
        "transaction_mode": "IMMEDIATE",
        # Busy wait for the write lock, in seconds; beyond it the request gets
        # the 503 page ("database is locked").
        "timeout": DB_LOCK_TIMEOUT_MS / 1000,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "audit.backends.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env_int("RELAIS_DB_CONNECT_TIMEOUT", 3),
            # TCP keepalives: a silent partition is noticed in about 20 s.
            "keepalives": 1,
            "keepalives_idle": env_int("RELAIS_DB_KEEPALIVES_IDLE", 10),
            "keepalives_interval": env_int("RELAIS_DB_KEEPALIVES_INTERVAL", 5),
            "keepalives_count": env_int("RELAIS_DB_KEEPALIVES_COUNT", 2),
            "tcp_user_timeout": env_int("RELAIS_DB_TCP_USER_TIMEOUT_MS", 20000),
            "options": (
                f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}"
                f" -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
                " -c idle_in_transaction_session_timeout="
                f"{DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}"
            ),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "aidants.Aidant"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "django.contrib.auth."
        "password_validation.UserAttributeSimilarityValidator"
    },
]
LOGIN_URL = "aidants:login"
LOGIN_REDIRECT_URL = "aidants:home"

# Sessions: 8 hours at most, OTP asked again after 15 minutes without activity.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_MAX_AGE_SECONDS = 8 * 3600
OTP_IDLE_TIMEOUT_SECONDS = 15 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "aidants.views.auth.csrf_failure"

# django-otp: narrow drift window (tolerance 1 step), exponential throttling.
OTP_TOTP_ISSUER = "Relais"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_TOTP_TOLERANCE = 1

# django-axes: lockout counters in the database, shared by every instance.
AXES_FAILURE_LIMIT = env_int("RELAIS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_PROXY_COUNT = env_int("RELAIS_PROXY_COUNT", 0) or None
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "token"]
# French lockout page (status 429) instead of axes' English text.
AXES_LOCKOUT_CALLABLE = "aidants.views.auth.locked_out"

# Invitations and inactivity.
INVITATION_VALID_HOURS = 72
INACTIVITY_SUSPEND_DAYS = 182
INACTIVITY_WARN_DAYS = 152

# FranceConnect (usager identity). Defaults: the embedded sandbox on loopback
# (`python -m mandats.sandbox`), which accepts any client id and secret.
FC_ISSUER = env_str("FC_ISSUER", "http://127.0.0.1:9400").rstrip("/")
FC_CLIENT_ID = env_str("FC_CLIENT_ID", "relais-sandbox")
FC_CLIENT_SECRET = env_secret("FC_CLIENT_SECRET") or "relais-sandbox-secret"
FC_SCOPES = env_str("FC_SCOPES", "openid profile email birth")
FC_ACR_VALUES = env_str("FC_ACR_VALUES", "eidas1")
FC_TIMEOUT_SECONDS = env_int("FC_TIMEOUT_SECONDS", 5)

# Usager space session; personal data kept this long after the last mandate ended
# (`manage.py purge_expired`, docs/mandates.md).
USAGER_SESSION_MAX_AGE_SECONDS = 3600
USAGER_SESSION_IDLE_SECONDS = 15 * 60
USAGER_RETENTION_DAYS = env_int("RELAIS_USAGER_RETENTION_DAYS", 5 * 365)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DJANGO_DEFAULT_FROM_EMAIL", "Relais <no-reply@relais.local>"
)

# Security headers. Outside DEBUG: HTTPS only, HSTS, secure cookies.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The directive alone submits nothing; hstspreload.org submission stays a choice.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, "http:", "https:"],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Request bodies: nothing Relais receives comes near 1 MB (forms, OAuth requests);
# larger bodies get a 413 before being read, a multipart body to an OAuth endpoint
# a 400, and a file part anywhere a 400: Relais takes no file upload, so nothing
# is ever written to a temporary file (ops/middleware.py, ops/uploads.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("RELAIS_MAX_BODY_BYTES", 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
FILE_UPLOAD_HANDLERS = ["ops.uploads.RefuseFilesHandler"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Outages: the 503 page's Retry-After, and the probes' deadlines (ops/probes.py).
RELAIS_RETRY_AFTER_SECONDS = env_int("RELAIS_RETRY_AFTER_SECONDS", 5)
RELAIS_HEALTHZ_DEADLINE_MS = env_int("RELAIS_HEALTHZ_DEADLINE_MS", 800)
RELAIS_READYZ_DEADLINE_MS = env_int("RELAIS_READYZ_DEADLINE_MS", 1500)

# Logs: UTC with offset, the request id on every line, one line per request
# (relais.request); JSON outside DEBUG unless DJANGO_LOG_FORMAT=plain.
LOGGING = logging_config(
    json_format=env_str("DJANGO_LOG_FORMAT", "plain" if DEBUG else "json") == "json",
    level=env_str("DJANGO_LOG_LEVEL", "INFO"),
)
# DEBUG: one line per commit with how long the journal head stayed locked.
LOGGING["loggers"]["relais.journal.lock"] = {
    "level": env_str("RELAIS_JOURNAL_LOCK_LOG_LEVEL", "INFO")
}
