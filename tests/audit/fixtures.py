"""Fixtures shared by the whole suite (imported in tests/conftest.py)."""

import pytest


@pytest.fixture(autouse=True)
def _journal_triggers_off_for_flush(request):
    """Transactional tests end with `flush`, which DELETEs every row: the journal's
    append-only triggers would refuse it. Drop them just before the flush; the
    post_migrate signal sent by flush re-installs them (audit.apps)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        yield
        return
    # Set the database up before this fixture so that it is flushed after it.
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    from audit.triggers import drop_triggers

    drop_triggers(connection)
