"""Benchmark: how long `verify_journal` takes on a large, valid journal, full and
incremental.

    .venv/bin/python bench/journal_verify.py [--count 1000000] [--keep PATH]
    .venv/bin/python bench/journal_verify.py --database-url postgres://.../empty_db

Builds a throwaway SQLite database (migrated), or uses the EMPTY database given
by `--database-url`, with a throwaway key-encryption key and witness folder.
It writes a valid hash chain of `--count` entries in segments, each closed by a
real signed checkpoint (`journal_checkpoint`, witnessed), as a production
journal checkpointed every hour would be, then times:

1. the full verification (`verify_journal --full`, `--repeat` times), which
   records its progress;
2. the incremental one right after (nothing new);
3. the incremental one after `--new` more entries and a checkpoint (a day).

The project's own database, keys and witness are never touched.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COLUMNS = (
    "seq, created_at, action, actor_type, actor_id, structure_id, usager_id, "
    "mandat_id, demarche, client_id, details, prev_hash, entry_hash"
)


def _setup(database_url: str, workdir: Path) -> None:
    from cryptography.fernet import Fernet

    os.environ["DATABASE_URL"] = database_url
    # A throwaway journal: its own witness folder and key-encryption key.
    os.environ["RELAIS_JOURNAL_WITNESS_DIR"] = str(workdir / "witness")
    os.environ["RELAIS_KEY_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    os.environ.pop("RELAIS_KEY_ENCRYPTION_KEY_FILE", None)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _entry(seq: int, base: datetime) -> list:
    """Values of one entry, in audit.journal.HASHED_FIELDS order: varied like
    the real journal's (request ids, addresses, accents, empty details)."""
    created = base + timedelta(seconds=seq, microseconds=(seq * 7919) % 1_000_000)
    kind = seq % 10
    if kind == 0:
        details: dict = {}
    elif kind == 1:
        details = {"motif": "Révoqué à la demande de l'usager", "ip": "192.0.2.7"}
    else:
        details = {"ip": f"10.{seq % 251}.{seq % 13}.4", "request_id": f"{seq:032x}"}
    return [
        seq,
        created,
        ("mandat_used", "token_issued", "userinfo_served")[seq % 3],
        "aidant",
        f"3f0c2d9e-8a51-4c8e-9d1b-{seq % 997:012d}",
        "6b1f4a40-2f7e-4a0f-8d43-0c9a8e6a1f20",
        f"9a1e3c55-77b2-4d0e-a3c1-{seq % 4999:012d}",
        f"c2d4e6f8-1a3b-4c5d-8e7f-{seq % 7919:012d}",
        "social",
        "demo-caf",
        details,
    ]


def _append(count: int, batch: int = 20_000) -> None:
    """Append `count` valid entries after the head, then move the head."""
    from django.db import connection, transaction

    from audit.journal import hash_values
    from audit.models import JournalHead

    head = JournalHead.objects.get(pk=1)
    prev, start = head.entry_hash, head.seq + 1
    base = datetime(2026, 1, 1, tzinfo=UTC)
    adapt = connection.ops.adapt_datetimefield_value
    postgres = connection.vendor == "postgresql"
    insert = (
        f"INSERT INTO audit_journalentry ({COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"  # noqa: S608, E501
    )
    with transaction.atomic(), connection.cursor() as cursor:
        rows: list = []

        def flush() -> None:
            if postgres:  # COPY: the bench's load, not what is measured
                with cursor.cursor.copy(
                    f"COPY audit_journalentry ({COLUMNS}) FROM STDIN"
                ) as copy:  # noqa: E501
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, rows)
            rows.clear()

        for seq in range(start, start + count):
            values = _entry(seq, base)
            entry_hash = hash_values(prev, values)
            row = values[:]
            row[1] = values[1] if postgres else adapt(values[1])
            row[10] = json.dumps(values[10])
            rows.append([*row, prev, entry_hash])
            prev = entry_hash
            if len(rows) >= batch:
                flush()
        if rows:
            flush()
        JournalHead.objects.filter(pk=1).update(seq=start + count - 1, entry_hash=prev)


def _fill(count: int, every: int) -> int:
    """`count` entries in segments of `every`, each closed by a witnessed
    checkpoint (which journals one more entry). Returns the checkpoints made."""
    from audit.checkpoints import create_checkpoint

    made = 0
    while count > 0:
        _append(min(every, count))
        count -= every
        create_checkpoint()
        made += 1
    return made


def _server_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend, when it runs on this
    machine and /proc shows it (None otherwise)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(label: str, **kwargs) -> dict:
    from audit.verify import verify_journal

    cpu, server = time.process_time(), _server_cpu()
    report = verify_journal(save_progress=True, **kwargs)
    server_after = _server_cpu()
    result = {
        "run": label,
        "ok": report.ok,
        "seconds": round(report.elapsed, 2),
        # This process; on PostgreSQL the server's backend works beside it.
        "client_cpu_seconds": round(time.process_time() - cpu, 2),
        "server_cpu_seconds": (
            round(server_after - server, 2)
            if server is not None and server_after is not None
            else None
        ),
        "load_average": round(os.getloadavg()[0], 2),
        "entries_read": report.read,
        "entries_checked": report.checked,
        "checkpoints": report.checkpoints,
        "witnessed": report.witnessed,
        "resumed_from": report.resumed_from,
        "entries_per_s": round(report.checked / max(report.elapsed, 1e-9)),
    }
    if report.problem is not None:
        result["problem"] = report.problem.message
    print(json.dumps(result))  # noqa: T201
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=50_000,
        help="entries between two checkpoints (default: 50,000)",
    )
    parser.add_argument(
        "--new", type=int, default=20_000, help="entries added before the last run"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="full runs to time (shared machine)"
    )
    parser.add_argument("--keep", type=Path, help="keep the SQLite database here")
    parser.add_argument(
        "--database-url",
        help="an EMPTY throwaway database instead (e.g. postgres://.../bench)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    db_path = args.keep or workdir / "journal.sqlite3"
    _setup(args.database_url or f"sqlite:///{db_path}", workdir)
    from django.db import connection

    started = time.monotonic()
    made = _fill(args.count, args.checkpoint_every)
    print(  # noqa: T201
        f"# {connection.vendor}: {args.count} entries and {made} checkpoints "
        f"written in {time.monotonic() - started:.1f} s"
    )
    results = [_run("full") for _ in range(args.repeat)]
    results.append(_run("incremental, nothing new", incremental=True))
    _fill(args.new, args.new)
    results.append(_run(f"incremental, {args.new} new entries", incremental=True))
    if args.keep:
        print(f"# kept: {db_path}, witness in {workdir / 'witness'}")  # noqa: T201
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
