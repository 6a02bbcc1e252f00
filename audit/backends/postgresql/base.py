"""PostgreSQL with journal entries appended just before commit, and connections
health-checked only when they sat idle."""

import time

from django.db.backends.postgresql import base

from audit.backends import JournalQueueMixin

# A kept connection unused for longer than this is checked (`SELECT 1`) before
# its next request, as Django's `conn_health_checks` does before every request.
# One in steady use is not: if the server went away meanwhile (a restart), that
# one request gets the 503 answer and Django drops the broken connection at its
# end; the next request connects anew.
HEALTH_CHECK_AFTER_IDLE_S = 5.0


class DatabaseWrapper(JournalQueueMixin, base.DatabaseWrapper):
    relais_last_request = float("-inf")

    def close_if_health_check_failed(self):
        if self.connection is not None and not self.health_check_done:
            now = time.monotonic()
            if now - self.relais_last_request < HEALTH_CHECK_AFTER_IDLE_S:
                self.health_check_done = True  # in use a moment ago
            self.relais_last_request = now
        super().close_if_health_check_failed()
