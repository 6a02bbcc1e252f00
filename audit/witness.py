"""The journal's witness: append-only files outside the database.

Every signed checkpoint is also appended, one JSON line each, to
`settings.JOURNAL_WITNESS_DIR/<genesis>.jsonl`, where `<genesis>` is the hash of
the journal's first entry (one file per journal). The public key of every
checkpoint key is pinned there on first use. Someone who can write the database
but not this folder cannot make `verify_journal` accept a rewritten, truncated or
re-signed journal: the witness still holds what was signed, and with which key.

Lines:
    {"type": "key", "kid": ..., "jwk": {...public...}, "pinned_at": ...}
    {"type": "checkpoint", "seq": ..., "entry_hash": ..., "created_at": ...,
     "kid": ..., "signature": ...}

Beside it, `<genesis>.verified` records how far `verify_journal` got, one JSON
line per run that moved on (the last line is where the next incremental run
resumes): {"type": "verified", "seq", "entry_hash", "signature", ...}, the
witnessed checkpoint the chain was verified up to. It lives here, not in the
database, so that whoever can write the database cannot move it.

The files are only ever appended to (O_APPEND, fsync); ship them elsewhere with
plain file tools (docs/journal.md).
"""

import json
import os
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings

SUFFIX = ".jsonl"


class WitnessError(Exception):
    """A witness file that cannot be read as written by `append`."""


@dataclass
class WitnessCheckpoint:
    seq: int
    entry_hash: str
    created_at: str
    kid: str
    signature: str
    line: int

    def matches(self, row: tuple[int, str, Any, str, str]) -> bool:
        """True when a database row (seq, entry_hash, created_at, kid, signature)
        says exactly what this line says."""
        seq, entry_hash, created_at, kid, signature = row
        return (seq, entry_hash, kid, signature) == (
            self.seq,
            self.entry_hash,
            self.kid,
            self.signature,
        ) and created_at.astimezone(UTC).isoformat() == self.created_at


@dataclass
class Witness:
    path: Path
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkpoints: list[WitnessCheckpoint] = field(default_factory=list)


def directory() -> Path:
    return Path(settings.JOURNAL_WITNESS_DIR)


def path_for(genesis: str) -> Path:
    """The witness file of the journal whose first entry has hash `genesis`."""
    if len(genesis) != 64 or not all(c in "0123456789abcdef" for c in genesis):
        raise ValueError("genesis must be a SHA-256 hex digest")
    return directory() / f"{genesis}{SUFFIX}"


def other_journals(genesis: str | None) -> list[str]:
    """Genesis hashes of the other journals witnessed in the folder."""
    folder = directory()
    if not folder.is_dir():
        return []
    return sorted(
        p.name[: -len(SUFFIX)]
        for p in folder.glob(f"*{SUFFIX}")
        if p.name[: -len(SUFFIX)] != genesis
    )


def append(genesis: str, records: list[dict[str, Any]]) -> None:
    """Append `records` (JSON lines) to the journal's witness file, creating the
    folder and file if needed, and flush them to disk before returning."""
    _append_lines(path_for(genesis), records)


def _append_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(
        json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records
    ).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_record(
    *, seq: int, entry_hash: str, created_at: Any, kid: str, signature: str
) -> dict[str, Any]:
    return {
        "type": "checkpoint",
        "seq": seq,
        "entry_hash": entry_hash,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "kid": kid,
        "signature": signature,
    }


def key_record(kid: str, jwk: dict[str, Any], at: Any) -> dict[str, Any]:
    public = {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq")}
    public.pop("qi", None)
    return {
        "type": "key",
        "kid": kid,
        "jwk": public,
        "pinned_at": at.astimezone(UTC).isoformat(),
    }


def read(genesis: str) -> Witness | None:
    """The journal's witness, or None when it has no witness file yet. Raises
    WitnessError on a line that is not what `append` writes."""
    path = path_for(genesis)
    if not path.exists():
        return None
    witness = Witness(path=path)
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            try:
                record = json.loads(text)
                if record["type"] == "key":
                    # The first pin wins: a later line cannot replace a key.
                    witness.keys.setdefault(str(record["kid"]), dict(record["jwk"]))
                elif record["type"] == "checkpoint":
                    witness.checkpoints.append(
                        WitnessCheckpoint(
                            seq=int(record["seq"]),
                            entry_hash=str(record["entry_hash"]),
                            created_at=str(record["created_at"]),
                            kid=str(record["kid"]),
                            signature=str(record["signature"]),
                            line=number,
                        )
                    )
                else:
                    raise KeyError("type")
            except (ValueError, KeyError, TypeError) as exc:
                raise WitnessError(f"{path.name}, ligne {number} illisible") from exc
    witness.checkpoints.sort(key=lambda c: (c.seq, c.line))
    return witness


PROGRESS_SUFFIX = ".verified"


def progress_path(genesis: str) -> Path:
    """The file recording how far `verify_journal` verified this journal."""
    return path_for(genesis).with_suffix(PROGRESS_SUFFIX)


def read_progress(genesis: str) -> dict[str, Any] | None:
    """The last verification mark of the journal, or None when there is none.
    Raises WitnessError when the last line is not what `append_progress` writes."""
    path = progress_path(genesis)
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
        mark = {
            "seq": int(record["seq"]),
            "entry_hash": str(record["entry_hash"]),
            "signature": str(record["signature"]),
        }
        if record["type"] != "verified":
            raise KeyError("type")
    except (ValueError, KeyError, TypeError) as exc:
        raise WitnessError(f"{path.name}, ligne {len(lines)} illisible") from exc
    return {**record, **mark}


def append_progress(genesis: str, record: dict[str, Any]) -> None:
    """Append a verification mark (flushed to disk before returning)."""
    _append_lines(progress_path(genesis), [{"type": "verified", **record}])
