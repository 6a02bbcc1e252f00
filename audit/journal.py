"""Writing and hashing journal entries."""

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.actions import Action, ActorType
from audit.context import REQUEST_ID
from audit.models import GENESIS_HASH, JournalEntry, JournalHead
from config.client_ip import client_ip

HASHED_FIELDS = (
    "seq",
    "created_at",
    "action",
    "actor_type",
    "actor_id",
    "structure_id",
    "usager_id",
    "mandat_id",
    "demarche",
    "client_id",
    "details",
)


def canonical_values(values: Sequence[Any]) -> str:
    """Canonical JSON (sorted keys, no spaces) of the hashed fields, given in
    HASHED_FIELDS order; `created_at` is rendered as ISO 8601 in UTC."""
    data = dict(zip(HASHED_FIELDS, values, strict=True))
    data["created_at"] = data["created_at"].astimezone(UTC).isoformat()
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_values(prev_hash: str, values: Sequence[Any]) -> str:
    """SHA-256 (hex) of `prev_hash` + the canonical JSON of `values`."""
    payload = prev_hash + canonical_values(values)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def canonical_json(entry: JournalEntry) -> str:
    """The entry's hashed fields as canonical JSON (sorted keys, no spaces)."""
    return canonical_values([getattr(entry, name) for name in HASHED_FIELDS])


def compute_hash(prev_hash: str, entry: JournalEntry) -> str:
    """The entry's hash: SHA-256(prev_hash + canonical JSON of its fields)."""
    return hash_values(prev_hash, [getattr(entry, name) for name in HASHED_FIELDS])


def _plain_id(value: Any) -> str:
    if value is None:
        return ""
    for attr in ("journal_id", "pk"):
        if hasattr(value, attr):
            return str(getattr(value, attr))
    return str(value)


def _actor(actor: Any) -> tuple[str, str]:
    if actor is None:
        return ActorType.SYSTEM, ""
    if hasattr(actor, "journal_actor"):
        return actor.journal_actor()
    if isinstance(actor, tuple):
        return ActorType(actor[0]), str(actor[1])
    raise TypeError(f"Unsupported journal actor: {type(actor).__name__}")


def lock_head() -> JournalHead:
    """Lock and return the chain's head row (inside the caller's transaction).

    Every append takes this lock first, so appends are serialized: PostgreSQL row
    lock; on SQLite the IMMEDIATE transaction already holds the write lock.
    """
    return JournalHead.objects.select_for_update().get(pk=1)


@dataclass
class _Pending:
    """An entry queued on a connection, with the savepoints open when it was
    recorded (a rolled-back savepoint drops it, like Django's on_commit)."""

    entry: JournalEntry
    savepoints: frozenset


def record(
    action: Action | str,
    *,
    actor: Any,
    structure: Any = None,
    usager: Any = None,
    mandat: Any = None,
    demarche: str = "",
    client: Any = None,
    details: dict[str, Any] | None = None,
    request: Any = None,
) -> JournalEntry:
    """Journal one entry in the caller's transaction.

    Inside a transaction the entry is queued on the connection and appended as the
    transaction's last statement, just before it commits (see `flush_pending`): the
    head lock is then held for the append and the commit only, and the entry still
    commits or rolls back with the change. Outside a transaction it is appended at
    once. `seq`, the hashes and `created_at` are set when the entry is appended.

    `actor` is an object with `journal_actor()`, an (ActorType, id) tuple, or None
    for the system. Objects are stored by plain id. Raises ValueError on an
    unknown action.
    """
    action = Action(action)
    actor_type, actor_id = _actor(actor)
    details = dict(details or {})
    if request is not None:
        ip = client_ip(request)
        if ip:
            details.setdefault("ip", ip)
    if REQUEST_ID.get():
        details.setdefault("request_id", REQUEST_ID.get())
    entry = JournalEntry(
        action=action.value,
        actor_type=str(actor_type),
        actor_id=actor_id,
        structure_id=_plain_id(structure),
        usager_id=_plain_id(usager),
        mandat_id=_plain_id(mandat),
        demarche=str(demarche or ""),
        client_id=_plain_id(client),
        details=details,
    )
    connection = transaction.get_connection()
    if _appends_at_commit(connection):
        connection.journal_pending.append(
            _Pending(entry, frozenset(connection.savepoint_ids))
        )
    else:
        with transaction.atomic():
            _append([entry])
    return entry


def _appends_at_commit(connection: Any) -> bool:
    """True when a transaction of the application's own is open on a connection
    that appends queued entries at commit (audit.backends). Blocks opened by a
    test case never commit: there, the entry is appended when the outermost
    block of the code under test exits (see JournalQueueMixin)."""
    if not hasattr(connection, "journal_pending"):
        return False
    return any(
        not getattr(block, "_from_testcase", False)
        for block in connection.atomic_blocks
    )


def flush_pending(connection: Any) -> None:
    """Append the entries queued on `connection`, in order, as the last statements
    of its transaction. Called by the connection just before it commits."""
    pending, connection.journal_pending = connection.journal_pending, []
    if pending:
        _append([item.entry for item in pending])


def flush_now() -> None:
    """Append the entries queued on the current connection at once, for a caller
    that reads them back in its own transaction (a checkpoint names its witness
    by the first entry, which may be the one it just recorded)."""
    connection = transaction.get_connection()
    if getattr(connection, "journal_pending", None):
        flush_pending(connection)


def _append(entries: list[JournalEntry]) -> None:
    # Lock the head row: concurrent appends wait here, so the chain never forks
    # and sequence numbers stay gap-free (PostgreSQL row lock, bounded by
    # lock_timeout; on SQLite the IMMEDIATE transaction already holds the
    # database write lock).
    head = lock_head()
    connection = transaction.get_connection()
    if hasattr(connection, "journal_locked_at"):
        connection.journal_locked_at = time.perf_counter()
    prev_hash = head.entry_hash or GENESIS_HASH
    seq = head.seq
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.created_at = timezone.now()
        entry.prev_hash = prev_hash
        entry.entry_hash = compute_hash(prev_hash, entry)
        prev_hash = entry.entry_hash
    if connection.vendor == "postgresql":
        _write_in_one_statement(connection, entries, seq, prev_hash)
        return
    for entry in entries:
        # save(), not bulk_create(): this may run inside the connection's
        # commit(), where an atomic block (bulk_create opens one) would commit.
        entry.save(force_insert=True)
    head.seq, head.entry_hash = seq, prev_hash
    head.save(update_fields=["seq", "entry_hash"])


_COLUMNS = (*HASHED_FIELDS, "prev_hash", "entry_hash")


def _write_in_one_statement(
    connection: Any, entries: list[JournalEntry], seq: int, entry_hash: str
) -> None:
    """PostgreSQL: insert the entries and move the head in one round trip (the
    head lock is held across round trips, so each one counts)."""
    entry_table = connection.ops.quote_name(JournalEntry._meta.db_table)
    head_table = connection.ops.quote_name(JournalHead._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(JournalEntry._meta.get_field(name).column)
        for name in _COLUMNS
    )
    row = "(" + ", ".join("%s::jsonb" if n == "details" else "%s" for n in _COLUMNS)
    values = ", ".join([row + ")"] * len(entries))
    params: list[Any] = []
    for entry in entries:
        for name in _COLUMNS:
            value = getattr(entry, name)
            params.append(json.dumps(value) if name == "details" else value)
    # Identifiers come from the models' metadata; every value is a parameter.
    sql = (
        f"WITH inserted AS (INSERT INTO {entry_table} ({columns}) VALUES {values}"  # noqa: S608
        " RETURNING id, seq) "
        f"UPDATE {head_table} SET seq = %s, entry_hash = %s WHERE id = 1 "
        "RETURNING (SELECT array_agg(id ORDER BY seq) FROM inserted)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, seq, entry_hash])
        ids = cursor.fetchone()[0]
    for entry, pk in zip(entries, ids, strict=True):
        entry.pk = pk
        entry._state.adding = False
        entry._state.db = connection.alias
