"""Writing and hashing journal entries."""

import hashlib
import json
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
    elif hasattr(connection, "journal_pending") and not connection.in_atomic_block:
        # No transaction: one of its own, appended at its commit like any other.
        with transaction.atomic():
            connection.journal_pending.append(_Pending(entry, frozenset()))
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
    if not pending:
        return
    entries = [item.entry for item in pending]
    if connection.vendor == "postgresql":
        sql, params = append_statement(connection, entries)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            apply_appended(entries, cursor.fetchall(), connection.alias)
    else:
        _append(entries)


def take_pending(connection: Any) -> list[JournalEntry]:
    """Empty the connection's queue and return its entries (PostgreSQL backend:
    it sends their append together with COMMIT)."""
    pending, connection.journal_pending = connection.journal_pending, []
    return [item.entry for item in pending]


_SEQ_MARK = "__relais_journal_seq__"
_COLUMNS = (*HASHED_FIELDS, "prev_hash", "entry_hash")


def append_statement(connection: Any, entries: list[JournalEntry]) -> tuple[str, list]:
    """PostgreSQL: one statement that locks the head, chains and inserts the
    entries (SHA-256 computed by the server, as `hash_values` does) and moves the
    head. It returns (id, seq, prev_hash, entry_hash, lock held so far in ms) per
    entry. Identifiers come from the models' metadata, values are parameters.
    Sent with COMMIT in one round trip, the head stays locked for the server's
    own work only, whatever the client's scheduling."""
    quote = connection.ops.quote_name
    entry_table = quote(JournalEntry._meta.db_table)
    head_table = quote(JournalHead._meta.db_table)
    columns = ", ".join(
        quote(JournalEntry._meta.get_field(name).column) for name in _COLUMNS
    )
    now = timezone.now()
    ctes = [
        f"h AS MATERIALIZED (SELECT seq, COALESCE(NULLIF(entry_hash, ''), %s) AS hash,"  # noqa: S608
        f" clock_timestamp() AS locked_at FROM {head_table} WHERE id = 1 FOR UPDATE)"
    ]
    params: list[Any] = [GENESIS_HASH]
    selects: list[str] = []
    select_params: list[Any] = []
    previous = "h"
    for index, entry in enumerate(entries):
        entry.created_at = now
        entry.seq = _SEQ_MARK
        canonical = canonical_json(entry)
        before, after = canonical.split(f'"{_SEQ_MARK}"')
        name = f"e{index}"
        ctes.append(
            f"{name} AS (SELECT {previous}.seq + 1 AS seq, {previous}.hash AS prev,"  # noqa: S608
            f" encode(sha256(convert_to({previous}.hash || %s::text ||"
            f" ({previous}.seq + 1)::text || %s::text, 'UTF8')), 'hex') AS hash"
            f" FROM {previous})"
        )
        params += [before, after]
        values = []
        for field in HASHED_FIELDS:
            if field == "seq":
                values.append(f"{name}.seq")
            elif field == "created_at":
                values.append("%s::timestamptz")
                select_params.append(entry.created_at)
            elif field == "details":
                values.append("%s::jsonb")
                select_params.append(json.dumps(entry.details))
            else:
                values.append("%s::text")
                select_params.append(getattr(entry, field))
        values += [f"{name}.prev", f"{name}.hash"]
        selects.append(f"SELECT {', '.join(values)} FROM {name}")  # noqa: S608
        previous = name
    ctes.append(
        f"ins AS (INSERT INTO {entry_table} ({columns}) "
        + " UNION ALL ".join(selects)
        + " RETURNING id, seq, prev_hash, entry_hash)"
    )
    ctes.append(
        f"upd AS (UPDATE {head_table} SET seq = {previous}.seq,"  # noqa: S608
        f" entry_hash = {previous}.hash FROM {previous} WHERE {head_table}.id = 1)"
    )
    # Identifiers come from the models' metadata; every value is a parameter.
    sql = (
        "WITH " + ", ".join(ctes) + " SELECT ins.id, ins.seq, ins.prev_hash,"  # noqa: S608
        " ins.entry_hash, 1000 * extract(epoch FROM clock_timestamp() - h.locked_at)"
        " FROM ins, h ORDER BY ins.seq"
    )
    return sql, params + select_params


def apply_appended(entries: list[JournalEntry], rows: list, alias: str) -> float:
    """Copy what the server computed into the entries; return the lock time the
    statement measured (ms)."""
    held = 0.0
    for entry, (pk, seq, prev_hash, entry_hash, held_ms) in zip(
        entries, rows, strict=True
    ):
        entry.pk, entry.seq = pk, seq
        entry.prev_hash, entry.entry_hash = prev_hash, entry_hash
        entry._state.adding, entry._state.db = False, alias
        held = float(held_ms)
    return held


def append_entries(entries: list[JournalEntry]) -> None:
    """Append through the ORM (SQLite, or PostgreSQL under a test case)."""
    _append(entries)


def flush_now() -> None:
    """Append the entries queued on the current connection at once, for a caller
    that reads them back in its own transaction (a checkpoint names its witness
    by the first entry, which may be the one it just recorded)."""
    connection = transaction.get_connection()
    if getattr(connection, "journal_pending", None):
        flush_pending(connection)


def _append(entries: list[JournalEntry]) -> None:
    connection = transaction.get_connection()
    if connection.vendor == "sqlite":
        _append_sqlite(connection, entries)
        return
    # Lock the head row: concurrent appends wait here, so the chain never forks
    # and sequence numbers stay gap-free (on SQLite the IMMEDIATE transaction
    # already holds the database write lock).
    head = lock_head()
    prev_hash = head.entry_hash or GENESIS_HASH
    seq = head.seq
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.created_at = timezone.now()
        entry.prev_hash = prev_hash
        entry.entry_hash = compute_hash(prev_hash, entry)
        prev_hash = entry.entry_hash
        # save(), not bulk_create(): this may run inside the connection's
        # commit(), where an atomic block (bulk_create opens one) would commit.
        entry.save(force_insert=True)
    head.seq, head.entry_hash = seq, prev_hash
    head.save(update_fields=["seq", "entry_hash"])


def _append_sqlite(connection: Any, entries: list[JournalEntry]) -> None:
    """SQLite, under the IMMEDIATE transaction's write lock: the first entry is
    chained to the head by SQLite itself (Django's SHA256 function, as
    `hash_values` computes it), the next ones in Python and inserted together;
    then the head moves. Two statements for one entry."""
    quote = connection.ops.quote_name
    entry_table = quote(JournalEntry._meta.db_table)
    head_table = quote(JournalHead._meta.db_table)
    fields = [JournalEntry._meta.get_field(name) for name in _COLUMNS]
    columns = ", ".join(quote(field.column) for field in fields)
    now = timezone.now()
    for entry in entries:
        entry.created_at = now

    def prepared(entry: JournalEntry, names) -> list[Any]:
        return [
            field.get_db_prep_save(getattr(entry, field.attname), connection)
            for field in fields
            if field.name in names
        ]

    first = entries[0]
    first.seq = _SEQ_MARK
    before, after = canonical_json(first).split(f'"{_SEQ_MARK}"')
    plain = [name for name in HASHED_FIELDS if name != "seq"]
    previous = f"COALESCE(NULLIF(h.{quote('entry_hash')}, ''), %s)"
    values = ", ".join("h.seq + 1" if name == "seq" else "%s" for name in HASHED_FIELDS)
    sql = (
        f"INSERT INTO {entry_table} ({columns}) SELECT {values}, {previous},"  # noqa: S608
        f" SHA256({previous} || %s || (h.seq + 1) || %s)"
        f" FROM {head_table} h WHERE h.id = 1"
        " RETURNING id, seq, prev_hash, entry_hash"
    )
    params = prepared(first, plain) + [GENESIS_HASH, GENESIS_HASH, before, after]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        first.pk, first.seq, first.prev_hash, first.entry_hash = cursor.fetchone()
        first._state.adding, first._state.db = False, connection.alias
        seq, prev_hash = first.seq, first.entry_hash
        rest = entries[1:]
        for entry in rest:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev_hash
            entry.entry_hash = prev_hash = compute_hash(prev_hash, entry)
        if rest:
            rows = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rest))
            cursor.execute(
                f"INSERT INTO {entry_table} ({columns}) VALUES {rows}"  # noqa: S608
                " RETURNING id, seq",
                [value for entry in rest for value in prepared(entry, _COLUMNS)],
            )
            # SQLite returns the rows in no promised order.
            ids = dict((seq, pk) for pk, seq in cursor.fetchall())
            for entry in rest:
                entry.pk = ids[entry.seq]
                entry._state.adding, entry._state.db = False, connection.alias
        cursor.execute(
            f"UPDATE {head_table} SET seq = %s, entry_hash = %s WHERE id = 1",  # noqa: S608
            [seq, prev_hash],
        )
