"""Public verification of a mandate: its signature, then what anyone may know.

`check` reads only; `verify_public_id` is the service behind `/verifier/<id>`
(journals ATTESTATION_VERIFIED); `verify_token` checks a compact JWS offline
against a JWKS (the `verify_mandate` command).

What a check reveals is deliberately small: the status, the démarches and their
own status, the structure's name, the validity dates and the usager's initials.
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

import audit
from aidants.demarches import Demarche
from audit.keys import InvalidSignature
from mandats.models import Mandat, Status
from mandats.signing import (
    canonical_content,
    signed_payload,
    snapshot_matches_usager,
)

VALID = "valid"
EXPIRED = "expired"
REVOKED = "revoked"
INVALID = "invalid"
NOT_FOUND = "not_found"

LABELS = {
    VALID: _("valide"),
    EXPIRED: _("expiré"),
    REVOKED: _("révoqué"),
    INVALID: _("signature invalide"),
    NOT_FOUND: _("introuvable"),
}
DEMARCHE_LABELS = {
    Status.LIVE: _("valide"),
    Status.EXPIRED: _("expirée"),
    Status.REVOKED: _("révoquée"),
}


@dataclass(frozen=True)
class Verification:
    """The outcome of one check. `mandat` is None when nothing genuine was found."""

    status: str
    mandat: Mandat | None = None
    demarches: list[dict[str, str]] = field(default_factory=list)
    structure_name: str = ""
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    initials: str = ""
    reason: str = ""

    @property
    def genuine(self) -> bool:
        return self.status in (VALID, EXPIRED, REVOKED)

    @property
    def label(self) -> str:
        return str(LABELS[self.status])


def _comparable(content: dict[str, Any], purged: bool) -> dict[str, Any]:
    # A purged usager's identity is blanked, so the signed identity digest can no
    # longer be re-derived; every other signed field still has to match.
    if purged:
        return {k: v for k, v in content.items() if k != "usager"}
    return content


def signature_matches(
    mandat: Mandat, jwks: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """(True, "") when the stored JWS verifies with a published key and signs
    exactly the mandate's content as re-derived from the database."""
    if not mandat.signature:
        return False, "unsigned"
    try:
        payload = signed_payload(mandat.signature, jwks)
    except InvalidSignature as exc:
        return False, str(exc)
    purged = mandat.usager.purged_at is not None
    if not purged and not snapshot_matches_usager(mandat):
        return False, "signed identity is not the mandate's usager"
    expected = _comparable(canonical_content(mandat), purged)
    if _comparable(payload, purged) != expected:
        return False, "content does not match the signature"
    return True, ""


def _status(mandat: Mandat, demarches: list[dict[str, str]], at: datetime) -> str:
    if mandat.is_revoked():
        return REVOKED
    if mandat.is_expired(at):
        return EXPIRED
    # Every démarche revoked one by one: nothing is left to act on.
    if demarches and all(d["status"] == Status.REVOKED for d in demarches):
        return REVOKED
    return VALID


def check(
    mandat: Mandat, *, jwks: dict[str, Any] | None = None, at: datetime | None = None
) -> Verification:
    """Check `mandat`'s signature and compute what the public may see. Reads only."""
    at = at or timezone.now()
    ok, reason = signature_matches(mandat, jwks)
    if not ok:
        return Verification(status=INVALID, reason=reason)
    demarches = []
    for autorisation in mandat.autorisations.all():
        status = autorisation.status(at)
        demarches.append(
            {
                "code": autorisation.demarche,
                "label": str(Demarche(autorisation.demarche).label),
                "status": status,
                "status_label": str(DEMARCHE_LABELS[status]),
            }
        )
    return Verification(
        status=_status(mandat, demarches, at),
        mandat=mandat,
        demarches=demarches,
        structure_name=mandat.structure.name,
        created_at=mandat.created_at,
        expires_at=mandat.expires_at,
        revoked_at=mandat.revoked_at,
        initials=mandat.usager.initials(),
    )


def _load(**lookup) -> Mandat | None:
    return (
        Mandat.objects.select_related(
            "usager", "structure", "created_by", "renewed_from"
        )
        .prefetch_related("autorisations")
        .filter(**lookup)
        .first()
    )


def _journal(result: Verification, mandat: Mandat | None, via: str, request) -> None:
    details: dict[str, Any] = {"result": result.status, "via": via}
    if result.reason:
        details["reason"] = result.reason[:120]
    audit.record(
        audit.Action.ATTESTATION_VERIFIED,
        actor=None,
        structure=mandat.structure if mandat else None,
        usager=mandat.usager if mandat else None,
        mandat=mandat,
        request=request,
        details=details,
    )


def verify_public_id(public_id: str, *, request: Any = None) -> Verification:
    """The public check behind `/verifier/<public_id>`: journals
    ATTESTATION_VERIFIED (by the system, with the result) for every check of a
    known mandate, forged or tampered included. Unknown ids are not journaled
    one by one (anyone can make up ids): the page counts them per address and
    journals the address once it goes over its rate (config.ratelimit).
    Never raises on bad input."""
    mandat = _load(public_id=str(public_id)[:64]) if public_id else None
    if mandat is None:
        return Verification(status=NOT_FOUND)
    result = check(mandat)
    with transaction.atomic():
        _journal(result, mandat, "page", request)
    return result


@dataclass(frozen=True)
class TokenCheck:
    """Offline check of a compact JWS: `verification` when the mandate is in the
    database, else what the signed payload alone says."""

    status: str
    payload: dict[str, Any] = field(default_factory=dict)
    verification: Verification | None = None
    reason: str = ""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]


def verify_token(
    token: str, *, jwks: dict[str, Any] | None = None, at: datetime | None = None
) -> TokenCheck:
    """Verify a mandate JWS against `jwks` (default: the mandate key set); if the
    mandate is known here, add its revocations and check that the database still
    matches what was signed (journaled ATTESTATION_VERIFIED, via "command")."""
    at = at or timezone.now()
    try:
        payload = signed_payload(token, jwks)
    except InvalidSignature as exc:
        return TokenCheck(status=INVALID, reason=str(exc))
    mandat = _load(uuid=payload.get("mandat")) if _is_uuid(payload) else None
    if mandat is None:
        expires = parse_datetime(str(payload.get("expires_at", "")))
        status = EXPIRED if expires is None or expires <= at else VALID
        return TokenCheck(status=status, payload=payload)
    verification = check(mandat, jwks=jwks, at=at)
    if verification.genuine and mandat.signature != token:
        # A genuine older signature of the same mandate cannot happen (signed
        # once): treat a different token as not matching the record.
        verification = Verification(status=INVALID, reason="another signature")
    with transaction.atomic():
        _journal(verification, mandat, "command", None)
    return TokenCheck(
        status=verification.status,
        payload=payload,
        verification=verification,
        reason=verification.reason,
    )


def _is_uuid(payload: dict[str, Any]) -> bool:
    try:
        uuid.UUID(str(payload.get("mandat", "")))
    except ValueError:
        return False
    return True


def verify_stored(public_id: str, *, jwks: dict[str, Any] | None = None) -> TokenCheck:
    """The command's check of a public id: the stored mandate's signature against
    `jwks`; journaled like the page (via "command")."""
    mandat = _load(public_id=public_id[:64])
    if mandat is None:
        return TokenCheck(status=NOT_FOUND, reason=f"id {_digest(public_id)}")
    verification = check(mandat, jwks=jwks)
    with transaction.atomic():
        _journal(verification, mandat, "command", None)
    return TokenCheck(
        status=verification.status,
        verification=verification,
        reason=verification.reason,
    )
