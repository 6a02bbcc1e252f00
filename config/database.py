"""The `default` database of config/settings.py: DATABASE_URL, on Relais' own
backends (audit.backends), with every wait bounded (docs/operations.md)."""

from typing import Any

import dj_database_url

from config.env import env_int


def database(
    url: str,
    *,
    lock_timeout_ms: int,
    statement_timeout_ms: int,
    idle_in_transaction_timeout_ms: int,
) -> dict[str, Any]:
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "audit.backends.sqlite3"
        # In-memory test databases, one per pytest-xdist worker process
        # (pytest-django recognises only Django's own engine name for that).
        config["TEST"] = {"NAME": ":memory:"}
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN: journal appends never
            # interleave.
            "transaction_mode": "IMMEDIATE",
            # Busy wait for the write lock, in seconds; beyond it the request
            # gets the 503 page ("database is locked").
            "timeout": lock_timeout_ms / 1000,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "audit.backends.postgresql"
        config.setdefault("OPTIONS", {}).update(
            {
                "connect_timeout": env_int("RELAIS_DB_CONNECT_TIMEOUT", 3),
                # TCP keepalives: a silent partition is noticed in about 20 s.
                "keepalives": 1,
                "keepalives_idle": env_int("RELAIS_DB_KEEPALIVES_IDLE", 10),
                "keepalives_interval": env_int("RELAIS_DB_KEEPALIVES_INTERVAL", 5),
                "keepalives_count": env_int("RELAIS_DB_KEEPALIVES_COUNT", 2),
                "tcp_user_timeout": env_int("RELAIS_DB_TCP_USER_TIMEOUT_MS", 20000),
                "options": (
                    f"-c lock_timeout={lock_timeout_ms}"
                    f" -c statement_timeout={statement_timeout_ms}"
                    " -c idle_in_transaction_session_timeout="
                    f"{idle_in_transaction_timeout_ms}"
                ),
            }
        )
        # Prepared statements: PostgreSQL plans a statement once per connection
        # instead of at every execution (psycopg prepares what a connection ran
        # this many times; values sent apart from the SQL, which preparing
        # needs). Planning was most of the database's CPU in a delegated flow:
        # 12 of 15 ms (docs/performance.md). 0 turns it off: for a pooler that
        # cannot keep prepared statements (PgBouncer before 1.21 in transaction
        # mode).
        threshold = env_int("RELAIS_DB_PREPARE_THRESHOLD", 5)
        if threshold > 0:
            config["OPTIONS"].update(
                server_side_binding=True, prepare_threshold=threshold
            )
    return config
