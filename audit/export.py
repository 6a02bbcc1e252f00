"""Streaming the journal out as CSV or JSON, in constant memory."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

from django.db import connections

from audit import export_sql
from audit.actions import Action
from audit.journal import HASHED_FIELDS

# The hashed fields in their order, the action's label beside its code, then
# the chain's two hashes.
COLUMNS = (
    *HASHED_FIELDS[:3],
    "action_label",
    *HASHED_FIELDS[3:],
    "prev_hash",
    "entry_hash",
)
_FIELDS = tuple(c for c in COLUMNS if c != "action_label")
_JSON_TAIL = _FIELDS[3:]
CHUNK_SIZE = 2000


def _labels() -> dict[str, str]:
    return {value: str(label) for value, label in Action.choices}


_FORMULA_START = frozenset("=+-@")
BATCH = 1000


def _safe_cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # Spreadsheet formula injection: never start a cell with = + - @.
    return "'" + text if text[:1] in _FORMULA_START else text


def _tuples(queryset) -> Iterator[tuple]:
    """(seq, created_at ISO 8601 UTC, action, action label, actor_type, …,
    details, prev_hash, entry_hash) per entry, from plain value tuples: no model
    instance, no dict per row."""
    labels = _labels()
    for row in queryset.values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        seq, created_at, action, *rest = row
        yield (
            seq,
            created_at.astimezone(UTC).isoformat(),
            action,
            labels.get(action, action),
            *rest,
        )


def _rows(queryset) -> Iterator[dict[str, Any]]:
    """One dict per entry: the fields in _FIELDS order, then `action_label`."""
    for seq, created_at, action, label, *rest in _tuples(queryset):
        row = dict(zip(_JSON_TAIL, rest, strict=True))
        yield {
            "seq": seq,
            "created_at": created_at,
            "action": action,
            **row,
            "action_label": label,
        }


def csv_lines(queryset) -> Iterable[str]:
    """CSV (header + one line per entry, in the queryset's order), yielded in
    batches of lines: one csv.writer call and one chunk per BATCH entries."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield "\ufeff" + buffer.getvalue()  # BOM: spreadsheets read UTF-8
    if connections[queryset.db].vendor == "postgresql":
        # The same lines, formatted by the server (audit.export_sql).
        yield from export_sql.lines(queryset, _FIELDS, _labels(), BATCH)
        return
    safe = _safe_cell
    batch: list[list[Any]] = []
    for seq, *cells in _tuples(queryset):
        batch.append([seq, *(safe(cell) for cell in cells)])
        if len(batch) >= BATCH:
            yield _written(buffer, writer, batch)
            batch = []
    if batch:
        yield _written(buffer, writer, batch)


def _written(buffer: io.StringIO, writer: Any, rows: list[list[Any]]) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(rows)
    return buffer.getvalue()


def json_chunks(queryset) -> Iterable[str]:
    """A JSON array of entry objects, produced in batches of BATCH entries."""
    yield "["
    dumps = json.dumps
    parts: list[str] = []
    first = True
    for row in _rows(queryset):
        parts.append(("" if first else ",") + dumps(row, ensure_ascii=False))
        first = False
        if len(parts) >= BATCH:
            yield "".join(parts)
            parts = []
    if parts:
        yield "".join(parts)
    yield "]\n"
