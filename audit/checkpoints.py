"""Signed checkpoints of the journal head: they make a truncated tail detectable."""

from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.actions import Action
from audit.models import JournalCheckpoint

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
    """Sign the current head (seq, hash, time) with the service key and store it.

    Journals JOURNAL_CHECKPOINTED afterwards, in the same transaction: that entry
    comes after the checkpointed one, which the next checkpoint will cover.
    """
    from audit.journal import lock_head, record
    from audit.keys import current_key, sign_jws

    with transaction.atomic():
        # Holding the head lock: no entry can be appended between reading the head
        # and signing it.
        head = lock_head()
        now = timezone.now()
        key = current_key()
        payload = checkpoint_payload(
            seq=head.seq, entry_hash=head.entry_hash, created_at=now
        )
        checkpoint = JournalCheckpoint.objects.create(
            seq=head.seq,
            entry_hash=head.entry_hash,
            created_at=now,
            kid=key.kid,
            signature=sign_jws(payload, alg=key.alg),
        )
        record(
            Action.JOURNAL_CHECKPOINTED,
            actor=actor,
            details={"seq": head.seq, "entry_hash": head.entry_hash, "kid": key.kid},
        )
    return checkpoint
