"""What ends the sessions an aidant opened in online services.

The apps below `oidc` cannot import it (`oidc -> mandats -> aidants`), yet their
domain services are where a mandate is revoked or an aidant suspended. They call
`sessions_ended(...)` inside their own transaction; `oidc` registers its handler
when the app registry is ready (OidcConfig.ready), and queues the back-channel
logout tokens in that same transaction: the change and its logouts commit or
roll back together. Not a Django signal: one explicit call, from the service.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SessionsEnded:
    """Which service sessions end: every filter given must match.

    `reason` is journaled with each logout (revoked, expired, logout, suspended).
    """

    reason: str
    aidant_id: int | None = None
    structure_id: int | None = None
    session_key: str = ""
    mandat_id: int | None = None
    autorisation_ids: tuple[int, ...] = ()


# What a handler returns (a count, say) is ignored.
Handler = Callable[[SessionsEnded], object]
_handlers: list[Handler] = []


def register(handler: Handler) -> None:
    """Called once per handler at startup (idempotent)."""
    if handler not in _handlers:
        _handlers.append(handler)


def sessions_ended(**filters) -> None:
    """Tell the registered handlers that these sessions end now. Must run inside
    the caller's transaction.atomic()."""
    event = SessionsEnded(**filters)
    for handler in _handlers:
        handler(event)
