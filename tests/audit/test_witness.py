import json

import pytest
from django.core.management import CommandError, call_command

import audit
from audit import witness
from audit.checkpoints import checkpoint_if_new_entries, create_checkpoint
from audit.models import JournalCheckpoint, JournalEntry
from audit.verify import verify_journal


def journal(count: int = 5) -> None:
    for n in range(count):
        audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": n})


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_checkpoints_are_appended_to_the_witness_named_by_the_genesis(db, settings):
    journal()
    first = create_checkpoint()
    journal(2)
    second = create_checkpoint()
    genesis = JournalEntry.objects.get(seq=1).entry_hash
    path = settings.JOURNAL_WITNESS_DIR / f"{genesis}.jsonl"
    records = lines(path)
    assert [r["type"] for r in records] == ["key", "checkpoint", "checkpoint"]
    assert records[0]["kid"] == first.kid and "d" not in records[0]["jwk"]
    assert [(r["seq"], r["signature"]) for r in records[1:]] == [
        (first.seq, first.signature),
        (second.seq, second.signature),
    ]
    report = verify_journal()
    assert report.ok and report.witnessed == 2 and report.witness_seq == second.seq


def test_seed_demo_style_checkpoint_only_when_something_new(db):
    journal()
    assert checkpoint_if_new_entries() is not None
    assert checkpoint_if_new_entries() is None
    journal(1)
    assert checkpoint_if_new_entries() is not None


def test_an_edited_witness_line_is_named(db, settings):
    journal()
    create_checkpoint()
    path = next(settings.JOURNAL_WITNESS_DIR.glob("*.jsonl"))
    records = lines(path)
    records[1]["seq"] = 3
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = verify_journal()
    assert not report.ok and "témoin (ligne 2)" in report.problem.message


def test_a_missing_witness_is_named_when_checkpoints_exist(db, settings):
    journal()
    create_checkpoint()
    for path in settings.JOURNAL_WITNESS_DIR.glob("*.jsonl"):
        path.unlink()
    with pytest.raises(CommandError, match="aucun témoin"):
        call_command("verify_journal")


def test_the_witness_of_another_journal_is_named(db, settings):
    journal()
    witness.append("a" * 64, [{"type": "checkpoint", "seq": 1}])
    report = verify_journal()
    assert not report.ok and "en garde un autre" in report.problem.message


def test_a_first_witness_adopts_the_checkpoints_already_in_the_database(db, settings):
    """Upgrade: checkpoints made before the witness existed are taken over (their
    signatures checked) by the first checkpoint that writes it."""
    journal()
    older = create_checkpoint()
    for path in settings.JOURNAL_WITNESS_DIR.glob("*.jsonl"):
        path.unlink()
    JournalCheckpoint.objects.create(  # a row no key signed: left out, then named
        seq=2,
        entry_hash=JournalEntry.objects.get(seq=2).entry_hash,
        created_at=older.created_at,
        kid="nobody",
        signature="e30.e30.AAAA",
    )
    create_checkpoint()
    signatures = [
        r.get("signature")
        for r in lines(next(settings.JOURNAL_WITNESS_DIR.glob("*.jsonl")))
    ]
    assert older.signature in signatures and "e30.e30.AAAA" not in signatures
    report = verify_journal()
    assert not report.ok and "signature invalide" in report.problem.message
