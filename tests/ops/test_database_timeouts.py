import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


def _database_settings(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "test-only",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_timeouts_come_from_the_environment():
    database = _database_settings(
        DATABASE_URL="postgres://relais:x@db.example:5432/relais",
        RELAIS_DB_LOCK_TIMEOUT_MS="1234",
        RELAIS_DB_CONNECT_TIMEOUT="2",
    )
    assert database["ENGINE"] == "audit.backends.postgresql"
    options = database["OPTIONS"]
    assert options["connect_timeout"] == 2
    assert options["keepalives"] == 1
    assert "-c lock_timeout=1234" in options["options"]
    assert "-c statement_timeout=15000" in options["options"]
    assert "-c idle_in_transaction_session_timeout=5000" in options["options"]


def test_sqlite_waits_are_bounded_too():
    database = _database_settings(DATABASE_URL="sqlite:////tmp/relais-x.sqlite3")
    assert database["ENGINE"] == "audit.backends.sqlite3"
    assert database["OPTIONS"]["timeout"] == 5


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_carry_the_timeouts():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'),"
            " current_setting('statement_timeout'),"
            " current_setting('idle_in_transaction_session_timeout')"
        )
        # Production cuts idle transactions after 5 s; tests allow a minute
        # (tests/conftest.py), the subprocess test above checks the default.
        assert cursor.fetchone() == ("5s", "15s", "1min")
