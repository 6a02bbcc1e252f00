"""Streaming the journal out as CSV or JSON, in constant memory."""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

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
CHUNK_SIZE = 2000


def _labels() -> dict[str, str]:
    return {value: str(label) for value, label in Action.choices}


def _rows(queryset) -> Iterator[dict[str, Any]]:
    labels = _labels()
    for values in queryset.values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        row = dict(zip(_FIELDS, values, strict=True))
        row["created_at"] = row["created_at"].astimezone(UTC).isoformat()
        row["action_label"] = labels.get(row["action"], row["action"])
        yield row


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe_cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # Spreadsheet formula injection: never start a cell with = + - @.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_lines(queryset) -> Iterable[str]:
    """CSV (header + one line per entry, in the queryset's order)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)  # BOM: spreadsheets read UTF-8
    for row in _rows(queryset):
        cells = [row["seq"]] + [_safe_cell(row[c]) for c in COLUMNS[1:]]
        yield writer.writerow(cells)


def json_chunks(queryset) -> Iterable[str]:
    """A JSON array of entry objects, produced piece by piece."""
    yield "["
    first = True
    for row in _rows(queryset):
        yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]\n"
