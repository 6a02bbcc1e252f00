"""OpenID Connect Back-Channel Logout 1.0, provider side.

Each exchanged code opens a `ServiceSession` (its uuid is the id_token's `sid`).
When a mandate or one of its démarches is revoked or expires, or when the aidant
logs out, is suspended or loses the habilitation, the domain services call
`aidants.session_events.sessions_ended`; `end_sessions` (registered in
OidcConfig.ready) ends the matching sessions and queues one `LogoutDelivery`
per session whose service registered a `backchannel_logout_uri`, in the same
transaction. `manage.py send_backchannel_logouts` drains the queue out of the
request path, with a bounded timeout, retries and backoff; each delivery and
failure is journaled.
"""

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

import audit
from aidants.session_events import SessionsEnded
from config.prepared import PreparedInsert
from oidc import keys
from oidc.claims import issuer, pairwise_id
from oidc.keys import ID_TOKEN_ALGS
from oidc.models import (
    AuthorizationCode,
    DeliveryStatus,
    LogoutDelivery,
    ServiceSession,
    Token,
)

logger = logging.getLogger(__name__)

# §2.4: the `events` member that makes a JWT a logout token.
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4 (and RFC 8725 §3.11): explicit typing, so it is never taken for an id_token.
LOGOUT_TOKEN_TYP = "logout+jwt"  # noqa: S105 - a media type
LOGOUT_TOKEN_TTL_SECONDS = 120


# Compiled once per process (config/prepared.py): one per token exchange.
_NEW_SESSION = PreparedInsert(ServiceSession)


def open_service_session(*, code: AuthorizationCode, token: Token) -> None:
    """Remember the session a service opens with this code (its `sid`); called
    by `services.issue_token` inside its transaction. Not journaled: the token
    issuance is."""
    # One per code: a code is exchanged once, under the lock of its exchange.
    _NEW_SESSION.create(
        sid=code.uuid,
        client=code.client,
        aidant=code.aidant,
        usager=code.usager,
        autorisation=code.autorisation,
        session_key=token.session_key,
    )


def _matching(event: SessionsEnded):
    sessions = ServiceSession.objects.open()
    if event.aidant_id is not None:
        sessions = sessions.filter(aidant_id=event.aidant_id)
    if event.structure_id is not None:
        sessions = sessions.filter(autorisation__structure_id=event.structure_id)
    if event.session_key:
        sessions = sessions.filter(session_key=event.session_key)
    if event.mandat_id is not None:
        sessions = sessions.filter(autorisation__mandat_id=event.mandat_id)
    if event.autorisation_ids:
        sessions = sessions.filter(autorisation_id__in=event.autorisation_ids)
    return sessions


def end_sessions(event: SessionsEnded) -> int:
    """End the open service sessions `event` names and queue their logout
    tokens (only for services with a `backchannel_logout_uri`). Runs inside the
    caller's transaction; the caller journals the change that ended them.
    Returns how many sessions ended."""
    return _end(_matching(event), reason=event.reason)


def _end(sessions, *, reason: str) -> int:
    now = timezone.now()
    if not sessions.exists():
        # No write transaction when idle: on SQLite it takes the database lock.
        return 0
    with transaction.atomic():
        # Lock them: a session ended twice at once still gets one logout token.
        ended = list(sessions.select_for_update(of=("self",)).select_related("client"))
        if not ended:
            return 0
        ServiceSession.objects.filter(pk__in=[s.pk for s in ended]).update(
            ended_at=now, end_reason=reason[:32]
        )
        LogoutDelivery.objects.bulk_create(
            [
                LogoutDelivery(
                    session=s,
                    client=s.client,
                    reason=reason[:32],
                    next_attempt_at=now,
                    created_at=now,
                )
                for s in ended
                if s.client.backchannel_logout_uri and s.client.active
            ]
        )
    return len(ended)


def end_quietly(*, sid: str, client_id: int) -> None:
    """RP-initiated logout: the service ended its own session, nothing to send."""
    ServiceSession.objects.open().filter(sid=sid, client_id=client_id).update(
        ended_at=timezone.now(), end_reason="rp_logout"
    )


def end_expired_sessions(*, at: datetime | None = None) -> int:
    """End the sessions whose mandate expired or whose aidant's habilitation in
    the mandate's structure ended by itself (no service call ends those).
    Returns how many ended; each logout is journaled when delivered."""
    now = at or timezone.now()
    today = timezone.localdate(now)
    expired = ServiceSession.objects.open().filter(
        autorisation__mandat__expires_at__lte=now
    )
    count = _end(expired, reason="mandat_expired")
    lapsed = ServiceSession.objects.open().filter(
        Q(aidant__habilitations__valid_until__lt=today)
        | Q(aidant__habilitations__structure__active=False),
        aidant__habilitations__structure=F("autorisation__structure"),
    )
    return count + _end(lapsed, reason="habilitation_expired")


def logout_token_claims(delivery: LogoutDelivery, *, now: int | None = None) -> dict:
    """The logout token's claims (§2.4): iss, aud, iat, exp, jti, events, the
    session's `sid` and the usager's pairwise `sub`; never a nonce."""
    session = delivery.session
    iat = int(now if now is not None else time.time())
    return {
        "iss": issuer(),
        "aud": delivery.client.client_id,
        "iat": iat,
        "exp": iat + LOGOUT_TOKEN_TTL_SECONDS,
        "jti": delivery.jti,
        "sub": pairwise_id(delivery.client, "usager", session.usager.uuid),
        "sid": str(session.sid),
        "events": {LOGOUT_EVENT: {}},
    }


def sign_logout_token(delivery: LogoutDelivery) -> str:
    """Signed like the service's id_tokens (same key and algorithm), typed
    `logout+jwt`."""
    alg = delivery.client.id_token_signed_response_alg
    if alg not in ID_TOKEN_ALGS:
        alg = "ES256"
    return keys.sign_id_token(
        logout_token_claims(delivery), alg=alg, typ=LOGOUT_TOKEN_TYP
    )


def _claimable(now: datetime):
    return LogoutDelivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
    )


def claim_batch(*, limit: int = 20) -> list[LogoutDelivery]:
    """Take up to `limit` due deliveries for this worker, leased for a while.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers never
    wait on or take each other's rows. SQLite: one UPDATE whose WHERE re-checks
    the lease, atomic under the database write lock. Either way a row is held by
    one worker until its lease ends (a crashed worker's rows come back then).
    """
    now = timezone.now()
    if not _claimable(now).exists():
        return []  # idle: no write transaction (SQLite's lock is database-wide)
    token = uuid.uuid4().hex
    lease = now + timedelta(seconds=_lease_seconds())
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(
                _claimable(now)
                .order_by("next_attempt_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:limit]
            )
            LogoutDelivery.objects.filter(pk__in=ids).update(
                claim=token, claimed_until=lease
            )
        else:
            ids = _claimable(now).order_by("next_attempt_at").values("pk")[:limit]
            _claimable(now).filter(pk__in=ids).update(claim=token, claimed_until=lease)
    return list(
        LogoutDelivery.objects.filter(claim=token).select_related(
            "client",
            "session__usager",
            "session__aidant",
            "session__autorisation__mandat",
            "session__autorisation__structure",
        )
    )


def _lease_seconds() -> int:
    return settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS * 2 + 30


def _retry_delay(attempts: int) -> int:
    base = settings.OIDC_BACKCHANNEL_RETRY_BASE_SECONDS
    return min(
        base * 2 ** max(attempts - 1, 0), settings.OIDC_BACKCHANNEL_RETRY_MAX_SECONDS
    )


def post_logout_token(delivery: LogoutDelivery) -> str:
    """POST the token (§2.5); returns "" on success, else a short reason. Never
    follows redirects; bounded by OIDC_BACKCHANNEL_TIMEOUT_SECONDS."""
    try:
        response = requests.post(
            delivery.client.backchannel_logout_uri,
            data={"logout_token": sign_logout_token(delivery)},
            headers={"Cache-Control": "no-store"},
            timeout=settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return type(exc).__name__
    if response.status_code in (200, 204):
        return ""
    return f"HTTP {response.status_code}"


def deliver(delivery: LogoutDelivery) -> bool:
    """Send one claimed logout token and record the outcome: journals
    SERVICE_LOGOUT_DELIVERED, or SERVICE_LOGOUT_FAILED with the next attempt
    (abandoned after OIDC_BACKCHANNEL_MAX_ATTEMPTS). Returns True if delivered."""
    still_ours = LogoutDelivery.objects.filter(
        pk=delivery.pk, claim=delivery.claim, status=DeliveryStatus.PENDING
    )
    if not still_ours.exists():
        return False  # lease lost (this worker stalled): another one sends it
    error = post_logout_token(delivery)
    now = timezone.now()
    with transaction.atomic():
        current = LogoutDelivery.objects.select_for_update().get(pk=delivery.pk)
        if current.claim != delivery.claim or current.status != DeliveryStatus.PENDING:
            return False  # lease lost to another worker: it records the outcome
        current.attempts += 1
        current.claim, current.claimed_until = "", None
        details: dict[str, Any] = {
            "sid": str(delivery.session.sid),
            "reason": current.reason,
            "attempt": current.attempts,
        }
        if not error:
            current.status = DeliveryStatus.DELIVERED
            current.delivered_at = now
            action = audit.Action.SERVICE_LOGOUT_DELIVERED
        else:
            current.last_error = error[:200]
            details["error"] = error[:200]
            if current.attempts >= settings.OIDC_BACKCHANNEL_MAX_ATTEMPTS:
                current.status = DeliveryStatus.ABANDONED
                details["abandoned"] = True
            else:
                current.next_attempt_at = now + timedelta(
                    seconds=_retry_delay(current.attempts)
                )
                details["next_attempt_at"] = current.next_attempt_at.isoformat()
            action = audit.Action.SERVICE_LOGOUT_FAILED
        current.save()
        session = delivery.session
        audit.record(
            action,
            actor=None,
            structure=session.autorisation.structure,
            usager=session.usager,
            mandat=session.autorisation.mandat,
            demarche=session.autorisation.demarche,
            client=delivery.client,
            details=details,
        )
    return not error


@dataclass
class DrainReport:
    ended: int = 0
    delivered: int = 0
    failed: int = 0
    sent_to: list[str] = field(default_factory=list)


def drain_once(*, limit: int = 20) -> DrainReport:
    """One worker pass: end expired sessions, then claim and send due logouts."""
    report = DrainReport(ended=end_expired_sessions())
    for delivery in claim_batch(limit=limit):
        if deliver(delivery):
            report.delivered += 1
            report.sent_to.append(str(delivery.session.sid))
        else:
            report.failed += 1
    return report
