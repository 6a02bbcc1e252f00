"""Hot queries compiled once per process and database, then only run.

Profiling the OIDC flow showed Django compiling a select_related query with a
subquery costs several times what SQLite or PostgreSQL take to run it, on every
request. A `PreparedQuery` builds its queryset once with sentinel values, keeps
the SQL and the compiler's column mapping, and at each run binds the values of
that run (adapted as Django adapts them) and lets Django's own iterator build
the objects, converters and related objects included. Values that depend on the
time (a day, an instant) are placeholders like any other: never frozen.
"""

import copy
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from django.db import DatabaseError, connections, router
from django.db.models import Model, QuerySet
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery
from django.db.transaction import TransactionManagementError
from django.utils.functional import cached_property

# Sentinels per kind: unlikely values that survive Django's adaptation intact.
_INT_BASE = -917_000_000
_DAY = date(1901, 2, 3)
_INSTANT = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def _sentinel(kind: str, index: int) -> Any:
    if kind == "int":
        return _INT_BASE - index
    if kind == "str":
        return f"\x01relais-prepared-{index}\x01"
    if kind == "date":
        return date(_DAY.year, _DAY.month, _DAY.day + index)
    if kind == "datetime":
        return _INSTANT.replace(second=index)
    if kind == "uuid":
        return uuid.UUID(int=0x917_000_000 + index)
    raise ValueError(kind)


def _adapt(connection: Any, kind: str, value: Any) -> Any:
    if kind == "date":
        return connection.ops.adapt_datefield_value(value)
    if kind == "datetime":
        return connection.ops.adapt_datetimefield_value(value)
    if kind == "uuid" and not connection.features.has_native_uuid_field:
        return value.hex  # as UUIDField stores it
    return value


class PreparedQuery:
    """`build(**values)` returns the queryset (its shape must not depend on the
    values); `kinds` names each value's kind: int, str, date or datetime."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: str) -> None:
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        connection = connections[alias]
        sentinels = {
            name: _sentinel(kind, index)
            for index, (name, kind) in enumerate(sorted(self.kinds.items()))
        }
        queryset = self.build(**sentinels).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        adapted = {
            name: _adapt(connection, self.kinds[name], value)
            for name, value in sentinels.items()
        }
        slots = []
        for value in params:
            found = [
                name
                for name, sentinel in adapted.items()
                if type(value) is type(sentinel) and value == sentinel
            ]
            slots.append(found[0] if found else None)
        if {s for s in slots if s} != set(self.kinds):
            # A value transformed on its way to the SQL (a LIKE pattern, say):
            # refuse to guess. A value used in several places fills each.
            raise RuntimeError(f"cannot prepare {sql[:80]}…")
        return queryset, compiler, sql, tuple(params), slots

    def run(self, alias: str = "default", **values: Any) -> list:
        """The objects the built queryset would return for `values`."""
        entry = self._compiled.get(alias)
        if entry is None:
            with self._lock:
                if alias not in self._compiled:
                    self._compiled[alias] = self._compile(alias)
            entry = self._compiled[alias]
        queryset, compiler, sql, params, slots = entry
        connection = connections[alias]
        if queryset.query.select_for_update and connection.get_autocommit():
            # What Django's compiler checks before a locking read.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        bound = tuple(
            _adapt(connection, self.kinds[slot], values[slot]) if slot else value
            for slot, value in zip(slots, params, strict=True)
        )
        run = copy.copy(compiler)
        run.connection = connection  # this thread's connection
        run.as_sql = lambda *args, **kwargs: (sql, bound)
        run.get_converters = _converters_kept(run, connection, id(self))
        query = copy.copy(queryset.query)
        query.get_compiler = lambda *args, **kwargs: run
        chained = queryset._chain()
        iterable = chained._iterable_class
        chained.query = query  # the setter resets values_list()'s iterable
        chained._iterable_class = iterable
        return list(chained)


def _converters_kept(run: Any, connection: Any, owner: int) -> Callable:
    """The compiler's `get_converters`, worked out once per connection (they
    are the connection's own functions) for this query's columns, then reused:
    it was a good part of each run for the wide rows of select_related."""
    kept = connection.__dict__.setdefault("relais_prepared_converters", {})
    compute = type(run).get_converters

    def get_converters(expressions):
        key = (owner, len(expressions), id(expressions[0]) if expressions else 0)
        found = kept.get(key)
        if found is None:
            found = kept[key] = compute(run, expressions)
        return found

    return get_converters


class PreparedFamily:
    """One PreparedQuery per shape of a query whose SQL depends on something
    other than its values (how many items an `IN` lists, a page size):
    `family[key]` compiles `make(key)` the first time `key` is asked for."""

    def __init__(self, make: Callable[[Any], PreparedQuery]) -> None:
        self.make = make
        self._members: dict[Any, PreparedQuery] = {}

    def __getitem__(self, key: Any) -> PreparedQuery:
        member = self._members.get(key)
        if member is None:
            member = self._members.setdefault(key, self.make(key))
        return member


def listed(prefix: str, values: list[Any]) -> dict[str, Any]:
    """A list value as the named values of a PreparedQuery: prefix0, prefix1…"""
    return {f"{prefix}{index}": value for index, value in enumerate(values)}


_M = TypeVar("_M", bound=Model)


class PreparedInsert(Generic[_M]):
    """`Model.objects.create(**values)` for a hot write, its INSERT compiled once
    per process and database: the statement Django writes (defaults, `pre_save`
    and the new primary key read back), without building it again each time.

    Model signals are not sent: while anything listens to the model's
    `pre_save` or `post_save` (auditlog, say), `create` is Django's own."""

    def __init__(self, model: type[_M]) -> None:
        self.model = model
        self._compiled: dict[str, tuple[str, Any] | None] = {}

    @cached_property
    def fields(self) -> list:
        """What `Model.save` inserts (read once the app registry is ready)."""
        meta = self.model._meta
        return [
            f
            for f in meta.local_concrete_fields
            if not f.generated and f is not meta.auto_field
        ]

    @cached_property
    def returning(self) -> list:
        return self.model._meta.db_returning_fields

    def create(self, **values: Any) -> _M:
        model = self.model
        if pre_save.has_listeners(model) or post_save.has_listeners(model):
            return model._default_manager.create(**values)
        obj = model(**values)
        alias = router.db_for_write(model, instance=obj)
        connection = connections[alias]
        if alias not in self._compiled:
            self._compiled[alias] = self._compile(alias, obj)
        compiled = self._compiled[alias]
        if compiled is None:  # a statement of another shape: Django's own
            obj.save(force_insert=True, using=alias)
            return obj
        sql, returning_params = compiled
        params = [
            field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
            for field in self.fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if connection.features.can_return_columns_from_insert:
                row = connection.ops.fetch_returned_insert_columns(
                    cursor, returning_params
                )
            else:
                table, column = model._meta.db_table, model._meta.pk.column
                row = (connection.ops.last_insert_id(cursor, table, column),)
        for value, field in zip(row, self.returning, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = alias
        return obj

    def _compile(self, alias: str, obj: Model) -> tuple[str, Any] | None:
        query = InsertQuery(self.model)
        query.insert_values(self.fields, [obj])
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = self.returning
        statements = compiler.as_sql()
        values = "VALUES (" + ", ".join(["%s"] * len(self.fields)) + ")"
        if len(statements) != 1 or values not in statements[0][0]:
            return None  # placeholders that are not plain values: not prepared
        return statements[0][0], getattr(compiler, "returning_params", ())


class PreparedUpdate(Generic[_M]):
    """`obj.save(update_fields=fields)` for a hot write, its UPDATE written once
    per process and database (the statement Django writes for plain values).

    As with `PreparedInsert`, while anything listens to the model's `pre_save`
    or `post_save`, `save` is Django's own."""

    def __init__(self, model: type[_M], fields: list[str]) -> None:
        self.model = model
        self.names = fields
        self._sql: dict[str, str] = {}

    @cached_property
    def fields(self) -> list:
        return [self.model._meta.get_field(name) for name in self.names]

    def save(self, obj: _M) -> None:
        model = self.model
        if pre_save.has_listeners(model) or post_save.has_listeners(model):
            obj.save(update_fields=self.names)
            return
        alias = router.db_for_write(model, instance=obj)
        connection = connections[alias]
        sql = self._sql.get(alias)
        if sql is None:
            quote = connection.ops.quote_name
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in self.fields)
            # Quoted identifiers from the model's own metadata; values bound.
            sql = self._sql[alias] = (
                f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
                f"WHERE {quote(model._meta.pk.column)} = %s"
            )
        params = [
            field.get_db_prep_save(field.pre_save(obj, False), connection=connection)
            for field in self.fields
        ]
        params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount != 1:
                # What Model.save(update_fields=…) says of a row gone.
                raise DatabaseError("Save with update_fields did not affect any rows.")
        obj._state.db = alias
