"""SQLite with journal entries appended just before commit."""

from django.db.backends.sqlite3 import base

from audit.backends import JournalQueueMixin


class DatabaseWrapper(JournalQueueMixin, base.DatabaseWrapper):
    pass
