"""PostgreSQL plans a hot statement once per connection (config/database.py):
psycopg prepares what a connection ran `RELAIS_DB_PREPARE_THRESHOLD` times, and
the value 0 turns it off (a pooler that cannot keep prepared statements)."""

import pytest
from django.db import connection

from aidants.session_store import SessionStore
from config.database import database

_LIMITS = dict(
    lock_timeout_ms=5000,
    statement_timeout_ms=15000,
    idle_in_transaction_timeout_ms=5000,
)
_URL = "postgres://relais:x@127.0.0.1:5432/relais"


def test_prepared_statements_are_on_by_default_and_can_be_turned_off(monkeypatch):
    monkeypatch.delenv("RELAIS_DB_PREPARE_THRESHOLD", raising=False)
    options = database(_URL, **_LIMITS)["OPTIONS"]
    assert options["prepare_threshold"] == 5 and options["server_side_binding"]
    monkeypatch.setenv("RELAIS_DB_PREPARE_THRESHOLD", "0")
    options = database(_URL, **_LIMITS)["OPTIONS"]
    assert "prepare_threshold" not in options and "server_side_binding" not in options


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_again_and_again_is_planned_once():
    """The session read of every aidant request: prepared by its sixth run on
    the connection, and still answering each run with its own values."""
    store = SessionStore()
    store["who"] = "alice"
    store.set_expiry(3600)
    store.save()
    for _ in range(6):
        assert SessionStore(store.session_key).load()["who"] == "alice"
        assert SessionStore("x" * 32).load() == {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ['%FROM "django_session"%', "%expire_date%"],
        )
        assert cursor.fetchone()[0] >= 1
