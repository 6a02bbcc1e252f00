"""id_token signing keys: the `id_token` service keys of `audit.keys` (database,
sealed under the key-encryption key, shared by every instance), ES256 by default
and RS256 for clients that ask for it. They sign id_tokens and back-channel
logout tokens (typed `logout+jwt`), nothing else; the rest of `oidc` signs and
publishes them only through this module.

Rotation (`manage.py rotate_keys`) makes a new key current; retired keys stay in
the JWKS, so id_tokens signed before the rotation keep verifying until they expire.
"""

from typing import Any

from audit import keys as service_keys
from audit.keys import KeyPurpose

ID_TOKEN_ALGS = ("ES256", "RS256")
PURPOSE = KeyPurpose.ID_TOKEN


def sign_id_token(
    payload: dict[str, Any], *, alg: str = "ES256", typ: str = "JWT"
) -> str:
    """A compact JWS (header `typ`) of `payload` with the current `alg` key's kid."""
    if alg not in ID_TOKEN_ALGS:
        raise ValueError(f"Unsupported id_token algorithm: {alg!r}")
    return service_keys.sign_jws(
        payload, purpose=PURPOSE, alg=alg, headers={"typ": typ}, cached=True
    )


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The published keys that may sign id_tokens (current and retired, and the
    retired keys from before one key per purpose)."""
    published = service_keys.public_jwks(PURPOSE, KeyPurpose.LEGACY)
    return {"keys": [k for k in published["keys"] if k.get("alg") in ID_TOKEN_ALGS]}


def verify_id_token(token: str) -> dict[str, Any]:
    """Payload of an id_token this service signed (expired ones included).
    Raises audit.keys.InvalidSignature."""
    return service_keys.verify_jws(token, jwks())


def ensure_keys() -> None:
    """Create the current ES256 and RS256 keys if missing (first start)."""
    for alg in ID_TOKEN_ALGS:
        service_keys.current_key(alg, purpose=PURPOSE)


def rotate(alg: str = "ES256", *, actor: Any = None):
    """Make a new current key for `alg` (SIGNING_KEY_ROTATED journaled by
    audit.keys.rotate_key); the previous one stays published."""
    if alg not in ID_TOKEN_ALGS:
        raise ValueError(f"Unsupported id_token algorithm: {alg!r}")
    return service_keys.rotate_key(alg, purpose=PURPOSE, actor=actor)
