"""Decisions of the OIDC bridge. The act-for decision itself is
mandats.access.can_act; here we only find out whether the aidant's session is
still verified and whether an access token still stands."""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from aidants import session as aidant_session
from mandats.access import can_act
from oidc.models import AuthorizationCode, Token


def aidant_session_is_verified(aidant_pk: int, session_key: str) -> bool:
    """True while the aidant's session exists and is verified by the rules of
    aidants/session.py (their own, second factor, 8 hours, 15 idle minutes).
    Logging out deletes it."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return aidant_session.is_verified(store.load(), aidant_pk)


def code_still_allowed(code: AuthorizationCode) -> bool:
    """The mandate still allows the use the code was issued for."""
    return _still_allowed(code, code.demarche)


@dataclass(frozen=True)
class TokenCheck:
    token: Token | None
    error: str = ""
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.token is not None and not self.error


def _still_allowed(source: AuthorizationCode | Token, demarche: str) -> bool:
    autorisation = source.autorisation
    decision = can_act(
        aidant=source.aidant,
        usager=source.usager,
        demarche=demarche,
        structure=autorisation.structure,
        session_verified=aidant_session_is_verified(
            source.aidant_id, source.session_key
        ),
    )
    # A replaced or revoked autorisation kills what it issued, even if a newer
    # one covers the same démarche.
    return decision.allowed and decision.autorisation.pk == autorisation.pk


def check_access_token(raw: str | None) -> TokenCheck:
    """Find a live bearer token and re-check the mandate decision behind it
    (revoked mandate or autorisation, suspended habilitation, aidant logged out
    → refused). Pure: reads only."""
    token = Token.objects.select_related(
        "client",
        "aidant",
        "usager",
        "autorisation__mandat",
        "autorisation__structure",
    ).by_raw(raw)
    if token is None:
        return TokenCheck(None, "invalid_token", "Unknown or malformed token.")
    if not token.is_usable() or not token.client.active:
        return TokenCheck(None, "invalid_token", "The token expired or was revoked.")
    if not _still_allowed(token, token.autorisation.demarche):
        return TokenCheck(
            None, "invalid_token", "The mandate no longer allows this access."
        )
    return TokenCheck(token)
