"""The incremental verification: it resumes at the witnessed checkpoint that the
last successful run reached (a mark kept in the witness folder, outside the
database), reads only what came after it, and still names every attack of
someone who can write the database. `--full` re-reads everything."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import audit
from audit import witness
from audit.checkpoints import create_checkpoint, journal_genesis
from audit.verify import chain, checkpoints, verify_journal
from tests.audit.test_attacker_with_the_database import (
    ATTACKS,
    Db,
    build_journal,
    recompute_chain,
)
from tests.audit.test_verify_journal import bulk_chain, tamper


def progress_lines() -> list[dict]:
    path = witness.progress_path(journal_genesis())
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def verified_journal(db):
    """3,000 entries, a checkpoint covering #3000 (it journals #3001), and a
    first, full run that records its progress."""
    bulk_chain(3000)
    create_checkpoint()
    report = verify_journal(incremental=True, save_progress=True)
    assert report.ok, report.problem
    assert (report.resumed_from, report.read) == (None, 3001)
    assert [line["seq"] for line in progress_lines()] == [3000]


def test_incremental_run_reads_only_what_came_after_the_last_verified_checkpoint(
    verified_journal,
):
    bulk_chain(500)  # #3002..#3501
    create_checkpoint()  # covers #3501, journals #3502
    report = verify_journal(incremental=True, save_progress=True)
    assert report.ok, report.problem
    # The boundary entry #3000 (re-hashed against the witness), then #3001..#3502.
    assert (report.resumed_from, report.read, report.checked) == (3000, 503, 503)
    assert (report.witnessed, report.witness_seq) == (2, 3501)
    assert [line["seq"] for line in progress_lines()] == [3000, 3501]

    again = verify_journal(incremental=True, save_progress=True)
    assert again.ok and (again.resumed_from, again.read) == (3501, 2)
    assert [line["seq"] for line in progress_lines()] == [3000, 3501]


def test_the_command_is_incremental_by_default_and_full_on_demand(
    verified_journal, capsys
):
    bulk_chain(10)
    call_command("verify_journal")
    out = capsys.readouterr().out
    assert "Journal intact : 12 entrées vérifiées" in out
    assert "reprise au point de contrôle témoigné de l'entrée n°3000" in out
    call_command("verify_journal", "--full")
    out = capsys.readouterr().out
    assert "Journal intact : 3011 entrées vérifiées" in out
    assert "Vérification complète" in out
    with pytest.raises(CommandError):
        call_command("verify_journal", "--full", "--from", "5")


def test_tampering_in_the_new_part_is_named_and_the_mark_stays(verified_journal):
    bulk_chain(200)  # #3002..#3201
    tamper("UPDATE audit_journalentry SET usager_id = 'someone' WHERE seq = 3100")
    report = verify_journal(incremental=True, save_progress=True)
    assert report.problem.seq == 3100
    assert "contenu modifié" in report.problem.message
    with pytest.raises(CommandError, match="entrée n°3100"):
        call_command("verify_journal")
    assert [line["seq"] for line in progress_lines()] == [3000]


def test_an_edited_old_entry_is_caught_by_full_not_by_incremental(verified_journal):
    """The documented limit: an in-place edit of an already verified entry that
    leaves the old chain visibly broken is only read again by --full."""
    tamper("UPDATE audit_journalentry SET actor_id = 'intruder' WHERE seq = 1500")
    assert verify_journal(incremental=True).ok
    call_command("verify_journal")
    with pytest.raises(CommandError, match="entrée n°1500 : contenu modifié"):
        call_command("verify_journal", "--full")


def test_a_rewritten_boundary_entry_is_caught_by_the_incremental_run(verified_journal):
    tamper("UPDATE audit_journalentry SET details = '{}' WHERE seq = 3000")
    report = verify_journal(incremental=True)
    assert report.problem.seq == 3000 and report.read == 2


def test_an_old_entry_rewritten_with_the_chain_recomputed_is_caught_incrementally(
    verified_journal,
):
    """To hide an edit of #1500 the whole chain after it must be recomputed: the
    hash of #3000 then differs from the witnessed one."""
    with connection.cursor() as cursor:
        db = Db(cursor, connection.vendor)
        db.drop_triggers()
        db.run("UPDATE audit_journalentry SET actor_id = %s WHERE seq = 1500", ["x"])
        recompute_chain(db)
    report = verify_journal(incremental=True)
    assert report.problem.seq == 3000 and report.read <= 2
    assert "ne correspond pas au point de contrôle" in report.problem.message


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_database_attack_is_named_after_a_verified_run(db, attack):
    build_journal()
    call_command("verify_journal")  # records the mark: #19
    tamper_with, words = ATTACKS[attack]
    with connection.cursor() as cursor:
        tamper_with(Db(cursor, connection.vendor))
    with pytest.raises(CommandError, match=words.replace("(", r"\(")) as excinfo:
        call_command("verify_journal")
    assert excinfo.value.returncode == 1


def test_a_mark_that_is_not_a_witnessed_checkpoint_is_refused(verified_journal):
    genesis = journal_genesis()
    witness.append_progress(
        genesis, {"seq": 2000, "entry_hash": "f" * 64, "signature": "e30.e30.x"}
    )
    with pytest.raises(CommandError, match="marque de vérification"):
        call_command("verify_journal")
    call_command("verify_journal", "--full")
    assert progress_lines()[-1]["seq"] == 3000
    call_command("verify_journal")


def test_a_journal_with_no_mark_yet_is_verified_in_full(db):
    bulk_chain(50)
    create_checkpoint()
    report = verify_journal(incremental=True)
    assert report.ok and report.resumed_from is None and report.read == 51


def test_each_checkpoint_signature_is_checked_once(db, monkeypatch):
    calls = []
    real = checkpoints.verify_jws
    monkeypatch.setattr(
        checkpoints, "verify_jws", lambda *a: calls.append(1) or real(*a)
    )
    for _n in range(3):
        bulk_chain(10)
        create_checkpoint()
    report = verify_journal()
    assert report.ok and (report.checkpoints, report.witnessed) == (3, 3)
    assert len(calls) == 3  # each in the database and in the witness: once


def test_the_fast_hash_agrees_with_the_reference_on_unusual_values(db, monkeypatch):
    """The tight loop builds the canonical JSON itself; the ORM reference is
    only an arbiter. Unusual values must not need it."""
    details = [
        {},
        {"note": 'guillemets " et \\ barre, é, 😀, \u2028, \x01, \t'},
        {"z": 1, "a": [1, 2.5, None, True, {"b": "c"}], "m": {"y": 1, "x": 2}},
        {"n": -12345678901234567890, "f": 1e-7},
    ]
    for item in details:
        audit.record(
            audit.Action.LOGIN_FAILED,
            actor=("aidant", 'ai"dant\n'),
            usager="Usagère é",
            demarche="social",
            details=item,
        )
    bulk_chain(5)
    arbiter = []
    real = chain.reference_hash
    monkeypatch.setattr(
        chain, "reference_hash", lambda *a: arbiter.append(a) or real(*a)
    )
    report = verify_journal()
    assert report.ok, report.problem
    assert report.checked == 9 and arbiter == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's datetime text")
def test_a_row_stored_in_another_text_form_is_settled_by_the_reference(db, monkeypatch):
    bulk_chain(5)
    # Same instant, written with an explicit offset: the ORM reads the same
    # datetime, so the entry is intact; the fast path defers to the reference.
    tamper(
        "UPDATE audit_journalentry SET created_at = created_at || '+00:00' "
        "WHERE seq = 3"
    )
    arbiter = []
    real = chain.reference_hash
    monkeypatch.setattr(
        chain, "reference_hash", lambda *a: arbiter.append(a[0]) or real(*a)
    )
    assert verify_journal().ok
    assert arbiter == [3]
