"""Database backends that append queued journal entries just before commit.

`audit.record` inside a transaction queues its entry on the connection; these
backends (Django's own, plus `JournalQueueMixin`) append the queue as the last
statements of the transaction, so the journal head is locked for the append and
the commit only. `config/settings.py` selects them from DATABASE_URL.
"""

import logging
import time
from typing import Any

# At DEBUG, one line per PostgreSQL commit that appended entries: how long the
# journal head had been locked when the append statement ended, measured by the
# server (`journal_lock_ms`; COMMIT follows in the same round trip), and the
# client's round trip (docs/operations.md).
lock_logger = logging.getLogger("relais.journal.lock")


class JournalQueueMixin:
    """Holds `journal_pending` and flushes it before the outermost commit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.journal_pending: list = []

    def commit(self) -> None:
        if not self.journal_pending:
            super().commit()
            return
        # The database backend loads before the app registry, and audit.journal
        # needs the models.
        from audit import journal

        entries = journal.take_pending(self)
        if self.vendor != "postgresql":
            journal.append_entries(entries)
            super().commit()
            return
        # One round trip: the append statement (which takes the head lock) and
        # COMMIT (which releases it) leave together, so the lock is held for the
        # server's work only, never across the client's scheduling.
        sql, params = journal.append_statement(self, entries)
        started = time.perf_counter()
        with self.wrap_database_errors, self.connection.pipeline():
            cursor = self.connection.cursor()
            cursor.execute(sql, params)
            super().commit()
        rows = cursor.fetchall()
        held_ms = journal.apply_appended(entries, rows, self.alias)
        if lock_logger.isEnabledFor(logging.DEBUG):
            lock_logger.debug(
                "journal head held %.3f ms",
                held_ms,
                extra={
                    "journal_lock_ms": round(held_ms, 3),
                    "journal_append_roundtrip_ms": round(
                        1000 * (time.perf_counter() - started), 3
                    ),
                },
            )

    def rollback(self) -> None:
        self.journal_pending = []
        super().rollback()

    def savepoint_commit(self, sid: str) -> None:
        # Under a test case's never-committed transaction, the outermost block of
        # the code under test ends with a savepoint release: append there, so
        # tests see what production commits.
        if self.journal_pending and all(
            getattr(block, "_from_testcase", False) for block in self.atomic_blocks
        ):
            # The database backend loads before the app registry, and
            # audit.journal needs the models.
            from audit.journal import flush_pending

            flush_pending(self)
        super().savepoint_commit(sid)

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)
        self.journal_pending = [
            item for item in self.journal_pending if sid not in item.savepoints
        ]

    def close(self) -> None:
        self.journal_pending = []
        super().close()
