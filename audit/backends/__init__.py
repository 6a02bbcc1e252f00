"""Database backends that append queued journal entries just before commit.

`audit.record` inside a transaction queues its entry on the connection; these
backends (Django's own, plus `JournalQueueMixin`) append the queue as the last
statements of the transaction, so the journal head is locked for the append and
the commit only. `config/settings.py` selects them from DATABASE_URL.
"""

import logging
import time
from typing import Any

# At DEBUG, one line per commit that appended entries: how long the journal head
# stayed locked (append + commit), as `journal_lock_ms` (docs/operations.md).
lock_logger = logging.getLogger("relais.journal.lock")


class JournalQueueMixin:
    """Holds `journal_pending` and flushes it before the outermost commit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.journal_pending: list = []
        # perf_counter() when this transaction locked the journal head.
        self.journal_locked_at: float | None = None

    def commit(self) -> None:
        if self.journal_pending:
            # The database backend loads before the app registry, and
            # audit.journal needs the models.
            from audit.journal import flush_pending

            try:
                flush_pending(self)
            except Exception:
                self.journal_pending = []
                raise
        super().commit()
        locked_at, self.journal_locked_at = self.journal_locked_at, None
        if locked_at is not None and lock_logger.isEnabledFor(logging.DEBUG):
            held_ms = round(1000 * (time.perf_counter() - locked_at), 3)
            lock_logger.debug(
                "journal head held %s ms", held_ms, extra={"journal_lock_ms": held_ms}
            )

    def rollback(self) -> None:
        self.journal_pending = []
        self.journal_locked_at = None
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
