"""Re-computing the journal's chain and checking its signed checkpoints.

Streams entries in sequence order (constant memory): a 1,000,000-entry journal is
checked in a single pass, see docs/journal.md for the measured time.
"""

import hashlib
import heapq
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from audit import witness
from audit.checkpoints import CHECKPOINT_TYPE, checkpoint_payload, journal_genesis
from audit.journal import HASHED_FIELDS
from audit.keys import InvalidSignature, KeyPurpose, public_jwks, verify_jws
from audit.models import GENESIS_HASH, JournalCheckpoint, JournalEntry, JournalHead

CHUNK_SIZE = 5000


@dataclass
class Problem:
    """The first thing found wrong: which entry (or checkpoint) and what."""

    seq: int | None
    message: str
    checkpoint_id: int | None = None


@dataclass
class VerifyReport:
    checked: int = 0
    checkpoints: int = 0
    elapsed: float = 0.0
    problem: Problem | None = None
    last_seq: int = 0
    witnessed: int = 0
    witness_seq: int = 0
    witness_path: str = ""

    @property
    def uncovered(self) -> int:
        """Entries after the last witnessed checkpoint: not yet provable against
        a truncation by someone who can write the database."""
        return max(0, self.last_seq - self.witness_seq)

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Broken(Exception):  # noqa: N818 - internal control flow
    def __init__(self, problem: Problem):
        self.problem = problem


Pending = tuple[int, str, str, int | None]


def _signed_checkpoints(jwks: dict[str, Any]) -> Iterator[Pending]:
    """Yield (seq, entry_hash, label, checkpoint id) of every checkpoint row in
    seq order, after checking its signature and that the row says what was
    signed."""

    rows = JournalCheckpoint.objects.order_by("seq", "pk").values_list(
        "pk", "seq", "entry_hash", "created_at", "signature"
    )
    for pk, seq, entry_hash, created_at, signature in rows.iterator(
        chunk_size=CHUNK_SIZE
    ):
        try:
            payload = verify_jws(signature, jwks)
        except InvalidSignature as exc:
            raise _Broken(
                Problem(
                    seq,
                    _("point de contrôle n°%(id)s : signature invalide (%(why)s)")
                    % {"id": pk, "why": exc},
                    pk,
                )
            ) from exc
        if (
            payload.get("typ") != CHECKPOINT_TYPE
            or payload.get("seq") != seq
            or payload.get("entry_hash") != entry_hash
            or payload.get("created_at") != created_at.astimezone(UTC).isoformat()
        ):
            raise _Broken(
                Problem(
                    seq,
                    _("point de contrôle n°%(id)s : modifié après sa signature")
                    % {"id": pk},
                    pk,
                )
            )
        yield seq, entry_hash, _("point de contrôle signé n°%(id)s") % {"id": pk}, pk


def _witnessed_checkpoints(witness: Any) -> Iterator[Pending]:
    """Yield (seq, entry_hash, label, None) of every checkpoint of the witness,
    after checking its signature with the key pinned in the witness (never with
    a key from the database)."""

    for item in witness.checkpoints:
        label = _("point de contrôle du témoin (ligne %(line)s)") % {"line": item.line}
        jwk = witness.keys.get(item.kid)
        if jwk is None:
            raise _Broken(
                Problem(item.seq, _("%(what)s : clé non épinglée") % {"what": label})
            )
        try:
            payload = verify_jws(item.signature, {"keys": [jwk]})
        except InvalidSignature as exc:
            raise _Broken(
                Problem(
                    item.seq,
                    _("%(what)s : signature invalide (%(why)s)")
                    % {"what": label, "why": exc},
                )
            ) from exc
        try:
            signed = checkpoint_payload(
                seq=item.seq,
                entry_hash=item.entry_hash,
                created_at=datetime.fromisoformat(item.created_at),
            )
        except (ValueError, TypeError):
            signed = None
        if payload != signed:
            raise _Broken(
                Problem(item.seq, _("%(what)s : ligne modifiée") % {"what": label})
            )
        yield item.seq, item.entry_hash, label, None


def _load_witness(report: VerifyReport) -> tuple[Any, Problem | None]:
    """(the journal's witness or None, the problem to report after the chain
    walk when a witness should exist but does not). Raises _Broken when the
    witness is unreadable."""

    genesis = journal_genesis()
    others = witness.other_journals(genesis)
    found = None
    if genesis is not None:
        try:
            found = witness.read(genesis)
        except witness.WitnessError as exc:
            raise _Broken(Problem(None, _("témoin illisible : %s") % exc)) from exc
    if found is not None:
        report.witness_path = str(found.path)
        return found, None
    if others:
        return None, (
            Problem(
                1,
                _(
                    "aucun témoin pour ce journal (entrée n°1 %(hash)s…), mais le "
                    "dossier témoin %(dir)s en garde un autre (%(other)s…) : "
                    "entrée n°1 réécrite, ou mauvais dossier témoin"
                )
                % {
                    "hash": (genesis or "absente")[:16],
                    "dir": witness.directory(),
                    "other": others[0][:16],
                },
            )
        )
    if JournalCheckpoint.objects.exists():
        return None, (
            Problem(
                None,
                _(
                    "le journal a des points de contrôle mais aucun témoin dans "
                    "%(dir)s (lancez journal_checkpoint après une mise à jour, ou "
                    "vérifiez RELAIS_JOURNAL_WITNESS_DIR)"
                )
                % {"dir": witness.directory()},
            )
        )
    return None, None


def _reconcile(report: VerifyReport, witness: Any) -> None:
    """Every witnessed checkpoint has its row in the database, saying the same;
    every row is witnessed. Raises _Broken on the first difference."""
    rows = list(
        JournalCheckpoint.objects.order_by("seq", "pk").values_list(
            "pk", "seq", "entry_hash", "created_at", "kid", "signature"
        )
    )
    # By signature: a signature names one checkpoint (linear, not quadratic).
    unmatched = {row[5]: row for row in rows}
    for item in witness.checkpoints:
        row = unmatched.get(item.signature)
        if row is None or not item.matches(row[1:]):
            raise _Broken(
                Problem(
                    item.seq,
                    _(
                        "le point de contrôle de l'entrée n°%(seq)s (témoin, ligne "
                        "%(line)s) n'est plus dans la base : ligne supprimée ou "
                        "re-signée"
                    )
                    % {"seq": item.seq, "line": item.line},
                )
            )
        del unmatched[item.signature]
    for pk, seq, *_rest in unmatched.values():
        raise _Broken(
            Problem(
                seq,
                _(
                    "point de contrôle n°%(id)s absent du témoin : ajouté ou "
                    "re-signé hors de journal_checkpoint"
                )
                % {"id": pk},
                pk,
            )
        )


def _anchor(from_seq: int) -> str:
    """The hash the entry `from_seq` must link to."""
    if from_seq <= 1:
        return GENESIS_HASH
    previous = (
        JournalEntry.objects.filter(seq=from_seq - 1)
        .values_list("entry_hash", flat=True)
        .first()
    )
    if previous is None:
        raise _Broken(
            Problem(
                from_seq - 1,
                _("entrée n°%(seq)s absente (point de départ de la vérification)")
                % {"seq": from_seq - 1},
            )
        )
    return previous


def _walk(report: VerifyReport, from_seq: int, head_seq: int, head_hash: str) -> None:
    """Check every entry from `from_seq` on against the checkpoint rows and the
    witness; raise _Broken at the first problem."""

    witness, missing = _load_witness(report)
    db_rows = _signed_checkpoints(public_jwks(KeyPurpose.CHECKPOINT, KeyPurpose.LEGACY))
    witnessed = _witnessed_checkpoints(witness) if witness else iter(())
    # Rows first on equal seq: a tampered row is named by its id.
    checkpoints = heapq.merge(db_rows, witnessed, key=lambda item: item[0])
    pending = next(checkpoints, None)
    while pending is not None and pending[0] < from_seq:
        pending = next(checkpoints, None)
    expected_seq, prev = from_seq, _anchor(from_seq)
    sha256, dumps = hashlib.sha256, json.dumps
    rows = (
        JournalEntry.objects.filter(seq__gte=from_seq)
        .order_by("seq")
        .values_list(*HASHED_FIELDS, "prev_hash", "entry_hash")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        seq = row[0]
        if seq != expected_seq:
            raise _Broken(
                Problem(
                    expected_seq,
                    _("entrée n°%(seq)s absente (la suivante est la n°%(next)s)")
                    % {"seq": expected_seq, "next": seq},
                )
            )
        if row[11] != prev:
            raise _Broken(
                Problem(
                    seq,
                    _(
                        "entrée n°%(seq)s : prev_hash ne correspond pas à l'empreinte "
                        "de l'entrée n°%(prev)s"
                    )
                    % {"seq": seq, "prev": seq - 1},
                )
            )
        # Same computation as audit.journal.hash_values, inlined for speed.
        data = dict(zip(HASHED_FIELDS, row[:11], strict=False))
        data["created_at"] = row[1].astimezone(UTC).isoformat()
        canonical = dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        entry_hash = sha256((prev + canonical).encode("utf-8")).hexdigest()
        if entry_hash != row[12]:
            raise _Broken(
                Problem(
                    seq,
                    _(
                        "entrée n°%(seq)s : contenu modifié (empreinte recalculée "
                        "différente)"
                    )
                    % {"seq": seq},
                )
            )
        while pending is not None and pending[0] == seq:
            if pending[1] != entry_hash:
                raise _Broken(
                    Problem(
                        seq,
                        _("entrée n°%(seq)s : ne correspond pas au %(what)s")
                        % {"seq": seq, "what": pending[2]},
                        pending[3],
                    )
                )
            if pending[3] is None:
                report.witnessed += 1
                report.witness_seq = seq
            else:
                report.checkpoints += 1
            pending = next(checkpoints, None)
        if seq == head_seq and entry_hash != head_hash:
            raise _Broken(
                Problem(
                    seq,
                    _("entrée n°%(seq)s : ne correspond pas à la tête du journal")
                    % {"seq": seq},
                )
            )
        prev, expected_seq = entry_hash, seq + 1
        report.checked += 1
        report.last_seq = seq
    _check_tail(report, expected_seq - 1, pending, head_seq)
    if missing is not None:
        raise _Broken(missing)
    if witness is not None:
        _reconcile(report, witness)


def _check_tail(report: VerifyReport, last_seq: int, pending: Any, head_seq: int):
    if pending is not None and pending[0] > 0:
        raise _Broken(
            Problem(
                pending[0],
                _(
                    "journal tronqué : l'entrée n°%(seq)s, couverte par le "
                    "%(what)s, est absente (dernière entrée : n°%(last)s)"
                )
                % {"seq": pending[0], "what": pending[2], "last": last_seq},
                pending[3],
            )
        )
    if last_seq < head_seq:
        raise _Broken(
            Problem(
                last_seq + 1,
                _(
                    "journal tronqué : la tête du journal indique l'entrée n°%(head)s, "
                    "la dernière présente est la n°%(last)s"
                )
                % {"head": head_seq, "last": last_seq},
            )
        )
    # Entries appended while we were reading moved the head on; an entry beyond
    # the current head was not written by audit.record.
    current = JournalHead.objects.values_list("seq", flat=True).get(pk=1)
    if last_seq > current:
        raise _Broken(
            Problem(
                current + 1,
                _(
                    "entrée n°%(seq)s ajoutée hors du journal (la tête indique "
                    "n°%(head)s)"
                )
                % {"seq": current + 1, "head": current},
            )
        )


def verify_journal(*, from_seq: int = 1) -> VerifyReport:
    """Recompute the chain from `from_seq` (hashes, prev_hash links, gap-free
    sequence), check every signed checkpoint and the head. Never raises on a
    broken journal: the report names the first problem. Writes nothing."""
    report = VerifyReport()
    started = time.monotonic()
    # Read the head before the entries: entries appended meanwhile come after it.
    head_seq, head_hash = JournalHead.objects.values_list("seq", "entry_hash").get(pk=1)
    try:
        _walk(report, max(1, from_seq), head_seq, head_hash)
    except _Broken as broken:
        report.problem = broken.problem
    report.elapsed = time.monotonic() - started
    return report
