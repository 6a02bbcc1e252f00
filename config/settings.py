"""Relais settings: everything comes from the environment, with safe defaults."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF

from config.database import database
from config.dev_keys import key_encryption_keys, secret_key
from config.email_url import email_settings
from config.env import env_bool, env_int, env_list, env_secret, env_str
from ops.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)


SECRET_KEY, SECRET_KEY_GENERATED = secret_key(BASE_DIR)
KEY_ENCRYPTION_KEYS, KEY_ENCRYPTION_KEY_GENERATED = key_encryption_keys(BASE_DIR)
# Append-only witness of the journal's signed checkpoints, outside the database
# (docs/journal.md): one file per journal, to be shipped elsewhere.
JOURNAL_WITNESS_DIR = Path(
    env_str("RELAIS_JOURNAL_WITNESS_DIR", str(BASE_DIR / "var" / "witness"))
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Public base URL, used in emails and attestations' QR codes.
SITE_URL = env_str("RELAIS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# OpenID Provider issuer (defaults to SITE_URL); codes live 60 s, tokens 10 min.
OIDC_ISSUER = env_str("RELAIS_OIDC_ISSUER", "").rstrip("/")
OIDC_CODE_TTL_SECONDS = 60
OIDC_TOKEN_TTL_SECONDS = 600
# The demo app (demo/: `seed_demo`, the FranceConnect sandbox, the demo online
# service): installed with DEBUG (`make run`) or RELAIS_DEMO=1 (the tests, CI's
# seed on PostgreSQL, the bench's data), never by production's defaults.
DEMO_INSTALLED = env_bool("RELAIS_DEMO", DEBUG)
# Demo online service (/demo-service/, demo app only): on with DEBUG, off otherwise.
DEMO_SERVICE_ENABLED = env_bool("RELAIS_DEMO_SERVICE", DEBUG)
# Where the demo service notes the sessions Relais ended (back-channel logout):
# files, so that every process of `make run` sees them.
DEMO_SERVICE_STATE_DIR = Path(
    env_str("RELAIS_DEMO_SERVICE_STATE_DIR", str(BASE_DIR / "var" / "demo-service"))
)

INSTALLED_APPS = [
    "config.apps.RelaisAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "axes",
    "django_ratelimit",
    "auditlog",
    "csp",
    "dsfr",
    "widget_tweaks",
    "audit",
    "ops",
    "aidants",
    "mandats",
    "oidc",
    "onboarding",
]
if DEMO_INSTALLED:
    INSTALLED_APPS.append("demo")

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
    # django-otp's OTPMiddleware, with the device loaded along with the aidant.
    "aidants.context.AidantContextMiddleware",
    "aidants.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "onboarding.middleware.TermsOfUseMiddleware",
    "config.middleware.ErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
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
DB_LOCK_TIMEOUT_MS = env_int("RELAIS_DB_LOCK_TIMEOUT_MS", 5000)
DB_STATEMENT_TIMEOUT_MS = env_int("RELAIS_DB_STATEMENT_TIMEOUT_MS", 15000)
DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = env_int(
    "RELAIS_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 5000
)
DATABASES = {
    "default": database(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        lock_timeout_ms=DB_LOCK_TIMEOUT_MS,
        statement_timeout_ms=DB_STATEMENT_TIMEOUT_MS,
        idle_in_transaction_timeout_ms=DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "aidants.Aidant"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the request's aidant context in one query.
    "aidants.context.AidantBackend",
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
# Django's database sessions, read with a query compiled once per process.
SESSION_ENGINE = "aidants.session_store"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_MAX_AGE_SECONDS = 8 * 3600
OTP_IDLE_TIMEOUT_SECONDS = 15 * 60
# prompt=login / max_age (OIDC): the second factor is asked again when older
# than this (the reference's idle re-check); the session is kept.
OTP_FRESHNESS_SECONDS = env_int("RELAIS_OTP_FRESHNESS_SECONDS", 15 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "aidants.views.auth.csrf_failure"

# django-otp: narrow drift window (tolerance 1 step), exponential throttling.
OTP_TOTP_ISSUER = "Relais"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_TOTP_TOLERANCE = 1

# Passkeys (WebAuthn) as a second factor, never passwordless (aidants/passkeys.py):
# user verification required, no attestation, relying party = RELAIS_SITE_URL's
# host, read when a ceremony runs (the helper also checks the origin).
OTP_WEBAUTHN_HELPER_CLASS = "aidants.passkeys.RelaisWebAuthnHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Relais"
OTP_WEBAUTHN_RP_ID_CALLABLE = "aidants.passkeys.relying_party_id"
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "aidants.passkeys"
# The library's own origin checks read this list at startup; ours is computed
# from SITE_URL at each ceremony. An http origin other than localhost (the
# default http://127.0.0.1:8000) cannot use passkeys at all: browsers refuse.
OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL]
# The development site is http://127.0.0.1 (https is enforced for production by
# relais.E004, which names RELAIS_SITE_URL).
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E031"]
PASSKEY_FRESH_FACTOR_SECONDS = 5 * 60

# django-axes: lockout counters in the database, shared by every instance.
AXES_FAILURE_LIMIT = env_int("RELAIS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# How many reverse proxies stand in front of Relais, each appending to
# X-Forwarded-For (0: none, REMOTE_ADDR is the client). See config/client_ip.py.
RELAIS_PROXY_COUNT = env_int("RELAIS_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "token"]
# French lockout page (status 429) instead of axes' English text.
AXES_LOCKOUT_CALLABLE = "aidants.views.auth.locked_out"

# Per-account growing delays after failed passwords, from any address (see
# aidants/services/login_delay.py and docs/security.md): after FREE failures,
# each further failure doubles the wait (1 s, 2 s, 4 s...) up to MAX. A browser
# where the account already completed a login is exempt (device cookie).
LOGIN_ACCOUNT_FREE_FAILURES = env_int("RELAIS_LOGIN_ACCOUNT_FREE_FAILURES", 10)
LOGIN_ACCOUNT_MAX_DELAY_SECONDS = env_int("RELAIS_LOGIN_ACCOUNT_MAX_DELAY", 900)
LOGIN_DEVICE_COOKIE_DAYS = 90

# Rate limits of the anonymous surfaces, per client address (django-ratelimit;
# "count/period", period s, m, h or d). See config/ratelimit.py.
RELAIS_RATE_LIMITS = {
    # /verifier/<id>: every check, then unknown ids on their own (never journaled
    # one by one).
    "verify": env_str("RELAIS_RATELIMIT_VERIFY", "60/h"),
    "verify-unknown": env_str("RELAIS_RATELIMIT_VERIFY_UNKNOWN", "10/h"),
    # Password posts on /connexion/ (on top of django-axes' lockout).
    "login": env_str("RELAIS_RATELIMIT_LOGIN", "30/10m"),
    # The usager's FranceConnect login and its return on /mon-espace/.
    "usager-login": env_str("RELAIS_RATELIMIT_USAGER_LOGIN", "20/10m"),
}
RATELIMIT_ENABLE = env_bool("RELAIS_RATELIMIT_ENABLE", True)
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"
RATELIMIT_VIEW = "config.ratelimit.too_many_requests"
# Counters in the database, shared by every instance (no process memory). The
# database cache increments without an atomic update: concurrent hits may be
# counted a little short, which a rate limit tolerates (the security counters,
# axes and the per-account delays, are exact rows). Point "ratelimit" at Redis
# or memcached to make it exact.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "relais_ratelimit_cache",
    },
}
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Invitations and inactivity.
INVITATION_VALID_HOURS = 72
# A habilitation request's private link lives this long after its decision (or
# after the draft's creation, for a draft never submitted).
ONBOARDING_REQUEST_LINK_DAYS = env_int("RELAIS_REQUEST_LINK_DAYS", 60)
# Terms of use in force: templates/onboarding/terms/<version>.html. A new
# version is accepted again by everybody at their next page.
TERMS_VERSION = "2026-12"
# Links that enrol a second factor (docs/security.md) and password-reset links.
ENROLMENT_LINK_VALID_HOURS = 24
PASSWORD_RESET_TIMEOUT = 3600
INACTIVITY_SUSPEND_DAYS = 182
INACTIVITY_WARN_DAYS = 152

# FranceConnect (usager identity). Defaults: the embedded sandbox on loopback
# (`python -m demo.sandbox`), which accepts any client id and secret.
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

_EMAIL = email_settings()
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL["EMAIL_HOST"]
EMAIL_PORT = _EMAIL["EMAIL_PORT"]
EMAIL_HOST_USER = _EMAIL["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _EMAIL["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _EMAIL["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or env_str(
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

# OIDC Back-Channel Logout 1.0 (oidc/backchannel.py): delivery timeout, retries
# with exponential backoff (base, cap), then the logout is abandoned (journaled).
OIDC_BACKCHANNEL_TIMEOUT_SECONDS = env_int("RELAIS_BACKCHANNEL_TIMEOUT_SECONDS", 5)
OIDC_BACKCHANNEL_MAX_ATTEMPTS = env_int("RELAIS_BACKCHANNEL_MAX_ATTEMPTS", 12)
OIDC_BACKCHANNEL_RETRY_BASE_SECONDS = env_int(
    "RELAIS_BACKCHANNEL_RETRY_BASE_SECONDS", 5
)
OIDC_BACKCHANNEL_RETRY_MAX_SECONDS = 3600
