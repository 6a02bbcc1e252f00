"""Journal entries are appended as the last statements of their transaction: the
head is locked for the append and the commit only, and an entry still commits or
rolls back with the change it records."""

import threading

import pytest
from django.db import connection, connections, transaction

import audit
from audit.context import REQUEST_ID
from audit.journal import compute_hash
from audit.models import JournalEntry
from audit.verify import verify_journal


@pytest.mark.django_db(transaction=True)
def test_entry_is_appended_when_the_transaction_commits():
    with transaction.atomic():
        entry = audit.record(
            audit.Action.LOGIN_FAILED, actor=None, details={"motif": "Élodie ✓"}
        )
        assert entry.seq is None
        assert not JournalEntry.objects.exists()
    assert entry.seq == 1
    stored = JournalEntry.objects.get()
    assert stored.entry_hash == entry.entry_hash
    assert compute_hash(stored.prev_hash, stored) == stored.entry_hash
    assert verify_journal().ok


@pytest.mark.django_db(transaction=True)
def test_entries_keep_their_order_and_a_rolled_back_savepoint_drops_its_own():
    with transaction.atomic():
        audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": 1})
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": 2})
            raise RuntimeError("the inner change failed")
        audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": 3})
    assert [e.details["n"] for e in JournalEntry.objects.order_by("seq")] == [1, 3]
    assert verify_journal().ok


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_appends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(audit.Action.LOGIN_FAILED, actor=None)
        raise RuntimeError("the change failed")
    with transaction.atomic():
        pass
    assert not JournalEntry.objects.exists()
    assert connection.journal_pending == []


def test_nested_blocks_under_a_test_case_append_at_the_outermost_exit(db):
    with transaction.atomic():
        with transaction.atomic():
            audit.record(audit.Action.LOGIN_FAILED, actor=None)
        assert not JournalEntry.objects.exists()
    assert JournalEntry.objects.count() == 1


def test_request_id_goes_into_the_details(db):
    token = REQUEST_ID.set("req-1234abcd")
    try:
        entry = audit.record(audit.Action.LOGIN_FAILED, actor=None)
    finally:
        REQUEST_ID.reset(token)
    assert JournalEntry.objects.get(seq=entry.seq).details["request_id"] == (
        "req-1234abcd"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_long_transaction_does_not_hold_the_head_lock():
    """While one transaction that recorded an entry is still running, another
    appends and commits at once (before: it waited for the first to commit)."""
    recorded, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                audit.record(audit.Action.TOKEN_ISSUED, actor=None, details={"w": 1})
                recorded.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert recorded.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '500ms'")
        with transaction.atomic():
            audit.record(audit.Action.TOKEN_ISSUED, actor=None, details={"w": 2})
        assert JournalEntry.objects.get().details["w"] == 2
    finally:
        release.set()
        thread.join(10)
    assert [e.details["w"] for e in JournalEntry.objects.order_by("seq")] == [2, 1]
    assert verify_journal().ok
