"""PostgreSQL with journal entries appended just before commit, and kept
connections health-checked without a round trip while they are in use."""

import select
import time

from django.db.backends.postgresql import base

from audit.backends import JournalQueueMixin

# A kept connection unused for longer than this is checked with a round trip
# (`SELECT 1`) before its next request, as Django's `conn_health_checks` does
# before every request.
HEALTH_CHECK_AFTER_IDLE_S = 5.0


def has_pending_input(connection) -> bool:
    """True when an idle connection's socket has something to read: the server
    ended the session (a restart, a terminated backend: a last message, then
    end of file) or sent a notice. A connection waiting for its next statement
    has nothing to read. One `poll` system call, no round trip."""
    try:
        descriptor = connection.pgconn.socket
    except Exception:  # noqa: BLE001 - no socket: let Django's check decide
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class DatabaseWrapper(JournalQueueMixin, base.DatabaseWrapper):
    relais_last_request = float("-inf")

    def close_if_health_check_failed(self):
        if self.connection is not None and not self.health_check_done:
            now = time.monotonic()
            recent = now - self.relais_last_request < HEALTH_CHECK_AFTER_IDLE_S
            if recent and not has_pending_input(self.connection):
                # In use a moment ago and the server has said nothing since.
                self.health_check_done = True
            self.relais_last_request = now
        super().close_if_health_check_failed()
