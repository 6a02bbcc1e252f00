"""The streamed export (batched csv.writer, value tuples) writes exactly what the
row-by-row export wrote before: same bytes in CSV and JSON."""

import csv
import json
from datetime import UTC

import pytest
from django.db import transaction

import audit
from audit import export
from audit.actions import Action
from audit.models import JournalEntry


class _Echo:
    def write(self, value):
        return value


def _reference_rows(queryset):
    """The export as it was before streaming in batches (one dict per row)."""
    labels = {value: str(label) for value, label in Action.choices}
    for values in queryset.values_list(*export._FIELDS).iterator(chunk_size=2000):
        row = dict(zip(export._FIELDS, values, strict=True))
        row["created_at"] = row["created_at"].astimezone(UTC).isoformat()
        row["action_label"] = labels.get(row["action"], row["action"])
        yield row


def _reference_cell(value):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _reference_csv(queryset):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(export.COLUMNS)
    for row in _reference_rows(queryset):
        cells = [row["seq"]] + [_reference_cell(row[c]) for c in export.COLUMNS[1:]]
        yield writer.writerow(cells)


def _reference_json(queryset):
    yield "["
    first = True
    for row in _reference_rows(queryset):
        yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]\n"


@pytest.fixture
def journal(aidant, structure):
    details = [
        {},
        {"ip": "203.0.113.7", "note": 'éà « guillemets » "quoted", virgule'},
        {"nested": {"b": [1, 2.5, None, True]}, "a": "=SUM(A1)"},
        {"line": "deux\nlignes\r\n", "tab": "\t"},
    ]
    with transaction.atomic():
        for index in range(23):
            audit.record(
                audit.Action.MANDAT_USED if index % 3 else audit.Action.ACCESS_DENIED,
                actor=aidant,
                structure=structure,
                usager=f"usager-{index}",
                demarche=["social", "=HYPERLINK(1)", "-1", "@x", "", "a,b"][index % 6],
                # Control characters and a backslash, written as they are.
                client=["svc", "+33", "", 'x\r\ny\t\\z\b\v\f"'][index % 4],
                details=details[index % len(details)],
            )
    return JournalEntry.objects.order_by("seq")


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_csv_export_is_byte_identical_to_the_row_by_row_export(
    journal, batch, monkeypatch
):
    monkeypatch.setattr(export, "BATCH", batch)
    chunks = list(export.csv_lines(journal))
    assert "".join(chunks) == "".join(_reference_csv(journal))
    # Streamed: the header, then one chunk per batch of entries.
    assert len(chunks) == 1 + -(-journal.count() // batch)


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_json_export_is_byte_identical_to_the_row_by_row_export(
    journal, batch, monkeypatch
):
    monkeypatch.setattr(export, "BATCH", batch)
    produced = "".join(export.json_chunks(journal))
    assert produced == "".join(_reference_json(journal))
    assert len(json.loads(produced)) == journal.count()


def test_empty_export_is_a_header_or_an_empty_array(db):
    nothing = JournalEntry.objects.none()
    assert "".join(export.csv_lines(nothing)) == "".join(_reference_csv(nothing))
    assert "".join(export.json_chunks(nothing)) == "[]\n"
