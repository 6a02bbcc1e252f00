"""Run concurrent journal writers against a real SQLite file (WAL, IMMEDIATE).

    python -m tests.audit.sqlite_writers /tmp/x.sqlite3 THREADS PER_THREAD

The pytest SQLite database is in memory with a shared cache, whose table locks do
not wait; production uses a file, which this exercises. Prints a JSON summary.
"""

import json
import os
import sys


def main(path: str, threads: int, per_thread: int) -> int:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from audit.models import JournalEntry
    from audit.verify import verify_journal
    from tests.audit.test_concurrency import _run_writers

    errors = _run_writers(threads, per_thread)
    rows = list(JournalEntry.objects.order_by("seq").values_list("seq", "prev_hash"))
    hashes = dict(JournalEntry.objects.values_list("seq", "entry_hash"))
    links_ok = all(prev == hashes.get(seq - 1, "0" * 64) for seq, prev in rows)
    report = verify_journal()
    summary = {
        "errors": [repr(e) for e in errors],
        "seqs": [seq for seq, _ in rows],
        "links_ok": links_ok,
        "verify_ok": report.ok,
        "checked": report.checked,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
