import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from audit.models import JournalEntry, JournalHead
from ops.models import ReadinessProbe


def test_healthz_answers_when_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_writes_the_scratch_row_and_reaches_the_journal_head(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert ReadinessProbe.objects.get(pk=1).checked_at is not None
    assert not JournalEntry.objects.exists()  # a probe is not a journaled action


def _refuse_writes(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
        raise OperationalError("attempt to write a readonly database")
    return execute(sql, params, many, context)


def test_readyz_answers_503_when_the_database_refuses_writes(client, db):
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL the probe has its own connection (test below)")
    with connection.execute_wrapper(_refuse_writes):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200  # alive, not ready


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_not_cached(client, db, path):
    assert "no-cache" in client.get(path)["Cache-Control"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_within_2_s_while_a_frozen_holder_locks_the_head(client):
    holding, release = threading.Event(), threading.Event()

    def frozen_holder():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # frozen, not cut off yet
                    cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                JournalHead.objects.select_for_update().get(pk=1)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=frozen_holder)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert elapsed < 2
        assert client.get("/healthz").status_code == 200
    finally:
        release.set()
        thread.join(10)
    assert client.get("/readyz").status_code == 200


def test_one_log_line_per_request_names_the_route_not_the_path(client, db, caplog):
    caplog.set_level("INFO", logger="relais.request")
    response = client.get(
        "/invitation/secret-token-value/", HTTP_X_REQUEST_ID="abc12345"
    )
    assert response["X-Request-ID"] == "abc12345"
    lines = [r for r in caplog.records if r.name == "relais.request"]
    assert len(lines) == 1
    assert lines[0].request_id == "abc12345"
    assert lines[0].status == response.status_code
    assert "secret-token-value" not in lines[0].getMessage()
