"""Every write of the OIDC bridge: codes, tokens, revocations. Atomic and
journaled (except `revoke_session_tokens`, run from the logout signal whose
logout the aidants app journals)."""

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, router, transaction
from django.utils import timezone

import audit
from aidants.models import Aidant, Structure
from config.prepared import PreparedInsert, PreparedQuery, PreparedUpdate
from mandats.models import Autorisation, Usager
from oidc import backchannel
from oidc.access import db_sessions, with_context
from oidc.models import (
    AuthorizationCode,
    Client,
    ClientAssertion,
    DeliveryStatus,
    ServiceSession,
    Token,
    sha256_hex,
)
from oidc.models.grants import first_matching, raw_digest
from oidc.services.clients import (  # noqa: F401 (re-exported)
    check_backchannel_logout_uri,
    record_client_assertion,
    register_client,
    reset_client_secret,
    set_backchannel_logout_uri,
)

# The flow's writes, compiled once per process (config/prepared.py).
_NEW_CODE = PreparedInsert(AuthorizationCode)
_NEW_TOKEN = PreparedInsert(Token)
_CODE_USED = PreparedUpdate(AuthorizationCode, ["used_at"])


@dataclass(frozen=True)
class AuthorizationContext:
    """What the aidant's step decided, carried to `create_authorization_code`."""

    aidant: Aidant
    usager: Usager
    structure: Structure
    autorisation: Autorisation
    demarche: str
    session_key: str
    auth_time: datetime
    claims: dict[str, Any]
    amr: tuple[str, ...] | list[str] = ("pwd", "otp", "mfa")
    acr: str = "eidas1"


def create_authorization_code(
    *,
    code: str,
    client: Client,
    context: AuthorizationContext,
    redirect_uri: str,
    scope: str,
    data: dict[str, Any],
) -> AuthorizationCode:
    """Store the hash of a fresh 60-second code (the use itself was journaled
    by `mandats.services.authorize_use`)."""
    now = timezone.now()
    return _NEW_CODE.create(
        code_hash=sha256_hex(code),
        client=client,
        aidant=context.aidant,
        usager=context.usager,
        autorisation=context.autorisation,
        demarche=context.demarche,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=data.get("nonce") or "",
        code_challenge=data.get("code_challenge") or "",
        code_challenge_method="S256",
        auth_time=context.auth_time,
        amr=list(context.amr),
        acr=context.acr,
        claims=context.claims,
        session_key=context.session_key or "",
        created_at=now,
        expires_at=now + timedelta(seconds=settings.OIDC_CODE_TTL_SECONDS),
    )


def _codes_for_exchange(**context):
    return with_context(
        AuthorizationCode.objects.select_for_update(of=("self",)).select_related(
            "client",
            "aidant",
            "usager",
            "autorisation__mandat",
            "autorisation__structure",
        ),
        **context,
    )


def _preloaded_codes(sessions: bool) -> PreparedQuery:
    def build(code_hash, client_id, day, now):
        codes = _codes_for_exchange(day=day, now=now, sessions=sessions)
        return codes.filter(
            code_hash=code_hash, client__client_id=client_id, client__active=True
        )[:1]

    kinds = {"code_hash": "str", "client_id": "str", "day": "date", "now": "datetime"}
    return PreparedQuery(build, **kinds)


# Compiled once per process (config/prepared.py): the token request's read.
_PRELOADED_CODES = {True: _preloaded_codes(True), False: _preloaded_codes(False)}


def preload_code(*, code: str, client_id: str) -> AuthorizationCode | None:
    """The code `code` with its active client `client_id`, locked, in one query
    (the token endpoint then authenticates that client and, if it succeeds,
    `find_code_for_exchange` uses this row). Must run inside
    transaction.atomic()."""
    digest = raw_digest(code)
    if digest is None:
        return None
    rows = _PRELOADED_CODES[db_sessions()].run(
        router.db_for_write(AuthorizationCode),
        code_hash=digest,
        client_id=client_id,
        day=timezone.localdate(),
        now=timezone.now(),
    )
    return first_matching(rows, "code_hash", digest)


def find_code_for_exchange(
    *, code: str, client: Client, preloaded: AuthorizationCode | None = None
) -> AuthorizationCode | None:
    """The unused, unexpired code issued to `client`, locked until the caller's
    transaction ends (two exchanges of one code serialize here); `preloaded`
    is that row when `preload_code` already read it.

    A code presented again after its use is a replay (RFC 6749 §4.1.2): every
    token issued from it is revoked and CODE_REPLAYED journaled; returns None.
    Must run inside transaction.atomic().
    """
    if preloaded is not None and hmac.compare_digest(
        preloaded.code_hash, sha256_hex(code)
    ):
        item = preloaded
    else:
        item = _codes_for_exchange().by_raw(code)
    if item is None:
        return None
    if item.client_id != client.pk:
        return None
    if item.used_at is not None:
        _handle_replay(item)
        return None
    if item.is_expired():
        return None
    return item


def _handle_replay(item: AuthorizationCode) -> None:
    now = timezone.now()
    revoked = Token.objects.filter(code=item, revoked_at__isnull=True).update(
        revoked_at=now
    )
    item.replayed_at = now
    item.save(update_fields=["replayed_at"])
    audit.record(
        audit.Action.CODE_REPLAYED,
        actor=item.aidant,
        structure=item.autorisation.structure,
        usager=item.usager,
        mandat=item.autorisation.mandat,
        demarche=item.demarche,
        client=item.client,
        details={"code": str(item.uuid), "tokens_revoked": revoked},
    )


def mark_code_used(item: AuthorizationCode) -> None:
    """Consume the code (inside the token request's transaction)."""
    item.used_at = timezone.now()
    _CODE_USED.save(item)


def issue_token(*, raw_token: str, code: AuthorizationCode, scope: str) -> Token:
    """Store the hash of a fresh access token; journals TOKEN_ISSUED."""
    now = timezone.now()
    with audit.joined_atomic():
        token = _NEW_TOKEN.create(
            access_token_hash=sha256_hex(raw_token),
            client=code.client,
            aidant=code.aidant,
            usager=code.usager,
            autorisation=code.autorisation,
            code=code,
            scope=scope,
            session_key=code.session_key,
            issued_at=now,
            expires_at=now + timedelta(seconds=settings.OIDC_TOKEN_TTL_SECONDS),
        )
        audit.record(
            audit.Action.TOKEN_ISSUED,
            actor=code.aidant,
            structure=code.autorisation.structure,
            usager=code.usager,
            mandat=code.autorisation.mandat,
            demarche=code.demarche,
            client=code.client,
            details={"token": str(token.uuid), "scope": scope[:200]},
        )
        backchannel.open_service_session(code=code, token=token)
    return token


def serve_userinfo(*, token: Token, request: Any = None) -> None:
    """Journal USERINFO_SERVED for a token that `access.check_access_token`
    accepted."""
    autorisation = token.autorisation
    audit.record(
        audit.Action.USERINFO_SERVED,
        actor=token.aidant,
        structure=autorisation.structure,
        usager=token.usager,
        mandat=autorisation.mandat,
        demarche=autorisation.demarche,
        client=token.client,
        request=request,
        details={"token": str(token.uuid)},
    )


def revoke_token(*, token: Token, client: Client, reason: str) -> bool:
    """Revoke one token (RFC 7009 or end-session); journals TOKEN_REVOKED.
    Returns False when it was already revoked."""
    with transaction.atomic():
        changed = Token.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit.record(
                audit.Action.TOKEN_REVOKED,
                actor=token.aidant,
                structure=token.autorisation.structure,
                usager=token.usager,
                mandat=token.autorisation.mandat,
                client=client,
                details={"token": str(token.uuid), "reason": reason},
            )
    return bool(changed)


def end_session(*, sid: str, client: Client) -> int:
    """RP-initiated logout: revoke the tokens issued from the authorization
    `sid` names (one TOKEN_REVOKED entry each). Returns how many."""
    try:
        sid = str(uuid.UUID(str(sid)))
    except ValueError:
        return 0
    backchannel.end_quietly(sid=sid, client_id=client.pk)
    tokens = Token.objects.unrevoked().filter(code__uuid=sid, client=client)
    tokens = tokens.select_related(
        "aidant", "usager", "autorisation__mandat", "autorisation__structure"
    )
    return sum(
        revoke_token(token=t, client=client, reason="end_session") for t in tokens
    )


def revoke_session_tokens(*, aidant: Aidant, session_key: str) -> int:
    """Revoke the tokens issued in this session of the aidant (on logout).
    Not journaled: the logout is, by the aidants app."""
    return (
        Token.objects.unrevoked()
        .filter(aidant=aidant, session_key=session_key)
        .update(revoked_at=timezone.now())
    )


def revoke_aidant_tokens(*, aidant: Aidant) -> int:
    """Revoke every token of a deactivated account (pending codes are refused by
    `mandats.access`). Not journaled: the deactivation is."""
    return (
        Token.objects.unrevoked()
        .filter(aidant=aidant)
        .update(revoked_at=timezone.now())
    )


def purge_expired(*, older_than: timedelta = timedelta(days=1)) -> dict[str, int]:
    """Delete codes, tokens and client assertions expired for `older_than`
    (their hashes are useless by then; the journal keeps every use).
    Journals DATA_PURGED with the counts when anything was deleted."""
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        counts = {
            "tokens": Token.objects.filter(expires_at__lt=cutoff).delete()[0],
            "codes": AuthorizationCode.objects.filter(expires_at__lt=cutoff).delete()[
                0
            ],
            "assertions": ClientAssertion.objects.filter(
                expires_at__lt=cutoff
            ).delete()[0],
            # Ended service sessions whose logout is no longer pending.
            "service_sessions": ServiceSession.objects.filter(ended_at__lt=cutoff)
            .exclude(logout__status=DeliveryStatus.PENDING)
            .delete()[0],
        }
        if any(counts.values()):
            audit.record(
                audit.Action.DATA_PURGED,
                actor=None,
                details={"scope": "oidc", **counts},
            )
    return counts


def database_answers() -> bool:
    """True when the database answers a trivial query (status URL)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True
