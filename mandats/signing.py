"""Mandate signatures: a JWS (ES256, service key, `kid` published) over the
mandate's canonical content.

The signed content names the usager only by a digest of their identity, so a
printed attestation or a verification page never exposes more than the initials.
"""

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from audit.keys import (
    InvalidSignature,
    KeyPurpose,
    public_jwks,
    sign_jws,
    verify_jws,
)
from mandats.models import Mandat, Usager

SIGNING_ALG = "ES256"
CONTENT_TYPE = "relais-mandat+jws"
VERSION = 1


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def identity_snapshot(usager: Usager) -> dict[str, str]:
    """The identity a mandate signs: the pivot plus the FranceConnect issuer/sub,
    as FranceConnect gave it at this identification (kept on the mandate)."""
    pivot = usager.identity_pivot()
    pivot.update(fc_issuer=usager.fc_issuer, fc_sub=usager.fc_sub)
    return pivot


def snapshot_digest(snapshot: dict[str, str]) -> str:
    """SHA-256 of a canonical identity snapshot."""
    data = json.dumps(
        snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def identity_digest(usager: Usager) -> str:
    """SHA-256 of the usager's current identity snapshot."""
    return snapshot_digest(identity_snapshot(usager))


def signed_identity(mandat: Mandat) -> dict[str, str]:
    """The mandate's kept snapshot (the usager's current identity for a mandate
    not yet created, e.g. an unsaved factory object)."""
    return mandat.usager_identity or identity_snapshot(mandat.usager)


def snapshot_matches_usager(mandat: Mandat) -> bool:
    """The snapshot names the mandate's usager (same FranceConnect issuer and sub,
    which identification never changes): moving a mandate to another usager
    does not verify."""
    snapshot = signed_identity(mandat)
    return (
        snapshot.get("fc_issuer") == mandat.usager.fc_issuer
        and snapshot.get("fc_sub") == mandat.usager.fc_sub
    )


def canonical_content(mandat: Mandat, demarches: list[str] | None = None) -> dict:
    """What gets signed. `demarches` defaults to every démarche granted by the
    mandate (revoked ones included: revocation does not change what was signed)."""
    if demarches is None:
        demarches = mandat.demarches()
    return {
        "v": VERSION,
        "typ": CONTENT_TYPE,
        "mandat": str(mandat.uuid),
        "public_id": mandat.public_id,
        "usager": snapshot_digest(signed_identity(mandat)),
        "structure": {
            "siret": mandat.structure.siret,
            "uuid": str(mandat.structure.uuid),
        },
        "aidant": str(mandat.created_by.uuid),
        "demarches": sorted(demarches),
        "duration_days": mandat.duration_days,
        "created_at": _utc(mandat.created_at),
        "expires_at": _utc(mandat.expires_at),
        "consent": mandat.consent,
        "renewed_from": str(mandat.renewed_from.uuid) if mandat.renewed_from else None,
    }


def sign_mandat(mandat: Mandat, demarches: list[str] | None = None) -> tuple[str, str]:
    """Return (compact JWS, kid) for the mandate's canonical content. Writes
    nothing: the caller (mandats.services) stores both in its transaction."""
    token = sign_jws(
        canonical_content(mandat, demarches), purpose=KeyPurpose.MANDAT, alg=SIGNING_ALG
    )
    return token, _kid(token)


def _kid(token: str) -> str:
    header = token.split(".", 1)[0]
    padded = header + "=" * (-len(header) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))["kid"]


def mandat_jwks() -> dict[str, Any]:
    """The mandate key set: every mandate key, current and retired (and the keys
    from before one key per purpose), so signatures survive rotations."""
    return public_jwks(KeyPurpose.MANDAT, KeyPurpose.LEGACY)


def signed_payload(token: str, jwks: dict[str, Any] | None = None) -> dict:
    """The verified payload of a mandate JWS, checked against `jwks` (default:
    the mandate key set); raises audit.keys.InvalidSignature."""
    payload = verify_jws(token, mandat_jwks() if jwks is None else jwks)
    if payload.get("typ") != CONTENT_TYPE:
        raise InvalidSignature("not a Relais mandate signature")
    return payload


def verify_mandat_signature(mandat: Mandat, jwks: dict[str, Any] | None = None) -> bool:
    """True when the stored JWS verifies with a published key and its payload is
    exactly the mandate's canonical content as re-derived from the database."""
    if not mandat.signature or not snapshot_matches_usager(mandat):
        return False
    try:
        payload = signed_payload(mandat.signature, jwks)
    except InvalidSignature:
        return False
    return payload == canonical_content(mandat)
