"""Real concurrent writers: the chain never forks and sequence numbers stay
gap-free."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections

import audit
from audit.models import GENESIS_HASH, JournalEntry
from audit.verify import verify_journal

THREADS, PER_THREAD = 4, 50


def _run_writers(threads: int = THREADS, per_thread: int = PER_THREAD) -> list:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(per_thread):
                audit.record(
                    audit.Action.MANDAT_USED,
                    actor=("aidant", f"worker-{worker}"),
                    details={"n": n},
                )
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    workers = [threading.Thread(target=write, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return errors


def _assert_one_linear_chain(total: int) -> None:
    rows = list(
        JournalEntry.objects.order_by("seq").values_list(
            "seq", "prev_hash", "entry_hash", "actor_id"
        )
    )
    assert [row[0] for row in rows] == list(range(1, total + 1))
    previous = GENESIS_HASH
    for _seq, prev_hash, entry_hash, _actor in rows:
        assert prev_hash == previous  # no fork: each entry links to the one before
        previous = entry_hash
    per_worker = {}
    for row in rows:
        per_worker[row[3]] = per_worker.get(row[3], 0) + 1
    assert set(per_worker.values()) == {PER_THREAD}
    report = verify_journal()
    assert report.ok, report.problem
    assert report.checked == total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql():
    assert connection.vendor == "postgresql"
    errors = _run_writers()
    assert not errors, errors
    _assert_one_linear_chain(THREADS * PER_THREAD)


def test_concurrent_writers_on_sqlite_file(tmp_path):
    # A separate process with its own SQLite file: the in-memory test database
    # uses a shared cache whose table locks fail at once instead of waiting.
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "tests.audit.sqlite_writers",
            str(tmp_path / "journal.sqlite3"),
            str(THREADS),
            str(PER_THREAD),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SECRET_KEY": "test-only"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["errors"] == []
    assert summary["seqs"] == list(range(1, THREADS * PER_THREAD + 1))
    assert summary["links_ok"] and summary["verify_ok"]
    assert summary["checked"] == THREADS * PER_THREAD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_use_creates_one_key():
    from audit.keys import current_key
    from audit.models import ServiceKey

    barrier = threading.Barrier(THREADS)
    kids: list[str] = []

    def first_use() -> None:
        try:
            barrier.wait()
            kids.append(current_key("ES256", purpose="checkpoint").kid)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=first_use) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(kids) == THREADS and len(set(kids)) == 1
    assert ServiceKey.objects.count() == 1
