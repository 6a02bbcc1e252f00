import pytest
from django.db import transaction

import audit
from audit.journal import compute_hash
from audit.models import GENESIS_HASH, JournalEntry


def test_entries_are_chained_with_gap_free_sequence(db):
    first = audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": 1})
    second = audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": 2})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    stored = JournalEntry.objects.get(seq=2)
    assert compute_hash(stored.prev_hash, stored) == stored.entry_hash


def test_entry_rolls_back_with_the_change(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(audit.Action.LOGIN_FAILED, actor=None)
        raise RuntimeError("the change failed")
    assert not JournalEntry.objects.exists()
    assert audit.record(audit.Action.LOGIN_FAILED, actor=None).seq == 1


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        audit.record("made_up", actor=None)
