"""The append-only, hash-chained journal. `audit.record` is the one way to write.

This package imports no models at import time (Django imports app packages before
the registry is ready): `record` loads `audit.journal` lazily.
"""

from audit.actions import Action

__all__ = ["Action", "joined_atomic", "record"]


def record(action, **kwargs):
    """Append one entry to the journal inside the caller's transaction.

    See `audit.journal.record` for the arguments; returns the JournalEntry.
    """
    # `audit` is imported by every app's models: the journal and its models
    # load on first use, once the app registry is ready.
    from audit.journal import record as _record

    return _record(action, **kwargs)


def joined_atomic():
    """`transaction.atomic()` for a journaled write that is also called inside
    its caller's transaction (the OIDC approval, the token exchange): it joins
    that transaction without a savepoint (two statements less), since nothing
    retries after a failure there: the whole transaction fails. Alone, it is a
    transaction of its own. Under a test case's never-committed transaction it
    keeps the savepoint, whose release appends the journal entries there
    (audit.backends.JournalQueueMixin)."""
    # Django's transaction module is cheap, but keep this package import-light.
    from django.db import transaction

    connection = transaction.get_connection()
    under_testcase = bool(connection.atomic_blocks) and all(
        getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )
    return transaction.atomic(savepoint=under_testcase)
