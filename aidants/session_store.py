"""Django's database sessions (same table, same rules), read with a query
compiled once per process (config/prepared.py): every aidant request, and the
OIDC re-checks through `oidc.access`, load a session."""

import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db import router
from django.utils import timezone

from config.prepared import PreparedQuery

_SESSIONS = PreparedQuery(
    lambda session_key, now: Session.objects.filter(
        session_key=session_key, expire_date__gt=now
    )[:1],
    session_key="str",
    now="datetime",
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The unexpired row of this key, or None (and the key is dropped), as
        Django's own store does."""
        try:
            found = _SESSIONS.run(
                router.db_for_read(Session),
                session_key=self.session_key,
                now=timezone.now(),
            )
        except SuspiciousOperation as error:
            logger = logging.getLogger(f"django.security.{type(error).__name__}")
            logger.warning(str(error))
            found = []
        if found:
            return found[0]
        self._session_key = None
        return None

    @classmethod
    def get_model_class(cls):
        return Session
