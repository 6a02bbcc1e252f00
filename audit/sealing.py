"""Secrets sealed under the key-encryption key (KEK), which lives outside the database.

Private signing keys and OTP seeds are stored as Fernet tokens (AES-128-CBC +
HMAC-SHA-256, `cryptography`), never in clear: a copy of the database alone
opens none of them. `settings.KEY_ENCRYPTION_KEYS` lists the Fernet keys, the
first one seals and every one opens (MultiFernet), so the KEK rotates in three
steps: put a new key first, run `manage.py rotate_key_encryption_key`, remove the
old key.

    from audit.sealing import seal, unseal
    token = seal(b"secret")            # str, safe to store
    unseal(token) == b"secret"         # raises audit.sealing.SealError

Columns holding sealed values are `SealedField`s: the rotation command finds them
through the app registry, so this app imports none of the apps that use them.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction

__all__ = [
    "SealError",
    "SealedField",
    "pepper_hmacs",
    "reseal_all",
    "seal",
    "unseal",
]


class SealError(Exception):
    """A sealed value that no configured key-encryption key opens (wrong or
    removed KEK, or a value not written by `seal`)."""


class SealedField(models.TextField):
    """A text column holding a Fernet token made by `seal` (never the clear value).

    The model exposes the clear value through a property that calls `unseal`;
    dumps, admin and serializers only ever see the token.
    """


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "No key-encryption key: set RELAIS_KEY_ENCRYPTION_KEY(_FILE)."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "RELAIS_KEY_ENCRYPTION_KEY must hold Fernet keys (32 bytes, urlsafe "
            "base64), separated by commas or spaces."
        ) from exc


def _keys() -> tuple[str, ...]:
    return tuple(settings.KEY_ENCRYPTION_KEYS)


def seal(secret: bytes) -> str:
    """Encrypt `secret` under the current KEK; returns an ASCII token."""
    return _fernet(_keys()).encrypt(secret).decode("ascii")


def unseal(token: str) -> bytes:
    """Decrypt a token made by `seal` with any configured KEK. Raises SealError."""
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError, AttributeError) as exc:
        raise SealError(
            "sealed value that no configured key-encryption key opens"
        ) from exc


def pepper_hmacs(message: bytes, *, purpose: str) -> list[str]:
    """HMAC-SHA-256 (hex) of `message` under a pepper derived (HKDF) from each
    configured KEK for `purpose`, current KEK first: store the first, look up
    any (codes hashed before a KEK rotation keep matching while the old KEK is
    still listed)."""
    return [
        hmac.new(_pepper(key, purpose), message, hashlib.sha256).hexdigest()
        for key in _keys()
    ]


@lru_cache(maxsize=16)
def _pepper(key: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"relais pepper {purpose}".encode(),
    )
    return hkdf.derive(key.encode("ascii"))


def sealed_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) of the project declared as a SealedField."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, SealedField)
    ]


def reseal_all() -> dict[str, int]:
    """Re-encrypt every sealed column under the current KEK (after a new key was
    put first in RELAIS_KEY_ENCRYPTION_KEY). Atomic; returns counts per model.
    Raises SealError if a value opens with none of the configured keys."""
    fernet = _fernet(_keys())
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, name in sealed_fields():
            label = model._meta.label
            rows = model._default_manager.select_for_update().exclude(**{name: ""})
            for pk, token in rows.values_list("pk", name):
                try:
                    fresh = fernet.rotate(token.encode("ascii")).decode("ascii")
                except InvalidToken as exc:
                    raise SealError(f"{label} #{pk}: {name} does not open") from exc
                model._default_manager.filter(pk=pk).update(**{name: fresh})
                counts[label] = counts.get(label, 0) + 1
    return counts
