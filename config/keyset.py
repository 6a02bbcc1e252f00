"""Keyset pagination: lists that may hold millions of rows, one page at a time,
in one query, never counted.

A page is the `size` rows after (or before) a cursor in the list's order, read
with one more row to know whether another page follows. The cursor is a unique
key of the page's last (or first) row (a UUID, a journal seq); the row's sort
key is read by a subquery of the same statement, so a URL never carries a name.
An index on the order's columns serves every page at the same cost.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, CharField, Expression, F, QuerySet, Subquery


class RowCompare(Expression):
    """`(col1, col2, …) > (SELECT …)` (or `<`): a row-value comparison, which
    PostgreSQL turns into a range scan of the matching index and SQLite (3.15+)
    evaluates. Django's own tuple lookups fall back to OR chains on SQLite and
    refuse a subquery there."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, columns: Sequence[str], operator: str, row: QuerySet):
        super().__init__()
        if operator not in (">", "<"):
            raise ValueError(operator)
        self.columns: list[Any] = [F(name) for name in columns]
        self.operator = operator
        self.row: Any = Subquery(row, output_field=CharField())

    def resolve_expression(self, query=None, *args, **kwargs):
        clone = self.copy()
        clone.columns = [
            column.resolve_expression(query, *args, **kwargs) for column in self.columns
        ]
        clone.row = self.row.resolve_expression(query, *args, **kwargs)
        return clone

    def get_source_expressions(self):
        return [*self.columns, self.row]

    def set_source_expressions(self, exprs):
        *self.columns, self.row = exprs

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for column in self.columns:
            sql, column_params = compiler.compile(column)
            parts.append(sql)
            params += column_params
        row_sql, row_params = compiler.compile(self.row)
        return f"({', '.join(parts)}) {self.operator} {row_sql}", [*params, *row_params]


@dataclass
class KeysetPage:
    """One page; `after` / `before` are the cursors of the next and previous
    pages (None when there is none)."""

    items: list[Any] = field(default_factory=list)
    after: str | None = None
    before: str | None = None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        return self.after is not None

    @property
    def has_previous(self) -> bool:
        return self.before is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def parse_uuid(value: Any) -> uuid.UUID | None:
    """A UUID cursor from a query string; None (first page) when absent or bad."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def parse_int(value: Any) -> int | None:
    """An integer cursor from a query string; None when absent or bad."""
    try:
        number = int(str(value)) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2**63 else None


def keyset_page(
    queryset: QuerySet,
    *,
    order: Sequence[str],
    key: str,
    after: Any = None,
    before: Any = None,
    size: int,
) -> KeysetPage:
    """The page of `queryset` after the row whose `key` is `after` (or before
    `before`), in `order` (field names, all ascending or all "-"descending; the
    last one unique): one query of at most size + 1 rows."""
    descending = order[0].startswith("-")
    columns = [name.lstrip("-") for name in order]
    forward = [f"-{c}" if descending else c for c in columns]
    backward = [c if descending else f"-{c}" for c in columns]
    cursor = after if after is not None else before
    if cursor is not None:
        row = queryset.model._default_manager.filter(**{key: cursor}).values(*columns)
        ahead = (after is not None) != descending
        queryset = queryset.filter(RowCompare(columns, ">" if ahead else "<", row))
    if after is None and before is not None:
        rows = list(queryset.order_by(*backward)[: size + 1])
        items = rows[:size][::-1]
        more = len(rows) > size
        return KeysetPage(
            items=items,
            after=str(getattr(items[-1], key)) if items else None,
            before=str(getattr(items[0], key)) if items and more else None,
        )
    rows = list(queryset.order_by(*forward)[: size + 1])
    items = rows[:size]
    return KeysetPage(
        items=items,
        after=str(getattr(items[-1], key)) if len(rows) > size else None,
        before=str(getattr(items[0], key)) if items and cursor is not None else None,
    )
