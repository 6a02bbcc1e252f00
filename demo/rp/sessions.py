"""The demo service's record of sessions that Relais ended (back-channel
logout), and of logout tokens already used (`jti`). Plain files under
settings.DEMO_SERVICE_STATE_DIR, named by a hash: shared by every process."""

import hashlib
import os
from pathlib import Path

from django.conf import settings


def _path(kind: str, value: str) -> Path:
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()
    return Path(settings.DEMO_SERVICE_STATE_DIR) / kind / digest


def _mark_once(kind: str, value: str) -> bool:
    """Create the marker; False when it already existed."""
    path = _path(kind, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def end(sid: str, jti: str) -> bool:
    """Note that Relais ended session `sid`; False for a replayed token."""
    if not _mark_once("jti", jti):
        return False
    _mark_once("sid", sid)
    return True


def is_ended(sid: str) -> bool:
    return bool(sid) and _path("sid", sid).exists()
