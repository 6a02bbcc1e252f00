"""Error handlers. handler400: a clear refusal of file uploads. handler500: a
database that is down, locked or too slow is an outage (503 with Retry-After),
not a bug (500)."""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import server_error as django_server_error

from ops.responses import multipart_refused, unavailable
from ops.uploads import FileUploadRefused

# PostgreSQL errors that psycopg does not class as operational but that mean
# "try again later": the session was ended for idling in a transaction (a frozen
# or too slow worker), an administrator shut the server down.
_UNAVAILABLE_SQLSTATES = {"25P03", "57P01", "57P02", "57P03"}


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Connection refused or lost, lock or statement timeout, session ended,
    SQLite busy: the errors an outage raises."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    cause = getattr(exc, "__cause__", None)
    return (
        isinstance(exc, DatabaseError)
        and getattr(cause, "sqlstate", None) in _UNAVAILABLE_SQLSTATES
    )


def server_error(request, *args, **kwargs):
    # Django calls handler500 inside the `except` that caught the exception, from
    # any layer (middleware included), so the exception is still at hand.
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    return django_server_error(request, *args, **kwargs)


def bad_request(request, exception, *args, **kwargs):
    if isinstance(exception, FileUploadRefused):
        return multipart_refused(request)
    return django_bad_request(request, exception, *args, **kwargs)
