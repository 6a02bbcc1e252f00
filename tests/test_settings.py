import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "relais.example.fr",
    "RELAIS_SITE_URL": "https://relais.example.fr",
    "FC_ISSUER": "https://franceconnect.example.fr/api/v2",
    "FC_CLIENT_ID": "relais-production",
    "FC_CLIENT_SECRET": secrets.token_urlsafe(32),
    "RELAIS_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def run(*args, env_update=None, drop=()):
    env = {
        key: value
        for key, value in os.environ.items()
        # RELAIS_DEMO: pytest installs the demo app (pyproject's [tool.pytest]).
        if not key.startswith("DJANGO_") and key != "RELAIS_DEMO" and key not in drop
    }
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", "sqlite:///:memory:")
    env.update(env_update or {})
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def setting(name, env_update=None):
    code = (
        "import django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "django.setup();"
        "from django.conf import settings;"
        f"print(repr(settings.{name}))"
    )
    result = run("-c", code, env_update=env_update)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_passes_with_production_environment():
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_update=PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_accepts_a_secret_key_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SECRET_KEY_FILE"] = str(key_file)
    result = run(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", env_update=env
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_secret_key():
    env = {"DJANGO_ALLOWED_HOSTS": "relais.example.fr"}
    result = run("manage.py", "check", "--deploy", env_update=env)
    assert result.returncode != 0
    assert "relais.E001" in result.stderr


def test_check_deploy_refuses_a_missing_key_encryption_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "RELAIS_KEY_ENCRYPTION_KEY"}
    result = run(
        "manage.py",
        "check",
        "--deploy",
        env_update=env,
        drop=("RELAIS_KEY_ENCRYPTION_KEY", "RELAIS_KEY_ENCRYPTION_KEY_FILE"),
    )
    assert result.returncode != 0
    assert "relais.E010" in result.stderr


def test_check_deploy_accepts_a_key_encryption_key_file(tmp_path):
    key_file = tmp_path / "kek"
    key_file.write_text(PRODUCTION["RELAIS_KEY_ENCRYPTION_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "RELAIS_KEY_ENCRYPTION_KEY"}
    env["RELAIS_KEY_ENCRYPTION_KEY_FILE"] = str(key_file)
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_update=env,
        drop=("RELAIS_KEY_ENCRYPTION_KEY",),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_in_debug():
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_update={**PRODUCTION, "DJANGO_DEBUG": "1"},
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_debug_is_off_unless_asked():
    assert setting("DEBUG") == "False"
    assert setting("DEBUG", {"DJANGO_DEBUG": "0"}) == "False"
    assert setting("DEBUG", {"DJANGO_DEBUG": "1"}) == "True"


def test_production_installs_no_demo_app_and_serves_no_demo_service():
    assert "'demo'" not in setting("INSTALLED_APPS", PRODUCTION)
    code = (
        "import django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "django.setup();"
        "from django.urls import resolve;"
        "print(resolve('/demo-service/').url_name)"
    )
    result = run("-c", code, env_update=PRODUCTION)
    assert "Resolver404" in result.stderr
    result = run("-c", code, env_update={"RELAIS_DEMO": "1"})
    assert result.stdout.strip() == "home", result.stderr


def test_the_demo_app_is_installed_with_debug_or_when_asked():
    assert "'demo'" in setting("INSTALLED_APPS", {"DJANGO_DEBUG": "1"})
    assert "'demo'" in setting("INSTALLED_APPS", {"RELAIS_DEMO": "1"})
    assert "'demo'" not in setting(
        "INSTALLED_APPS", {"DJANGO_DEBUG": "1", "RELAIS_DEMO": "0"}
    )


def test_runtime_dependencies_hold_no_mock():
    """The FranceConnect sandbox (oidc-provider-mock: Flask, uvicorn, pydantic)
    is in the dev extra only: production's lock file does not install it."""
    production = (BASE_DIR / "requirements" / "base.txt").read_text().lower()
    for name in ("oidc-provider-mock", "flask==", "uvicorn==", "pydantic=="):
        assert name not in production
    assert "oidc-provider-mock" in (BASE_DIR / "requirements" / "dev.txt").read_text()


def test_secure_cookies_and_hsts_outside_debug():
    assert setting("SESSION_COOKIE_SECURE") == "True"
    assert setting("CSRF_COOKIE_SECURE") == "True"
    assert setting("SECURE_SSL_REDIRECT") == "True"
    assert int(setting("SECURE_HSTS_SECONDS")) >= 31536000
    assert setting("SESSION_COOKIE_SECURE", {"DJANGO_DEBUG": "1"}) == "False"


def test_secret_key_comes_from_the_environment():
    key = PRODUCTION["DJANGO_SECRET_KEY"]
    assert setting("SECRET_KEY", PRODUCTION) == repr(key)
    assert setting("SECRET_KEY_GENERATED", PRODUCTION) == "False"


def test_generated_secret_key_file_is_private_and_ignored():
    assert setting("SECRET_KEY_GENERATED") == "True"
    path = BASE_DIR / ".secret_key"
    assert path.stat().st_mode & 0o077 == 0
    ignored = subprocess.run(  # noqa: S603
        ["git", "check-ignore", "-q", str(path)],  # noqa: S607
        cwd=BASE_DIR,
        check=False,
    )
    assert ignored.returncode == 0


@pytest.mark.django_db
def test_responses_carry_csp_and_frame_denial(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_https_requests_get_hsts(client):
    response = client.get("/healthz", secure=True)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response.url.startswith("https://")
    # Load balancers probe /healthz over plain HTTP.
    assert client.get("/healthz").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_url_selects_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 130000
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_encoding')")
        assert cursor.fetchone()[0] == "UTF8"


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [
        ("FC_ISSUER", "http://127.0.0.1:9400", "relais.E002"),
        ("FC_CLIENT_SECRET", "relais-sandbox-secret", "relais.E003"),
        ("RELAIS_SITE_URL", "http://127.0.0.1:8000", "relais.E004"),
        (
            "DJANGO_EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend",
            "relais.E011",
        ),
        (
            "DJANGO_EMAIL_BACKEND",
            "django.core.mail.backends.locmem.EmailBackend",
            "relais.E011",
        ),
    ],
)
def test_check_deploy_refuses_sandbox_and_loopback_defaults(variable, value, code):
    result = run(
        "manage.py",
        "check",
        "--deploy",
        env_update={**PRODUCTION, variable: value},
    )
    assert result.returncode != 0
    assert code in result.stdout + result.stderr
