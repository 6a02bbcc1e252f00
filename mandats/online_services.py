"""The online services' names, for the usager's list of what was done for them.

Online services are registered in `oidc`, above `mandats` (oidc -> mandats), so
`mandats` cannot look them up itself: `oidc` registers its lookup when the app
registry is ready (OidcConfig.ready), as it does for aidants.session_events.
Without one, the client id stands for the name.
"""

from collections.abc import Callable

NameLookup = Callable[[set[str]], dict[str, str]]
_lookups: list[NameLookup] = []


def register(lookup: NameLookup) -> None:
    """Called once per lookup at startup (idempotent)."""
    if lookup not in _lookups:
        _lookups.append(lookup)


def names(client_ids: set[str]) -> dict[str, str]:
    """{client_id: the service's name} for the ids a registered lookup knows."""
    found: dict[str, str] = {}
    for lookup in _lookups:
        found.update(lookup(client_ids))
    return found
