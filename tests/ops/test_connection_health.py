"""Kept PostgreSQL connections are health-checked (`SELECT 1`) before a request
only when they sat idle (audit/backends/postgresql/base.py): a connection in
steady use does not pay a round trip per request."""

import time

import pytest
from django.db import connections

from audit.backends.postgresql.base import HEALTH_CHECK_AFTER_IDLE_S, has_pending_input


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


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_connection_the_server_ended_is_checked_and_replaced_at_once():
    """Used a moment ago but ended by the server since (a restart, a terminated
    backend): the socket says so without a round trip, Django's check runs,
    fails, and the request gets a new connection instead of an error."""
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        other.health_check_enabled = True
        other.relais_last_request = time.monotonic()  # in use a moment ago
        assert not has_pending_input(other.connection)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while not has_pending_input(other.connection):
            assert time.monotonic() < deadline, "the ended session went unnoticed"
            time.sleep(0.05)
        other.health_check_done = False  # a new request
        other.close_if_health_check_failed()
        assert other.connection is None  # dropped before any statement failed
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
    finally:
        other.close()
