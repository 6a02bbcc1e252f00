"""The request being served, for the journal and the logs (no model imports).

Set by `ops.middleware.RequestLogMiddleware`; `audit.record` copies it into the
entry's details as `request_id`, and every log line carries it.
"""

from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("relais_request_id", default="")
