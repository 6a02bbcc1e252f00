"""PostgreSQL with journal entries appended just before commit."""

from django.db.backends.postgresql import base

from audit.backends import JournalQueueMixin


class DatabaseWrapper(JournalQueueMixin, base.DatabaseWrapper):
    pass
