"""The service's signing keys, one per purpose: id_tokens, mandate signatures,
journal checkpoints (`KeyPurpose`).

Keys live in the database (several stateless app instances share them), sealed
under the key-encryption key (audit.sealing), one active key per purpose and
algorithm. Public keys are derived from the sealed private keys, so a row that
someone inserted into the database without the KEK is never published nor
trusted. Rotation retires the old key but keeps it published so that everything
it signed still verifies, until an operator deletes the row.

    from audit.keys import KeyPurpose, sign_jws, verify_jws, public_jwks
    token = sign_jws({"n": 12}, purpose=KeyPurpose.MANDAT)
    payload = verify_jws(token, public_jwks(KeyPurpose.MANDAT))
"""

import json
import logging
import threading
import time
import warnings
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from audit.actions import Action
from audit.journal import lock_head, record
from audit.models import KeyAlgorithm, KeyPurpose, ServiceKey
from audit.sealing import SealError, seal, unseal

logger = logging.getLogger(__name__)

__all__ = [
    "InvalidSignature",
    "KeyPurpose",
    "canonical_json",
    "current_key",
    "public_jwks",
    "rotate_key",
    "sign_jws",
    "verify_jws",
]

_KEY_CLASSES = {"ES256": ECKey, "RS256": RSAKey, "EdDSA": OKPKey}
_KTY_FOR_ALG = {"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"}


class InvalidSignature(Exception):  # noqa: N818 - the name says what happened
    """A JWS that does not verify: malformed, unknown kid, alg mismatch, bad
    signature or non-object payload. The message says which."""


def canonical_json(payload: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces, UTF-8): what gets signed."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _check_alg(alg: str) -> str:
    if alg not in KeyAlgorithm.values:
        raise ValueError(f"Unsupported signing algorithm: {alg!r}")
    return alg


def _check_purpose(purpose: str) -> str:
    if purpose not in KeyPurpose.values or purpose == KeyPurpose.LEGACY:
        raise ValueError(f"Unsupported key purpose: {purpose!r}")
    return purpose


def _generate(alg: str) -> tuple[str, str, dict[str, Any]]:
    """A fresh key pair: (kid, sealed private PEM, public JWK with kid/alg/use)."""
    if alg == "ES256":
        key = ECKey.generate_key("P-256", auto_kid=True)
    elif alg == "RS256":
        key = RSAKey.generate_key(2048, auto_kid=True)
    else:
        key = OKPKey.generate_key("Ed25519", auto_kid=True)
    # auto_kid is the RFC 7638 thumbprint: unique per key, stable, not secret.
    kid = key.kid
    public = dict(key.as_dict(private=False))
    public.update(kid=kid, alg=alg, use="sig")
    return kid, seal(key.as_pem(private=True)), public


def current_key(alg: str = "ES256", *, purpose: str) -> ServiceKey:
    """The active key for `purpose` and `alg`, created on first use.

    Race-safe: when two workers create it at once, the partial unique constraint
    (one active key per purpose and alg) lets one win and the other reads the
    winner's key. Journals nothing (creation is not a rotation). Raises
    ValueError on an unknown alg or purpose.
    """
    _check_alg(alg)
    _check_purpose(purpose)
    mine = ServiceKey.objects.filter(purpose=purpose, alg=alg, active=True)
    key = mine.first()
    if key is not None:
        return key
    kid, sealed, public = _generate(alg)
    try:
        with transaction.atomic():
            return ServiceKey.objects.create(
                kid=kid,
                purpose=purpose,
                alg=alg,
                sealed_private_key=sealed,
                public_jwk=public,
                active=True,
            )
    except IntegrityError:
        return mine.get()


def rotate_key(alg: str = "ES256", *, purpose: str, actor: Any = None) -> ServiceKey:
    """Make a new key current for `purpose` and `alg`; the old one is retired but
    stays published.

    Journals SIGNING_KEY_ROTATED (purpose, kid, previous kid) in the same
    transaction; the journal append locks the head row first, which also
    serializes two concurrent rotations. `actor` as for `audit.record` (None:
    the system). Raises ValueError on an unknown alg or purpose.
    """
    _check_alg(alg)
    _check_purpose(purpose)
    kid, sealed, public = _generate(alg)
    with transaction.atomic():
        lock_head()
        previous = (
            ServiceKey.objects.select_for_update()
            .filter(purpose=purpose, alg=alg, active=True)
            .first()
        )
        if previous is not None:
            previous.active = False
            previous.retired_at = timezone.now()
            previous.save(update_fields=["active", "retired_at"])
        key = ServiceKey.objects.create(
            kid=kid,
            purpose=purpose,
            alg=alg,
            sealed_private_key=sealed,
            public_jwk=public,
            active=True,
        )
        record(
            Action.SIGNING_KEY_ROTATED,
            actor=actor,
            details={
                "purpose": purpose,
                "alg": alg,
                "kid": kid,
                "previous_kid": previous.kid if previous else "",
            },
        )
        transaction.on_commit(forget_signing_keys)
    forget_signing_keys()
    return key


def public_jwks(*purposes: str) -> dict[str, list[dict[str, Any]]]:
    """The public JWK of every stored key (active and retired) of these purposes
    (all purposes when none is given), for the JWKS URL and for verification.

    Each public key is derived from the sealed private key: a row whose private
    key does not open with the KEK (inserted by someone without it) is left out.
    """
    rows = ServiceKey.objects.order_by("-active", "-created_at")
    if purposes:
        rows = rows.filter(purpose__in=purposes)
    keys = []
    for kid, alg, sealed in rows.values_list("kid", "alg", "sealed_private_key"):
        public = _public_jwk(kid, alg, sealed, tuple(settings.KEY_ENCRYPTION_KEYS))
        if public is not None:
            keys.append(dict(public))
    return {"keys": keys}


@lru_cache(maxsize=256)
def _public_jwk(
    kid: str, alg: str, sealed: str, kek: tuple[str, ...]
) -> dict[str, Any] | None:
    # Cached per sealed value and KEK list: opening a key costs a decryption.
    try:
        key = _KEY_CLASSES[alg].import_key(unseal(sealed))
    except (SealError, KeyError, ValueError, TypeError) as exc:
        logger.warning("Signing key %s not published: %s", kid, exc)
        return None
    public = dict(key.as_dict(private=False))
    public.update(kid=kid, alg=alg, use="sig")
    return public


def _private_key(key: ServiceKey) -> ECKey | RSAKey | OKPKey:
    return _KEY_CLASSES[key.alg].import_key(key.private_pem())


# The current signing key per (purpose, alg, KEK list), opened, for this many
# seconds: signing then costs no query and no decryption. After a rotation made
# by another instance, this one signs with the retired key (still published)
# for at most that long; a rotation made here takes effect at once.
SIGNING_KEY_CACHE_SECONDS = 60
_signing_keys: dict[tuple, tuple[float, str, str, Any]] = {}
_signing_keys_lock = threading.Lock()


def forget_signing_keys() -> None:
    """Empty the signing key cache (rotation, tests)."""
    with _signing_keys_lock:
        _signing_keys.clear()


def _signing_key(alg: str, purpose: str) -> tuple[str, str, Any]:
    """(kid, alg, opened private key) of the current key, cached."""
    cache_key = (purpose, alg, tuple(settings.KEY_ENCRYPTION_KEYS))
    now = time.monotonic()
    with _signing_keys_lock:
        cached = _signing_keys.get(cache_key)
    if cached is not None and cached[0] > now:
        return cached[1:]
    key = current_key(alg, purpose=purpose)
    entry = (now + SIGNING_KEY_CACHE_SECONDS, key.kid, key.alg, _private_key(key))
    with _signing_keys_lock:
        _signing_keys[cache_key] = entry
    return entry[1:]


def sign_jws(
    payload: dict[str, Any],
    *,
    purpose: str,
    alg: str = "ES256",
    headers: dict[str, Any] | None = None,
    cached: bool = False,
) -> str:
    """Compact JWS of `payload` as canonical JSON, signed by the current key for
    `purpose` and `alg`.

    The protected header carries `alg` and `kid` (plus any extra `headers`, e.g.
    `{"typ": "JWT"}`). `cached`: the key may come from the signing key cache
    (short-lived tokens whose signer records no kid of its own). Raises
    ValueError on an unknown alg or purpose, and
    audit.sealing.SealError when the key does not open with the KEK.
    """
    _check_alg(alg)
    _check_purpose(purpose)
    if cached:
        kid, key_alg, private = _signing_key(alg, purpose)
    else:
        key = current_key(alg, purpose=purpose)
        kid, key_alg, private = key.kid, key.alg, _private_key(key)
    protected = dict(headers or {})
    protected.update(alg=key_alg, kid=kid)
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" as deprecated by RFC 9864 (fully-specified
        # "Ed25519"); relying parties still expect "EdDSA".
        warnings.simplefilter("ignore")
        return jws.serialize_compact(
            protected, canonical_json(payload), private, algorithms=[key_alg]
        )


def _find_jwk(jwks: dict[str, Any], kid: str) -> dict[str, Any]:
    for candidate in jwks.get("keys", []):
        if isinstance(candidate, dict) and candidate.get("kid") == kid:
            return candidate
    raise InvalidSignature(f"unknown key id {kid!r}")


def verify_jws(token: str, jwks: dict[str, Any] | None = None) -> dict[str, Any]:
    """Verify a compact JWS and return its JSON object payload.

    The key is picked by the header's `kid` in `jwks` (default: every key of this
    service; callers pass the key set of the purpose they verify); the header's
    `alg` must be the key's. Raises InvalidSignature with the reason on anything
    wrong.
    """
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidSignature("malformed token")
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidSignature(f"malformed token: {exc}") from exc
    kid, alg = header.get("kid"), header.get("alg")
    if not isinstance(kid, str) or not kid:
        raise InvalidSignature("missing key id (kid)")
    jwk = _find_jwk(public_jwks() if jwks is None else jwks, kid)
    key_alg = jwk.get("alg") or _alg_for_kty(jwk.get("kty"))
    if alg != key_alg or alg not in _KEY_CLASSES:
        raise InvalidSignature(f"algorithm mismatch: token {alg!r}, key {key_alg!r}")
    try:
        public = _KEY_CLASSES[alg].import_key(jwk)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signed = jws.deserialize_compact(token, public, algorithms=[alg])
        payload = json.loads(signed.payload)
    except JoseError as exc:
        raise InvalidSignature(f"bad signature: {exc}") from exc
    except (ValueError, TypeError, UnicodeError) as exc:
        raise InvalidSignature(f"malformed token: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidSignature("payload is not a JSON object")
    return payload


def _alg_for_kty(kty: Any) -> str | None:
    matches = [alg for alg, k in _KTY_FOR_ALG.items() if k == kty]
    return matches[0] if len(matches) == 1 else None
