"""The append-only, hash-chained journal. `audit.record` is the one way to write.

This package imports no models at import time (Django imports app packages before
the registry is ready): `record` loads `audit.journal` lazily.
"""

from audit.actions import Action

__all__ = ["Action", "record"]


def record(action, **kwargs):
    """Append one entry to the journal inside the caller's transaction.

    See `audit.journal.record` for the arguments; returns the JournalEntry.
    """
    # `audit` is imported by every app's models: the journal and its models
    # load on first use, once the app registry is ready.
    from audit.journal import record as _record

    return _record(action, **kwargs)
