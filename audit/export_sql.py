"""PostgreSQL: the journal's CSV lines formatted by the server.

Each line is built in SQL exactly as `audit.export.csv_lines` writes it in Python
(csv.writer's minimal quoting, "\\r\\n", the formula guard, `isoformat()` of the
UTC time, the action's label, `details` as JSON): the process then only streams
one text column per entry. `details` is jsonb's own text, which is what
`json.dumps` writes of it with the default separators (keys in jsonb's order,
the same escapes), except for floats that Python would write in exponent
notation (never journaled).

The query sorts the entries' plain columns, then formats the sorted rows (an
outer query), without JIT compilation (it costs more than it saves on these
string functions) and with room to sort a month in memory; its cursor lives in
a transaction, so the server sends the lines as it makes them instead of
materializing them all first (a cursor WITH HOLD).
"""

import json
from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction

_FORMULA = "('=', '+', '-', '@')"
# First characters csv_lines guards (= + - @), as ascii() codes.
_FORMULA_CODES = "(43, 45, 61, 64)"
# Settings for the export's transaction only (SET LOCAL). Bitmap scans, not
# index scans: the planner costs a scan of a structure's (or an actor's) index
# as random heap reads (the leading column's correlation is near 0) and walks
# the global created_at or seq index instead, reading every structure's
# entries; a bitmap scan reads only the scope's, in heap order (one month of
# the large structure: 43 ms instead of 140 ms; its whole journal, 2 M
# entries: 2.9 s instead of 4.1 s).
_SETTINGS = (
    "SET LOCAL jit = off",
    "SET LOCAL work_mem = '64MB'",
    "SET LOCAL enable_indexscan = off",
)


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
        f'replace(to_char({utc}, \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\'),'
        " '.000000+', '+')"
    )


def _column(name: str) -> str:
    return f'e."{name}"'


def line_sql(fields: tuple[str, ...]) -> str:
    """One CSV line (without its line end) of the row `e`, whose columns are
    `fields` in this order: seq, created_at, action, then text columns, one of
    them `details` (jsonb). The action's label is looked up by its code in the
    jsonb parameter of each `%s`, which maps codes to finished cells."""
    texts = [_column(name) for name in fields[2:]]
    index = fields[2:].index("details")
    details = texts.pop(index)
    action = _column("action")
    # A JSON object's text holds a quote as soon as it has a key: quoted;
    # "{}" is not; never a formula (it starts with "{").
    details_cell = (
        f"(CASE WHEN jsonb_typeof({details}) <> 'object'"
        f" THEN {_quoted(_safe(f'({details})::text'))}"
        f" WHEN {details} = '{{}}'::jsonb THEN '{{}}'"
        f" ELSE '\"' || replace(({details})::text, '\"', '\"\"') || '\"' END)"
    )
    label = f"COALESCE(%s::jsonb ->> {action}, {_quoted(_safe(action))})"
    seq = f"{_column('seq')}::text"
    iso = _iso(_column("created_at"))
    # Fast path, nearly every entry: no text cell starts with = + - @ nor holds
    # , " CR LF, so the cells go out as they are. Otherwise each cell is
    # guarded and quoted.
    starts = " OR ".join(f"ascii({text}) IN {_FORMULA_CODES}" for text in texts)
    holds = f"concat({', '.join(texts)}) ~ '[,\"\\r\\n]'"
    plain = [seq, iso, texts[0], label, *texts[1:]]
    guarded = [seq, iso, _quoted(_safe(texts[0])), label]
    guarded += [_quoted(_safe(text)) for text in texts[1:]]
    plain.insert(index + 3, details_cell)
    guarded.insert(index + 3, details_cell)
    return (
        f"CASE WHEN {starts} OR {holds}"
        f" THEN concat_ws(',', {', '.join(guarded)})"
        f" ELSE concat_ws(',', {', '.join(plain)}) END"
    )


def lines(
    queryset, fields: tuple[str, ...], labels: dict[str, str], chunk: int
) -> Iterator[str]:
    """The CSV lines of `queryset`, in its order, joined by `chunk` entries."""
    compiler = queryset.values_list(*fields).query.get_compiler(queryset.db)
    try:
        inner, inner_params = compiler.as_sql()
    except EmptyResultSet:  # e.g. queryset.none(): no line
        return
    line = line_sql(fields)
    # Every value is a parameter: the SQL is built from field names and the
    # compiled queryset only.
    order = _order(queryset)
    sql = f"SELECT {line} || E'\\r\\n' FROM ({inner}) AS e ORDER BY {order}"  # noqa: S608
    cells = json.dumps({code: _python_cell(text) for code, text in labels.items()})
    params = [cells] * line.count("%s") + list(inner_params)
    connection = connections[queryset.db]
    # In a transaction, the server-side cursor is not WITH HOLD: the server
    # sends rows as it makes them, instead of materializing them all first.
    with transaction.atomic(using=queryset.db):
        with connection.cursor() as cursor:
            for setting in _SETTINGS:
                cursor.execute(setting)
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(chunk):
                yield "".join([row[0] for row in rows])
        finally:
            cursor.close()


def _order(queryset) -> str:
    """The queryset's order as the outer query's ORDER BY: the inner query's
    sorted rows keep it (PostgreSQL sorts once)."""
    names = queryset.query.order_by or queryset.model._meta.ordering
    if not names:
        raise ValueError("export: an ordered queryset")
    terms = []
    for name in names:
        column = name.lstrip("-")
        terms.append(f"{_column(column)} {'DESC' if name[0] == '-' else 'ASC'}")
    return ", ".join(terms)
