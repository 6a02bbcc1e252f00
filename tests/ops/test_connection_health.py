"""Kept PostgreSQL connections are health-checked (`SELECT 1`) before a request
only when they sat idle (audit/backends/postgresql/base.py): a connection in
steady use does not pay a round trip per request."""

import time

import pytest
from django.db import connections

from audit.backends.postgresql.base import HEALTH_CHECK_AFTER_IDLE_S


@pytest.mark.postgres
@pytest.mark.django_db
def test_only_an_idle_connection_is_checked_before_its_request(monkeypatch):
    connection = connections["default"]
    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    checks = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or usable())

    def next_request():
        # What Django does at the start of each request, then the first query.
        connection.health_check_done = False
        connection.close_if_health_check_failed()

    monkeypatch.setattr(connection, "relais_last_request", float("-inf"))
    next_request()
    assert len(checks) == 1  # never used by a request: checked
    next_request()
    next_request()
    assert len(checks) == 1  # in use a moment ago: not checked
    idle = time.monotonic() - HEALTH_CHECK_AFTER_IDLE_S - 1
    monkeypatch.setattr(connection, "relais_last_request", idle)
    next_request()
    assert len(checks) == 2  # idle for a while: checked again
    assert connection.connection is not None  # and kept, since it answered
