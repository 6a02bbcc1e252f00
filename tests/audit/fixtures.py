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


@pytest.fixture(scope="session")
def _test_key_encryption_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


@pytest.fixture(autouse=True)
def _own_witness_and_kek(settings, tmp_path, monkeypatch, _test_key_encryption_key):
    """Each test has its own journal witness folder, and the test run its own
    key-encryption key (never the developer's files): parallel workers never share
    a witness. Subprocesses (manage.py) inherit both through the environment."""
    witness = tmp_path / "witness"
    settings.JOURNAL_WITNESS_DIR = witness
    settings.KEY_ENCRYPTION_KEYS = [_test_key_encryption_key]
    monkeypatch.setenv("RELAIS_JOURNAL_WITNESS_DIR", str(witness))
    monkeypatch.setenv("RELAIS_KEY_ENCRYPTION_KEY", _test_key_encryption_key)
