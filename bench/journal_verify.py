"""Benchmark: how long `verify_journal` takes on a large, valid journal.

    .venv/bin/python bench/journal_verify.py [--count 1000000] [--keep PATH]

Builds a throwaway SQLite database (migrated), or uses the empty database given by
`--database-url`, bulk-inserts a valid hash chain of `--count` entries plus a
signed checkpoint, then times the verification. The project's own database is
never touched.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(count: int, batch: int = 20000) -> None:
    from django.db import connection, transaction

    from audit.journal import hash_values
    from audit.models import GENESIS_HASH, JournalHead

    columns = (
        "seq, created_at, action, actor_type, actor_id, structure_id, usager_id, "
        "mandat_id, demarche, client_id, details, prev_hash, entry_hash"
    )
    insert = (
        f"INSERT INTO audit_journalentry ({columns}) VALUES ({', '.join(['%s'] * 13)})"  # noqa: S608, E501
    )
    base = datetime(2026, 1, 1, tzinfo=UTC)
    adapt = connection.ops.adapt_datetimefield_value
    prev, rows = GENESIS_HASH, []
    with transaction.atomic(), connection.cursor() as cursor:
        for seq in range(1, count + 1):
            created = base + timedelta(seconds=seq, microseconds=seq % 999)
            values = [
                seq,
                created,
                "mandat_used" if seq % 3 else "token_issued",
                "aidant",
                f"3f0c2d9e-8a51-4c8e-9d1b-{seq % 997:012d}",
                "6b1f4a40-2f7e-4a0f-8d43-0c9a8e6a1f20",
                f"9a1e3c55-77b2-4d0e-a3c1-{seq % 4999:012d}",
                f"c2d4e6f8-1a3b-4c5d-8e7f-{seq % 7919:012d}",
                "social",
                "demo-caf",
                {"ip": "192.0.2.10", "acr": "eidas1"},
            ]
            entry_hash = hash_values(prev, values)
            row = values[:]
            row[1], row[10] = adapt(created), json.dumps(values[10])
            rows.append([*row, prev, entry_hash])
            prev = entry_hash
            if len(rows) >= batch:
                cursor.executemany(insert, rows)
                rows.clear()
        if rows:
            cursor.executemany(insert, rows)
        JournalHead.objects.filter(pk=1).update(seq=count, entry_hash=prev)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the database at this path")
    parser.add_argument(
        "--database-url",
        help="an EMPTY throwaway database instead (e.g. postgres://.../bench)",
    )
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="relais-bench-")
    db_path = args.keep or Path(workdir) / "journal.sqlite3"
    # The throwaway journal's witness stays in the throwaway folder.
    os.environ["RELAIS_JOURNAL_WITNESS_DIR"] = str(Path(workdir) / "witness")
    _setup(args.database_url or f"sqlite:///{db_path}")

    from audit.checkpoints import create_checkpoint
    from audit.verify import verify_journal

    started = time.monotonic()
    _fill(args.count)
    create_checkpoint()
    print(f"filled {args.count} entries in {time.monotonic() - started:.1f} s")  # noqa: T201
    report = verify_journal()
    print(  # noqa: T201
        f"verify_journal: ok={report.ok} checked={report.checked} "
        f"checkpoints={report.checkpoints} witnessed={report.witnessed} "
        f"elapsed={report.elapsed:.2f} s "
        f"({report.checked / max(report.elapsed, 1e-9):,.0f} entries/s)"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(workdir)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
