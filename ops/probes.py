"""Database probes with a deadline the database cannot stretch.

A frozen or partitioned database never answers, and server-side timeouts cannot
fire on a server that is not running: each probe runs in a helper thread (its own
connection, closed afterwards) and the caller stops waiting at the deadline. At
most a few probes per kind are in flight per process (several load balancers may
probe at once), so a stuck database cannot pile up threads: once they are all
stuck, the next call answers "unavailable" at once.
"""

import socket
import threading
from collections.abc import Callable

from django.db import connection, connections, transaction
from django.utils import timezone

from audit.models import JournalHead
from ops.models import ReadinessProbe

PROBES_IN_FLIGHT = 4
_in_flight = {
    "liveness": threading.BoundedSemaphore(PROBES_IN_FLIGHT),
    "readiness": threading.BoundedSemaphore(PROBES_IN_FLIGHT),
}


def run_with_deadline(kind: str, check: Callable[[], None], deadline: float) -> str:
    """Run `check` in a helper thread; return "" when it passed in time, else the
    reason ("timeout", "busy" or the exception's class name).

    SQLite is a local file: its waits are bounded by a busy timeout set for the
    probe, and the probe runs inline (test databases live in this thread).
    """
    if connection.vendor == "sqlite":
        return _inline_sqlite(check, deadline)
    lock = _in_flight[kind]
    if not lock.acquire(blocking=False):
        return "busy"
    outcome: list[str] = []
    done = threading.Event()

    def target() -> None:
        try:
            check()
            outcome.append("")
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            outcome.append(type(exc).__name__)
        finally:
            connections.close_all()
            lock.release()
            done.set()

    threading.Thread(target=target, daemon=True, name=f"probe-{kind}").start()
    # The helper releases its slot itself, even after the caller gave up.
    done.wait(deadline)
    return outcome[0] if outcome else "timeout"


def _inline_sqlite(check: Callable[[], None], deadline: float) -> str:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(deadline * 1000)}")
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return type(exc).__name__
    finally:
        timeout_ms = int(connection.settings_dict["OPTIONS"].get("timeout", 5) * 1000)
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
    return ""


def database_answers() -> None:
    """SELECT 1."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def database_writable_and_journal_reachable(lock_timeout_ms: int) -> None:
    """Writes the scratch row, then locks the journal head, waiting at most
    `lock_timeout_ms` for a holder (PostgreSQL; on SQLite the write lock taken at
    BEGIN already covers both)."""

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true)",
                    [f"{lock_timeout_ms}ms"],
                )
        ReadinessProbe.objects.update_or_create(
            pk=1,
            defaults={"checked_at": timezone.now(), "checked_by": socket.gethostname()},
        )
        JournalHead.objects.select_for_update().get(pk=1)
