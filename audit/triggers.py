"""Database triggers that make the journal append-only (SQLite and PostgreSQL).

Installed by migration 0005 and re-ensured after every `migrate` / `flush`
(post_migrate), so that a flushed test database gets them back. They stop the
application and casual operators; tampering by someone who can drop a trigger is
what the hash chain and the signed checkpoints detect.
"""

from collections.abc import Iterable
from typing import Any

TABLES = ("audit_journalentry", "audit_journalcheckpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_journal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _table_install_sql(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op.upper()} "
            f"ON {table} BEGIN SELECT RAISE(ABORT, "
            f"'journal is append-only: {op.upper()} refused'); END;"
            for op in ("update", "delete")
        ]
    if vendor == "postgresql":
        # Row triggers: TRUNCATE (test flush) is not covered; the chain and the
        # signed checkpoints detect a truncated journal.
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_journal_refuse_change();",
        ]
    return []


def _table_drop_sql(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{op};" for op in ("update", "delete")
        ]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};"]
    return []


def install_sql(vendor: str, tables: Iterable[str] = TABLES) -> list[str]:
    """SQL statements creating the triggers for `vendor` ('sqlite'/'postgresql')."""
    statements = [_PG_FUNCTION] if vendor == "postgresql" else []
    for table in sorted(tables):
        statements += _table_install_sql(vendor, table)
    return statements


def drop_sql(vendor: str, tables: Iterable[str] = TABLES) -> list[str]:
    """SQL statements removing the triggers (tests before a flush, maintenance)."""
    return [sql for table in sorted(tables) for sql in _table_drop_sql(vendor, table)]


def _existing_tables(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor)) & set(TABLES)


def install_triggers(connection: Any) -> None:
    """Create the append-only triggers on the journal tables that exist."""
    tables = _existing_tables(connection)
    if not tables:
        return
    with connection.cursor() as cursor:
        for sql in install_sql(connection.vendor, tables):
            cursor.execute(sql)


def drop_triggers(connection: Any) -> None:
    """Remove the triggers. Only for tests (before a flush) and maintenance."""
    with connection.cursor() as cursor:
        for sql in drop_sql(connection.vendor, _existing_tables(connection)):
            cursor.execute(sql)


def ensure_triggers(sender: Any = None, *, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: (re)install the triggers on database `using`, and the
    head row (a `flush` empties every table, the head's included)."""
    # post_migrate receiver: the models load once the app registry is ready.
    from django.db import connections

    # post_migrate receiver: the models load once the app registry is ready.
    from audit.models import GENESIS_HASH, JournalHead

    connection = connections[using]
    install_triggers(connection)
    if "audit_journalhead" in connection.introspection.table_names():
        JournalHead.objects.using(using).get_or_create(
            pk=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH}
        )
