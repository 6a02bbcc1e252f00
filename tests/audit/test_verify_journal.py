from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import audit
from audit.checkpoints import create_checkpoint
from audit.journal import HASHED_FIELDS, hash_values
from audit.keys import rotate_key, sign_jws
from audit.models import GENESIS_HASH, JournalCheckpoint, JournalEntry, JournalHead
from audit.triggers import drop_triggers
from audit.verify import verify_journal


def bulk_chain(count: int) -> None:
    """Append `count` valid entries quickly (bulk insert, same hashing as record)."""
    head = JournalHead.objects.get(pk=1)
    prev, start = head.entry_hash, head.seq + 1
    base = datetime(2026, 1, 1, tzinfo=UTC)
    entries = []
    for seq in range(start, start + count):
        entry = JournalEntry(
            seq=seq,
            created_at=base + timedelta(seconds=seq, microseconds=seq % 7),
            action="mandat_used" if seq % 3 else "login_succeeded",
            actor_type="aidant",
            actor_id=f"aidant-{seq % 17}",
            structure_id="structure-1",
            usager_id=f"usager-{seq % 41}" if seq % 2 else "",
            demarche="social" if seq % 2 else "",
            details={"ip": "192.0.2.1", "note": "é", "n": seq},
            prev_hash=prev,
        )
        entry.entry_hash = hash_values(
            prev, [getattr(entry, name) for name in HASHED_FIELDS]
        )
        prev = entry.entry_hash
        entries.append(entry)
    JournalEntry.objects.bulk_create(entries, batch_size=500)
    JournalHead.objects.filter(pk=1).update(seq=start + count - 1, entry_hash=prev)


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def tamper(statement: str, params=()) -> None:
    # The append-only triggers would refuse: drop them, as an intruder would.
    # Inside the test transaction, so the drop is rolled back afterwards.
    drop_triggers(connection)
    sql(statement, params)


def assert_broken(seq: int, words: str):
    report = verify_journal()
    assert not report.ok
    assert report.problem.seq == seq, report.problem
    assert words in report.problem.message, report.problem.message
    with pytest.raises(CommandError, match=f"entrée n°{seq}") as excinfo:
        call_command("verify_journal")
    assert excinfo.value.returncode == 1
    return report


def test_intact_chain_passes_and_prints_what_was_checked(db, capsys):
    bulk_chain(1000)
    create_checkpoint()
    bulk_chain(999)
    audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"email": "x"})
    create_checkpoint()
    report = verify_journal()
    assert report.ok, report.problem
    assert (report.checked, report.checkpoints, report.last_seq) == (2002, 2, 2002)
    call_command("verify_journal")
    out = capsys.readouterr().out
    assert "Journal intact : 2002 entrées vérifiées, 2 points de contrôle" in out
    assert " s." in out


def test_empty_journal_is_intact(db):
    assert verify_journal().ok
    create_checkpoint()
    assert verify_journal().ok


def test_entries_written_by_record_verify(db):
    for n in range(5):
        audit.record(audit.Action.MANDAT_USED, actor=("aidant", "a1"), details={"n": n})
    assert verify_journal().checked == 5


def test_tampered_row_is_named(db):
    bulk_chain(2000)
    tamper("UPDATE audit_journalentry SET usager_id = 'someone' WHERE seq = 1500")
    assert_broken(1500, "contenu modifié")


def test_rewritten_hash_breaks_the_next_link(db):
    bulk_chain(50)
    tamper(
        "UPDATE audit_journalentry SET actor_id = 'x', entry_hash = %s WHERE seq = 20",
        ["f" * 64],
    )
    report = verify_journal()
    assert report.problem.seq == 20  # recomputed hash differs from the stored one


def test_deleted_row_is_named(db):
    bulk_chain(100)
    tamper("DELETE FROM audit_journalentry WHERE seq = 40")
    assert_broken(40, "absente")


def test_inserted_row_is_named(db):
    bulk_chain(60)
    # Shift 31..60 up by one (two steps: seq is unique) and insert a forged #31
    # that links correctly to #30.
    tamper("UPDATE audit_journalentry SET seq = -seq - 1 WHERE seq > 30")
    sql("UPDATE audit_journalentry SET seq = -seq WHERE seq < 0")
    thirty = JournalEntry.objects.get(seq=30)
    forged = JournalEntry(
        seq=31,
        created_at=thirty.created_at,
        action="mandat_used",
        actor_type="aidant",
        actor_id="intruder",
        details={},
        prev_hash=thirty.entry_hash,
    )
    forged.entry_hash = hash_values(
        forged.prev_hash, [getattr(forged, name) for name in HASHED_FIELDS]
    )
    forged.save(force_insert=True)
    assert_broken(32, "prev_hash")


def test_reordered_rows_are_named(db):
    bulk_chain(30)
    tamper("UPDATE audit_journalentry SET seq = -1 WHERE seq = 10")
    sql("UPDATE audit_journalentry SET seq = 10 WHERE seq = 11")
    sql("UPDATE audit_journalentry SET seq = 11 WHERE seq = -1")
    assert_broken(10, "prev_hash")


def test_row_appended_outside_record_is_detected(db):
    bulk_chain(10)
    last = JournalEntry.objects.get(seq=10)
    extra = JournalEntry(
        seq=11, created_at=last.created_at, action="mandat_used", actor_type="system"
    )
    extra.prev_hash = last.entry_hash
    extra.entry_hash = hash_values(
        extra.prev_hash, [getattr(extra, name) for name in HASHED_FIELDS]
    )
    extra.save(force_insert=True)
    assert_broken(11, "hors du journal")


def test_truncated_tail_after_a_checkpoint_is_detected(db):
    bulk_chain(50)
    checkpoint = create_checkpoint()  # signs #50, then journals #51
    bulk_chain(20)
    # A careful intruder removes #45..#71 and moves the head back to #44.
    tamper("DELETE FROM audit_journalentry WHERE seq >= 45")
    new_head = JournalEntry.objects.get(seq=44)
    JournalHead.objects.filter(pk=1).update(seq=44, entry_hash=new_head.entry_hash)
    report = assert_broken(50, "journal tronqué")
    assert report.problem.checkpoint_id == checkpoint.pk


def test_truncated_tail_without_checkpoint_is_caught_by_the_head(db):
    bulk_chain(30)
    tamper("DELETE FROM audit_journalentry WHERE seq > 25")
    assert_broken(26, "tête du journal")


def test_forged_checkpoint_signature_is_detected(db):
    bulk_chain(20)
    checkpoint = create_checkpoint()
    header, payload, signature = checkpoint.signature.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    tamper(
        "UPDATE audit_journalcheckpoint SET signature = %s WHERE id = %s",
        [forged, checkpoint.pk],
    )
    assert_broken(20, "signature invalide")


def test_checkpoint_moved_to_another_entry_is_detected(db):
    bulk_chain(20)
    checkpoint = create_checkpoint()
    tamper(
        "UPDATE audit_journalcheckpoint SET seq = 5, entry_hash = %s WHERE id = %s",
        [JournalEntry.objects.get(seq=5).entry_hash, checkpoint.pk],
    )
    assert_broken(5, "modifié après sa signature")


def test_checkpoint_with_another_date_is_detected(db):
    bulk_chain(5)
    checkpoint = create_checkpoint()
    earlier = checkpoint.created_at - timedelta(days=1)
    drop_triggers(connection)
    JournalCheckpoint.objects.filter(pk=checkpoint.pk).update(created_at=earlier)
    assert_broken(5, "modifié après sa signature")


def test_checkpoint_signed_by_an_unpublished_key_is_detected(db):
    bulk_chain(20)
    head = JournalHead.objects.get(pk=1)
    payload = {"typ": "relais-journal-checkpoint", "seq": 20}
    payload["entry_hash"] = head.entry_hash
    token = sign_jws(payload, purpose="checkpoint")
    JournalCheckpoint.objects.create(
        seq=20,
        entry_hash=head.entry_hash,
        created_at=datetime.now(UTC),
        kid="x",
        signature=token,
    )
    rotate_key(purpose="checkpoint")
    tamper("DELETE FROM audit_servicekey WHERE active = %s", [False])
    assert_broken(20, "unknown key id")


def test_verify_from_a_later_entry(db):
    bulk_chain(100)
    tamper("UPDATE audit_journalentry SET actor_id = 'x' WHERE seq = 10")
    assert verify_journal(from_seq=50).ok
    assert verify_journal(from_seq=50).checked == 51
    assert verify_journal(from_seq=5).problem.seq == 10
    call_command("verify_journal", "--from", "50")
    with pytest.raises(CommandError):
        call_command("verify_journal", "--from", "0")


def test_genesis_link_is_checked(db):
    bulk_chain(3)
    tamper("UPDATE audit_journalentry SET prev_hash = %s WHERE seq = 1", ["1" * 64])
    assert_broken(1, "prev_hash")
    assert GENESIS_HASH == "0" * 64
