"""Database backends that append queued journal entries just before commit.

`audit.record` inside a transaction queues its entry on the connection; these
backends (Django's own, plus `JournalQueueMixin`) append the queue as the last
statements of the transaction, so the journal head is locked for the append and
the commit only. `config/settings.py` selects them from DATABASE_URL.
"""

from typing import Any


class JournalQueueMixin:
    """Holds `journal_pending` and flushes it before the outermost commit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.journal_pending: list = []

    def commit(self) -> None:
        if self.journal_pending:
            from audit.journal import flush_pending

            try:
                flush_pending(self)
            except Exception:
                self.journal_pending = []
                raise
        super().commit()

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
