"""Decisions of the OIDC bridge. The act-for decision itself is
mandats.access.can_act; here we only find out whether the aidant's session is
still verified and whether an access token still stands."""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import router
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from aidants import session as aidant_session
from aidants.access import active_habilitation_sql, remember_habilitation
from config.prepared import PreparedQuery
from mandats.access import still_allows
from oidc.models import AuthorizationCode, Token
from oidc.models.grants import first_matching, raw_digest

# Engines whose sessions live in the django_session table.
DB_SESSIONS = ("django.contrib.sessions.backends.db", "aidants.session_store")
# Loaded with the code or token (`with_context`); None: not loaded.
_NOT_LOADED = object()


def aidant_session_is_verified(
    aidant_pk: int, session_key: str, session_data=_NOT_LOADED
) -> bool:
    """True while the aidant's session exists and is verified by the rules of
    aidants/session.py (their own, second factor, 8 hours, 15 idle minutes).
    Logging out deletes it. `session_data`: the stored session, when loaded
    along with the code or token (`with_context`)."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if session_data is _NOT_LOADED:
        data = store.load()
    else:
        data = store.decode(session_data) if session_data else {}
    return aidant_session.is_verified(data, aidant_pk)


# The mandate's evidence (consent, identity, signature): never read by the
# protocol, heavy to decode on every request.
MANDAT_EVIDENCE = (
    "autorisation__mandat__consent",
    "autorisation__mandat__usager_identity",
    "autorisation__mandat__signature",
)


def db_sessions() -> bool:
    return settings.SESSION_ENGINE in DB_SESSIONS


def with_context(
    queryset: QuerySet, *, day=None, now=None, sessions: bool | None = None
) -> QuerySet:
    """Codes or tokens with what re-checking them needs, in the same query: the
    aidant's habilitation in the autorisation's structure (on `day`, today by
    default) and (database sessions) the aidant's stored session unexpired at
    `now`; without the mandate's evidence."""
    queryset = queryset.defer(*MANDAT_EVIDENCE).annotate(
        relais_habilitation=active_habilitation_sql(
            "aidant_id", "autorisation__structure_id", day=day
        )
    )
    if db_sessions() if sessions is None else sessions:
        live = Session.objects.filter(
            session_key=OuterRef("session_key"),
            expire_date__gt=now or timezone.now(),
        )
        queryset = queryset.annotate(
            relais_session_data=Subquery(live.values("session_data")[:1])
        )
    return queryset


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
    if demarche != autorisation.demarche:
        return False
    if autorisation.usager_id == source.usager_id:
        autorisation.usager = source.usager  # loaded with the source
    if hasattr(source, "relais_habilitation"):
        remember_habilitation(
            source.aidant, autorisation.structure_id, source.relais_habilitation
        )
    # A replaced or revoked autorisation kills what it issued, even if a newer
    # one covers the same démarche (still_allows: that very autorisation).
    return still_allows(
        aidant=source.aidant,
        autorisation=autorisation,
        session_verified=aidant_session_is_verified(
            source.aidant_id,
            source.session_key,
            getattr(source, "relais_session_data", _NOT_LOADED),
        ),
    ).allowed


def _tokens(sessions: bool) -> PreparedQuery:
    def build(token_hash, day, now):
        related = Token.objects.select_related(
            "client", "aidant", "usager", "autorisation__mandat"
        ).select_related("autorisation__structure")
        return with_context(related, day=day, now=now, sessions=sessions).filter(
            access_token_hash=token_hash
        )[:1]

    return PreparedQuery(build, token_hash="str", day="date", now="datetime")  # noqa: S106 (kinds, not secrets)


# Compiled once per process (config/prepared.py): userinfo's one read.
_TOKENS = {True: _tokens(True), False: _tokens(False)}


def check_access_token(raw: str | None) -> TokenCheck:
    """Find a live bearer token and re-check the mandate decision behind it
    (revoked mandate or autorisation, suspended habilitation, aidant logged out
    → refused). Pure: reads only."""
    digest = raw_digest(raw)
    token = None
    if digest is not None:
        rows = _TOKENS[db_sessions()].run(
            router.db_for_read(Token),
            token_hash=digest,
            day=timezone.localdate(),
            now=timezone.now(),
        )
        token = first_matching(rows, "access_token_hash", digest)
    if token is None:
        return TokenCheck(None, "invalid_token", "Unknown or malformed token.")
    if not token.is_usable() or not token.client.active:
        return TokenCheck(None, "invalid_token", "The token expired or was revoked.")
    if not _still_allowed(token, token.autorisation.demarche):
        return TokenCheck(
            None, "invalid_token", "The mandate no longer allows this access."
        )
    return TokenCheck(token)
