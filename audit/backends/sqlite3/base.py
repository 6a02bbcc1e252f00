"""SQLite with journal entries appended just before commit."""

from django.db.backends.sqlite3 import base

from audit.backends import JournalQueueMixin

# Django's SQLite cursor rewrites every statement from "format" to "qmark"
# placeholders with a regular expression, at each execution; the statements of
# a process are few and repeated, so each is rewritten once. Bounded: a
# statement listing many values (an IN of a bulk delete) is not kept forever.
_QMARK: dict[str, str] = {}
_QMARK_MAX = 4096


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        converted = _QMARK.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(_QMARK) < _QMARK_MAX:
                _QMARK[query] = converted
        return converted


class DatabaseWrapper(JournalQueueMixin, base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)
