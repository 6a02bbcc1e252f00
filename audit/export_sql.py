"""PostgreSQL: the journal's CSV lines formatted by the server.

Each line is built in SQL exactly as `audit.export.csv_lines` writes it in Python
(csv.writer's minimal quoting, "\\r\\n", the formula guard, `isoformat()` of the
UTC time, the action's label, `details` as JSON): the process then only streams
one text column per entry, at several hundred thousand entries per second
instead of tens of thousands. `details` is jsonb's own text, which is what
`json.dumps` writes of it with the default separators (keys in jsonb's order,
the same escapes), except for floats that Python would write in exponent
notation (never journaled).
"""

import json
from collections.abc import Iterator

from django.db.models import F, Func, TextField

_FORMULA = "('=', '+', '-', '@')"


def _python_cell(text: str) -> str:
    """The cell csv.writer writes for `text` after the formula guard."""
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _safe(sql: str) -> str:
    """The formula guard: a leading ' before = + - @."""
    return f"(CASE WHEN left({sql}, 1) IN {_FORMULA} THEN '''' || {sql} ELSE {sql} END)"


def _quoted(sql: str) -> str:
    """csv.QUOTE_MINIMAL: quote a cell holding , " CR or LF, doubling quotes."""
    return (
        f"(CASE WHEN strpos({sql}, ',') > 0 OR strpos({sql}, '\"') > 0"
        f" OR strpos({sql}, chr(13)) > 0 OR strpos({sql}, chr(10)) > 0"
        f" THEN '\"' || replace({sql}, '\"', '\"\"') || '\"' ELSE {sql} END)"
    )


def _iso(sql: str) -> str:
    """datetime.isoformat() of a timestamptz in UTC (no fraction when zero)."""
    utc = f"({sql} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN"
        f" date_trunc('second', {sql}) = {sql} THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00')"
    )


class CsvLine(Func):
    """One CSV line (with its "\\r\\n") of a journal entry, in `columns` order."""

    output_field = TextField()

    def __init__(self, fields: tuple[str, ...], labels: dict[str, str]):
        super().__init__(*(F(name) for name in fields))
        self.fields = fields
        self.labels = labels

    def as_sql(self, compiler, connection, **extra):
        columns = {}
        for name, expression in zip(self.fields, self.source_expressions, strict=True):
            sql, params = compiler.compile(expression)
            if params:
                raise ValueError(name)
            columns[name] = sql
        # The label's cell (guarded and quoted here), looked up by the code in
        # one jsonb object parameter.
        cells_by_code = {
            code: _python_cell(label) for code, label in self.labels.items()
        }
        action = columns["action"]
        texts = [columns[name] for name in self.fields[2:]]
        index = self.fields[2:].index("details")
        details = texts.pop(index)
        # A JSON object's text holds a quote as soon as it has a key: quoted;
        # "{}" is not; never a formula (it starts with "{").
        details_cell = (
            f"(CASE WHEN jsonb_typeof({details}) <> 'object'"
            f" THEN {_quoted(_safe(f'({details})::text'))}"
            f" WHEN {details} = '{{}}'::jsonb THEN '{{}}'"
            f" ELSE '\"' || replace(({details})::text, '\"', '\"\"') || '\"' END)"
        )
        iso = _iso(columns["created_at"])
        seq = f"{columns['seq']}::text"
        # Fast path, nearly every entry: no cell holds , " CR LF nor starts with
        # = + - @ (every cell follows a chr(1) in the probe), so the cells go
        # out as they are. Otherwise each cell is guarded and quoted.
        probe = f"(chr(1) || concat_ws(chr(1), {', '.join(texts)}))"
        plain = [seq, iso, texts[0], "%s", *texts[1:]]
        guarded = [seq, iso, _quoted(_safe(texts[0])), "%s"]
        guarded += [_quoted(_safe(text)) for text in texts[1:]]
        plain.insert(index + 3, details_cell)
        guarded.insert(index + 3, details_cell)
        label = f"COALESCE(%s::jsonb ->> {action}, {_quoted(_safe(action))})"
        sql = (
            f"(CASE WHEN {probe} ~ '[,\"\\r\\n]|\\x01[-=+@]'"
            f" THEN concat_ws(',', {', '.join(guarded)})"
            f" ELSE concat_ws(',', {', '.join(plain)}) END || E'\\r\\n')"
        )
        sql = sql.replace("%", "%%").replace("%%s", "%s").replace("%s", label)
        label_params = [json.dumps(cells_by_code)]
        return sql, label_params * sql.count("%s")


def lines(
    queryset, fields: tuple[str, ...], labels: dict[str, str], chunk: int
) -> Iterator[str]:
    """The CSV lines of `queryset`, joined by `chunk` entries."""
    rows = queryset.annotate(_csv_line=CsvLine(fields, labels)).values_list(
        "_csv_line", flat=True
    )
    batch: list[str] = []
    for line in rows.iterator(chunk_size=chunk):
        batch.append(line)
        if len(batch) >= chunk:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
