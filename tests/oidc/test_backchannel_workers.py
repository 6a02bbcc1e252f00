"""Several workers drain the logout queue at once: each logout is delivered
exactly once (PostgreSQL: SKIP LOCKED; SQLite: one atomic claiming UPDATE)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.oidc.backchannel_workers import make_deliveries, run_workers, summary
from tests.oidc.logout_receiver import LogoutReceiver

WORKERS = 2
DELIVERIES = 12


def _assert_once(result: dict) -> None:
    assert result["duplicates"] == []
    assert result["received"] == DELIVERIES
    assert result["delivered_rows"] == DELIVERIES
    assert result["journaled"] == DELIVERIES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_each_logout_once_on_postgresql():
    assert connection.vendor == "postgresql"
    with LogoutReceiver() as receiver:
        make_deliveries(DELIVERIES, receiver.url)
        errors = run_workers(WORKERS, receiver)
    assert not errors, errors
    _assert_once(summary(receiver))


def test_two_workers_deliver_each_logout_once_on_sqlite_file(tmp_path):
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "tests.oidc.backchannel_workers",
            str(tmp_path / "queue.sqlite3"),
            str(WORKERS),
            str(DELIVERIES),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SECRET_KEY": "test-only"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary_ = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary_["errors"] == []
    _assert_once(summary_)
