"""Re-computing the journal's chain and checking its signed checkpoints.

Entries are streamed in sequence order as plain rows (one query, constant
memory) and re-hashed in a tight loop (audit.verify.chain). A full run checks
the whole chain; an incremental run resumes at the witnessed checkpoint that
the previous run reached, recorded in the witness folder (outside the
database), so the daily run reads only what is new. docs/journal.md says what
each mode proves; docs/performance.md gives the measured times.
"""

import contextlib
import hashlib
import heapq
import time
from collections.abc import Iterator
from pathlib import Path

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import witness
from audit.keys import KeyPurpose, public_jwks
from audit.models import GENESIS_HASH, JournalEntry, JournalHead
from audit.verify import chain
from audit.verify.checkpoints import (
    Pending,
    Signatures,
    load_witness,
    reconcile,
    signed_rows,
    witnessed,
)
from audit.verify.report import Broken, Problem, VerifyReport, WitnessMark

__all__ = ["Problem", "VerifyReport", "WitnessMark", "verify_journal"]


def _anchor(from_seq: int) -> str:
    """The hash the entry `from_seq` must link to (with `--from`: the stored
    hash of the entry before it)."""
    if from_seq <= 1:
        return GENESIS_HASH
    previous = (
        JournalEntry.objects.filter(seq=from_seq - 1)
        .values_list("entry_hash", flat=True)
        .first()
    )
    if previous is None:
        raise Broken(
            Problem(
                from_seq - 1,
                _("entrée n°%(seq)s absente (point de départ de la vérification)")
                % {"seq": from_seq - 1},
            )
        )
    return previous


def _genesis_of(path: Path | str) -> str:
    """The genesis hash naming a witness file."""
    return Path(path).name.removesuffix(witness.SUFFIX)


def _resume_point(found: witness.Witness) -> WitnessMark | None:
    """The witnessed checkpoint the last successful run verified the chain up
    to, provided it is still a line of the witness. Raises Broken otherwise."""
    try:
        mark = witness.read_progress(_genesis_of(found.path))
    except witness.WitnessError as exc:
        raise Broken(Problem(None, _("témoin illisible : %s") % exc)) from exc
    if mark is None:
        return None
    resume = WitnessMark(mark["seq"], mark["entry_hash"], mark["signature"])
    for item in found.checkpoints:
        if WitnessMark(item.seq, item.entry_hash, item.signature) == resume:
            return resume
    raise Broken(
        Problem(
            resume.seq,
            _(
                "la marque de vérification (entrée n°%(seq)s) ne correspond à "
                "aucun point de contrôle du témoin : dossier témoin remplacé ? "
                "Lancez verify_journal --full"
            )
            % {"seq": resume.seq},
        )
    )


def _walk(report: VerifyReport, head_seq: int, head_hash: str, resume: bool) -> None:
    """Check every entry from `report.from_seq` on against the checkpoint rows
    and the witness, then the tail and the witness's rows; raise Broken at the
    first problem."""

    found, missing = load_witness(report)
    mark = _resume_point(found) if resume and found is not None else None
    if mark is not None:
        report.from_seq = report.resumed_from = mark.seq
    from_seq = report.from_seq
    signatures = Signatures()
    jwks = public_jwks(KeyPurpose.CHECKPOINT, KeyPurpose.LEGACY)
    rows = signed_rows(jwks, signatures, from_seq)
    lines = witnessed(found, signatures, from_seq) if found else iter(())
    # Rows first on equal seq: a tampered row is named by its id.
    checkpoints = heapq.merge(rows, lines, key=lambda item: item[0])
    # Resumed: the first entry is anchored by the witness (its recomputed hash
    # must be the witnessed one), not by the entry before it, which an earlier
    # run verified.
    prev = None if mark is not None else _anchor(from_seq)
    with chain.reading():
        try:
            pending = _check_entries(report, prev, checkpoints, head_seq, head_hash)
        finally:
            rows.close()  # its cursor, before the read transaction ends
    _check_tail(report, pending, head_seq)
    if missing is not None:
        raise Broken(missing)
    if found is not None:
        reconcile(found)


def _check_entries(
    report: VerifyReport,
    prev: str | None,
    checkpoints: Iterator[Pending],
    head_seq: int,
    head_hash: str,
) -> Pending | None:
    """The chain itself: gap-free numbering, links, recomputed hashes, each
    checkpoint's hash and the head's. Returns the first checkpoint not reached
    (a truncated journal)."""
    from_seq = expected = report.from_seq
    pending = next(checkpoints, None)
    while pending is not None and pending[0] < from_seq:
        pending = next(checkpoints, None)
    next_checkpoint = pending[0] if pending is not None else -1
    # Locals, not attribute lookups, in the loop; same canonical JSON as
    # audit.journal.canonical_values (keys in sorted order, see chain.py).
    sha256, enc, details_json = hashlib.sha256, chain.encode_string, chain.details_json
    # Closed on the way out, an exception included: its cursor (and, on
    # PostgreSQL, its fetching thread) end before the read transaction does.
    try:
        with contextlib.closing(chain.batches(from_seq)) as batches:
            for rows in batches:
                report.read += len(rows)
                for (
                    seq,
                    prev_hash,
                    stored,
                    action,
                    actor_id,
                    actor_type,
                    client_id,
                    created,
                    demarche,
                    details,
                    mandat_id,
                    structure_id,
                    usager_id,
                ) in rows:
                    if seq != expected:
                        raise Broken(_missing(expected, seq))
                    if prev is None:
                        prev = prev_hash
                    elif prev_hash != prev:
                        raise Broken(_unlinked(seq))
                    try:
                        canonical = (
                            f'{{"action":{enc(action)},"actor_id":{enc(actor_id)},'
                            f'"actor_type":{enc(actor_type)},"client_id":{enc(client_id)},'
                            f'"created_at":{enc(created)},"demarche":{enc(demarche)},'
                            f'"details":{details_json(details)},'
                            f'"mandat_id":{enc(mandat_id)},"seq":{seq},'
                            f'"structure_id":{enc(structure_id)},'
                            f'"usager_id":{enc(usager_id)}}}'
                        )
                        entry_hash = sha256((prev + canonical).encode()).hexdigest()
                    except (ValueError, TypeError, StopIteration):
                        entry_hash = None
                    if entry_hash != stored:
                        # The arbiter: the reference computation, through the ORM.
                        entry_hash = chain.reference_hash(seq, prev)
                        if entry_hash is None or entry_hash != stored:
                            raise Broken(_modified(seq))
                    if seq == next_checkpoint:
                        pending = _reach_checkpoints(
                            report, seq, entry_hash, pending, checkpoints
                        )
                        next_checkpoint = pending[0] if pending is not None else -1
                    if seq == head_seq and entry_hash != head_hash:
                        raise Broken(_not_the_head(seq))
                    prev, expected = entry_hash, seq + 1
    finally:
        report.checked = expected - from_seq
        report.last_seq = expected - 1
    return pending


def _reach_checkpoints(
    report: VerifyReport,
    seq: int,
    entry_hash: str,
    pending: Pending | None,
    checkpoints: Iterator[Pending],
) -> Pending | None:
    """Entry `seq` (hash recomputed) is covered by the pending checkpoints: each
    must name that very hash. Returns the next checkpoint."""
    while pending is not None and pending[0] == seq:
        if pending[1] != entry_hash:
            raise Broken(
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
            report.mark = WitnessMark(seq, entry_hash, pending[4])
        else:
            report.checkpoints += 1
        pending = next(checkpoints, None)
    return pending


def _missing(expected: int, seq: int) -> Problem:
    return Problem(
        expected,
        _("entrée n°%(seq)s absente (la suivante est la n°%(next)s)")
        % {"seq": expected, "next": seq},
    )


def _unlinked(seq: int) -> Problem:
    return Problem(
        seq,
        _(
            "entrée n°%(seq)s : prev_hash ne correspond pas à l'empreinte "
            "de l'entrée n°%(prev)s"
        )
        % {"seq": seq, "prev": seq - 1},
    )


def _not_the_head(seq: int) -> Problem:
    return Problem(
        seq,
        _("entrée n°%(seq)s : ne correspond pas à la tête du journal") % {"seq": seq},
    )


def _modified(seq: int) -> Problem:
    return Problem(
        seq,
        _("entrée n°%(seq)s : contenu modifié (empreinte recalculée différente)")
        % {"seq": seq},
    )


def _check_tail(report: VerifyReport, pending: Pending | None, head_seq: int) -> None:
    last_seq = report.last_seq
    if report.read == 0 and report.from_seq > 1:
        # Nothing from the resume point on: name the real last entry.
        last_seq = JournalEntry.objects.aggregate(last=Max("seq"))["last"] or 0
    if pending is not None and pending[0] > 0:
        raise Broken(
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
        raise Broken(
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
        raise Broken(
            Problem(
                current + 1,
                _(
                    "entrée n°%(seq)s ajoutée hors du journal (la tête indique "
                    "n°%(head)s)"
                )
                % {"seq": current + 1, "head": current},
            )
        )


def _save_progress(report: VerifyReport) -> None:
    """Record, in the witness folder, the witnessed checkpoint this successful
    run verified the chain up to (only when it moved on)."""
    if report.mark is None or not report.witness_path:
        return
    genesis = _genesis_of(report.witness_path)
    previous = witness.read_progress(genesis)
    if previous is not None and previous["seq"] == report.mark.seq:
        return
    witness.append_progress(
        genesis,
        {
            "seq": report.mark.seq,
            "entry_hash": report.mark.entry_hash,
            "signature": report.mark.signature,
            "verified_at": timezone.now().isoformat(),
            "from_seq": report.from_seq,
            "entries": report.checked,
        },
    )
    report.progress_saved = True


def verify_journal(
    *, from_seq: int = 1, incremental: bool = False, save_progress: bool = False
) -> VerifyReport:
    """Recompute the chain (hashes, prev_hash links, gap-free sequence), check
    every signed checkpoint, the head, and the database against the witness.

    Full by default (from entry 1, or `from_seq`). `incremental=True` resumes at
    the witnessed checkpoint recorded by the last successful run that saved its
    progress (full when there is none). `save_progress=True` records, in the
    witness folder, how far a successful run got. Never raises on a broken
    journal: the report names the first problem. Writes nothing to the database.
    Raises OSError when the progress cannot be written.
    """
    report = VerifyReport(from_seq=max(1, from_seq))
    started = time.monotonic()
    # Read the head before the entries: entries appended meanwhile come after it.
    head_seq, head_hash = JournalHead.objects.values_list("seq", "entry_hash").get(pk=1)
    try:
        _walk(report, head_seq, head_hash, incremental and from_seq <= 1)
    except Broken as broken:
        report.problem = broken.problem
    report.elapsed = time.monotonic() - started
    if report.ok and save_progress:
        _save_progress(report)
    return report
