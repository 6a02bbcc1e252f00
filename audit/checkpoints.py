"""Signed checkpoints of the journal head: they make a truncated tail detectable."""

from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit import witness
from audit.actions import Action
from audit.journal import flush_now, lock_head, record
from audit.keys import (
    InvalidSignature,
    KeyPurpose,
    current_key,
    public_jwks,
    sign_jws,
    verify_jws,
)
from audit.models import JournalCheckpoint, JournalEntry, JournalHead

CHECKPOINT_TYPE = "relais-journal-checkpoint"


def checkpoint_payload(*, seq: int, entry_hash: str, created_at: Any) -> dict[str, Any]:
    """What a checkpoint signs: the head's sequence number and hash, and the time."""
    return {
        "typ": CHECKPOINT_TYPE,
        "seq": seq,
        "entry_hash": entry_hash,
        "created_at": created_at.astimezone(UTC).isoformat(),
    }


def create_checkpoint(*, actor: Any = None) -> JournalCheckpoint:
    """Sign the current head (seq, hash, time) with the checkpoint key, store it,
    and append it to the witness outside the database (audit.witness).

    Journals JOURNAL_CHECKPOINTED afterwards, in the same transaction: that entry
    comes after the checkpointed one, which the next checkpoint will cover. The
    witness line is written (and fsynced) before the transaction commits, so a
    committed checkpoint is always witnessed. Raises OSError when the witness
    cannot be written (nothing is then committed).
    """

    with transaction.atomic():
        # Holding the head lock: no entry can be appended between reading the head
        # and signing it, and two checkpoints never write the witness at once.
        head = lock_head()
        now = timezone.now()
        key = current_key(purpose=KeyPurpose.CHECKPOINT)
        payload = checkpoint_payload(
            seq=head.seq, entry_hash=head.entry_hash, created_at=now
        )
        checkpoint = JournalCheckpoint.objects.create(
            seq=head.seq,
            entry_hash=head.entry_hash,
            created_at=now,
            kid=key.kid,
            signature=sign_jws(payload, purpose=KeyPurpose.CHECKPOINT, alg=key.alg),
        )
        record(
            Action.JOURNAL_CHECKPOINTED,
            actor=actor,
            details={"seq": head.seq, "entry_hash": head.entry_hash, "kid": key.kid},
        )
        flush_now()
        _witness(checkpoint, now)
    return checkpoint


def journal_genesis() -> str | None:
    """The hash of the journal's first entry, which names its witness file."""
    return (
        JournalEntry.objects.filter(seq=1).values_list("entry_hash", flat=True).first()
    )


def _witness(checkpoint: JournalCheckpoint, now: Any) -> None:
    """Append the checkpoint to the witness, pinning its key on first use. A new
    witness first adopts the checkpoints already in the database whose signature
    verifies (upgrade from a database without witness: trust on first use)."""

    genesis = journal_genesis()
    current = witness.read(genesis)
    pinned = set(current.keys) if current else set()
    rows = JournalCheckpoint.objects.filter(pk=checkpoint.pk)
    if current is None:
        rows = JournalCheckpoint.objects.filter(pk__lte=checkpoint.pk)
    published = {k["kid"]: k for k in public_jwks()["keys"]}
    records = []
    for row in rows.order_by("seq", "pk"):
        if row.kid not in published:
            continue
        try:
            verify_jws(row.signature, {"keys": [published[row.kid]]})
        except InvalidSignature:
            continue
        if row.kid not in pinned and row.kid in published:
            records.append(witness.key_record(row.kid, published[row.kid], now))
            pinned.add(row.kid)
        records.append(
            witness.checkpoint_record(
                seq=row.seq,
                entry_hash=row.entry_hash,
                created_at=row.created_at,
                kid=row.kid,
                signature=row.signature,
            )
        )
    witness.append(genesis, records)


def checkpoint_if_new_entries(*, actor: Any = None) -> JournalCheckpoint | None:
    """`create_checkpoint` unless nothing was journaled since the last one (its
    own JOURNAL_CHECKPOINTED entry aside): idempotent callers such as seed_demo
    add no entry on a second run."""

    last = JournalCheckpoint.objects.order_by("-seq", "-pk").first()
    head_seq = JournalHead.objects.values_list("seq", flat=True).get(pk=1)
    if last is not None and head_seq <= last.seq + 1:
        return None
    return create_checkpoint(actor=actor)
