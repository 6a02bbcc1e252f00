"""Reading the journal's entries in sequence order, as plain rows, fast.

The hash format is audit.journal's and does not change here: SHA-256 of
`prev_hash` + the canonical JSON of the hashed fields (sorted keys, no spaces,
`created_at` in ISO 8601 UTC). `verify_journal` recomputes it from plain text
columns with precomputed encoders instead of ORM instances; when that fast
computation disagrees with the stored hash, `reference_hash` recomputes it
exactly as `audit.record` did (through the ORM) before anything is called
tampered, so the fast path can never accept what the reference would refuse,
nor refuse what it would accept.
"""

import contextlib
import json
import queue
import threading
from collections.abc import Generator, Iterator
from json.encoder import encode_basestring
from typing import Any

from django.db import connection, transaction

from audit.journal import HASHED_FIELDS, hash_values
from audit.models import JournalEntry

# Rows per fetch: enough to amortize round trips, little memory (about 10 MB).
BATCH_SIZE = 10_000

# The canonical JSON's keys, in the order `sort_keys` writes them. The f-string
# in `verify.walk` follows this order: a change of the hashed fields must fail
# here, at import, not silently in every verification.
CANONICAL_ORDER = (
    "action",
    "actor_id",
    "actor_type",
    "client_id",
    "created_at",
    "demarche",
    "details",
    "mandat_id",
    "seq",
    "structure_id",
    "usager_id",
)
if tuple(sorted(HASHED_FIELDS)) != CANONICAL_ORDER:  # pragma: no cover
    raise RuntimeError("audit.journal.HASHED_FIELDS changed: update verify.chain")

# JSON string encoder of json.dumps(..., ensure_ascii=False) (the C one when
# available), and the encoder of the `details` object, built once.
encode_string = encode_basestring
encode_details = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode
# What json.loads and that encoder run, built once instead of per call: the
# scanner, and the C encoder with the same settings (no circular check: a
# decoded document has no cycle). Falls back to the above without the C module.
_decoder: Any = json.JSONDecoder()
scan_json = _decoder.scan_once
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_c_details = (
    _c_make_encoder(None, None, encode_string, None, ":", ",", True, False, True)
    if _c_make_encoder is not None
    else None
)


def details_json(text: str) -> str:
    """Canonical JSON of a `details` column's JSON text (json.loads, then
    json.dumps with sorted keys, no spaces, ensure_ascii=False). Raises
    ValueError or StopIteration on text that is not one JSON document."""
    if text == "{}":
        return text
    value, end = scan_json(text, 0)
    if end != len(text):
        raise ValueError("extra data")
    if _c_details is None:  # pragma: no cover - CPython has the C module
        return encode_details(value)
    return "".join(_c_details(value, 0))


def _select(vendor: str) -> str:
    """SELECT of every entry from a seq on, in seq order: seq, prev_hash,
    entry_hash, then the other hashed fields in canonical order, `created_at`
    already as the canonical ISO 8601 text and `details` as JSON text."""
    quote = connection.ops.quote_name
    meta = JournalEntry._meta

    def column(name: str) -> str:
        return quote(getattr(meta.get_field(name), "column", name))

    if vendor == "postgresql":
        # timestamptz in UTC, microseconds dropped when zero (as isoformat).
        created = (
            f"replace(to_char({column('created_at')} AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00'"
        )
        details = f"{column('details')}::text"
    else:
        # Django stores SQLite datetimes as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]".
        created = f"replace(CAST({column('created_at')} AS TEXT), ' ', 'T') || '+00:00'"
        details = column("details")
    fields = [
        created
        if name == "created_at"
        else details
        if name == "details"
        else column(name)
        for name in CANONICAL_ORDER
        if name != "seq"
    ]
    seq = column("seq")
    # Identifiers come from the model's metadata; the only value is a parameter.
    return (
        f"SELECT {seq}, {column('prev_hash')}, {column('entry_hash')}, "  # noqa: S608
        f"{', '.join(fields)} FROM {quote(meta.db_table)} "
        f"WHERE {seq} >= %s ORDER BY {seq}"
    )


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """The read of a verification. On PostgreSQL a transaction, so that the
    entries are streamed through a server-side cursor without WITH HOLD (which
    would copy the whole result first) and behind a transaction-pooling proxy;
    on SQLite none (its IMMEDIATE transactions would block every writer)."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            yield
    else:
        yield


def batches(
    from_seq: int, size: int = BATCH_SIZE
) -> Generator[list[tuple[Any, ...]], None, None]:
    """Lists of rows (see `_select`) of the entries from `from_seq` on, in seq
    order, one query streamed (server-side cursor on PostgreSQL, SQLite's own
    stepping cursor): constant memory, no ORM instances. Use within `reading()`."""
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(_select(connection.vendor), [from_seq])
        if connection.vendor == "postgresql":
            yield from _fetched_ahead(cursor, size)
        else:
            while rows := cursor.fetchmany(size):
                yield rows
    finally:
        cursor.close()


def _fetched_ahead(
    cursor: Any, size: int
) -> Generator[list[tuple[Any, ...]], None, None]:
    """PostgreSQL: the server prepares the next batch while this one is hashed.
    One thread only waits on the server-side cursor (psycopg connections are
    thread-safe; the cursor is used by that thread alone until it ends), at most
    two batches ahead; the order of the rows is the cursor's."""
    ahead: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(size)
                ahead.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # handed over to the reading thread
            ahead.put(exc)

    thread = threading.Thread(target=fetch, name="verify-journal-fetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ahead.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        # Unblock a fetch waiting for room, and let it end before the cursor
        # is closed.
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.05)
        thread.join()


def reference_hash(seq: int, prev_hash: str) -> str | None:
    """The entry's hash recomputed exactly as `audit.record` computed it (values
    read through the ORM, `audit.journal.hash_values`); None when the row cannot
    be read back as an entry."""
    try:
        values = (
            JournalEntry.objects.filter(seq=seq).values_list(*HASHED_FIELDS).first()
        )
        return None if values is None else hash_values(prev_hash, values)
    except (ValueError, TypeError, AttributeError):
        return None
