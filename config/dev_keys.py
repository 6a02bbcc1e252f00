"""The secret key and the key-encryption keys, from the environment or, in
development, from git-ignored files generated on first use (config/settings.py)."""

import base64
import os
import secrets
from pathlib import Path

from config.env import env_secret


def _dev_file(base_dir: Path, name: str, make) -> str:
    """A development secret kept in a git-ignored file of the project folder,
    generated on first use. `check --deploy` refuses it (aidants/audit checks)."""
    path = base_dir / name
    if not path.exists():
        # Written whole with mode 0600 first, then linked into place: concurrent
        # first starts (test workers, autoreloader) never read a partial key.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(make())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def secret_key(base_dir: Path) -> tuple[str, bool]:
    """Return (key, generated). Without DJANGO_SECRET_KEY, a dev key is kept in a
    git-ignored file; `check --deploy` refuses it (see aidants.checks)."""
    key = env_secret("DJANGO_SECRET_KEY")
    if key:
        return key, False
    return _dev_file(base_dir, ".secret_key", lambda: secrets.token_urlsafe(50)), True


def key_encryption_keys(base_dir: Path) -> tuple[list[str], bool]:
    """Return (Fernet keys, generated): the key-encryption keys (KEK) that seal the
    private signing keys and the OTP seeds stored in the database. The first one
    seals; the others still open (rotation, `manage.py rotate_key_encryption_key`).
    Without RELAIS_KEY_ENCRYPTION_KEY(_FILE), a dev key is kept in a git-ignored
    file; `check --deploy` refuses it (see audit.checks)."""
    value = env_secret("RELAIS_KEY_ENCRYPTION_KEY")
    generated = not value
    if generated:
        value = _dev_file(
            base_dir,
            ".key_encryption_key",
            lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        )
    return [k for k in value.replace(",", " ").split() if k], generated
