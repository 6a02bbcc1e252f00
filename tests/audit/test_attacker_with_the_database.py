"""What someone who can read and write the database, and nothing else (not the
key-encryption key, not the witness folder), can do to the journal: rewrite an
entry and recompute the chain, head and checkpoint signatures; truncate the tail
and the checkpoints past it; delete every checkpoint. Each time on a copy of the
database (a SQLite file, checked by `manage.py verify_journal` in a separate
process), and in place on PostgreSQL. `verify_journal` must exit non-zero and
name what it found; the untouched copy must still verify.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from joserfc import jws
from joserfc.jwk import ECKey

import audit
from audit.checkpoints import CHECKPOINT_TYPE, create_checkpoint
from audit.journal import HASHED_FIELDS, hash_values
from audit.keys import canonical_json
from audit.triggers import drop_sql

BASE_DIR = Path(__file__).resolve().parents[2]


def build_journal() -> None:
    """A journal as production makes it: entries, two witnessed checkpoints,
    then a tail not yet covered by a checkpoint."""
    for n in range(12):
        audit.record(
            audit.Action.MANDAT_USED,
            actor=("aidant", f"aidant-{n % 3}"),
            usager=f"usager-{n}",
            demarche="social",
            details={"n": n},
        )
    create_checkpoint()  # covers #12, journals #13
    for _n in range(6):
        audit.record(audit.Action.LOGIN_SUCCEEDED, actor=("aidant", "a"), details={})
    create_checkpoint()  # covers #19, journals #20
    for n in range(3):
        audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": n})


class Db:
    """The attacker's SQL session, on a SQLite file or on PostgreSQL."""

    def __init__(self, cursor, vendor: str):
        self.cursor, self.vendor = cursor, vendor

    def run(self, statement: str, params=()):
        if self.vendor == "sqlite":
            statement = statement.replace("%s", "?")
        self.cursor.execute(statement, params)
        return self.cursor.fetchall() if self.cursor.description else []

    def drop_triggers(self) -> None:
        for statement in drop_sql(self.vendor):
            self.run(statement)


def _datetime(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def recompute_chain(db: Db) -> None:
    """Recompute every prev_hash / entry_hash and the head, as audit.record does."""
    columns = ", ".join(HASHED_FIELDS)
    rows = db.run(f"SELECT {columns} FROM audit_journalentry ORDER BY seq")  # noqa: S608
    prev = "0" * 64
    for row in rows:
        values = list(row)
        values[1] = _datetime(values[1])
        if isinstance(values[10], str):
            values[10] = json.loads(values[10])
        entry_hash = hash_values(prev, values)
        db.run(
            "UPDATE audit_journalentry SET prev_hash = %s, entry_hash = %s "
            "WHERE seq = %s",
            [prev, entry_hash, values[0]],
        )
        prev = entry_hash
    db.run(
        "UPDATE audit_journalhead SET seq = %s, entry_hash = %s WHERE id = 1",
        [rows[-1][0], prev],
    )


def resign_checkpoints(db: Db) -> None:
    """No key in the database opens without the KEK: the attacker inserts a key of
    their own (sealed under a KEK of their own) and re-signs every checkpoint."""
    own = ECKey.generate_key("P-256", auto_kid=True)
    sealed = Fernet(Fernet.generate_key()).encrypt(own.as_pem(private=True)).decode()
    public = dict(own.as_dict(private=False), kid=own.kid, alg="ES256", use="sig")
    db.run(
        "UPDATE audit_servicekey SET active = %s WHERE purpose = %s",
        [False, "checkpoint"],
    )
    db.run(
        "INSERT INTO audit_servicekey (kid, purpose, alg, sealed_private_key, "
        "public_jwk, created_at, active) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            own.kid,
            "checkpoint",
            "ES256",
            sealed,
            json.dumps(public),
            datetime.now(UTC).isoformat(),
            True,
        ],
    )
    for pk, seq, created_at in db.run(
        "SELECT id, seq, created_at FROM audit_journalcheckpoint"
    ):
        entry_hash = db.run(
            "SELECT entry_hash FROM audit_journalentry WHERE seq = %s", [seq]
        )[0][0]
        payload = {
            "typ": CHECKPOINT_TYPE,
            "seq": seq,
            "entry_hash": entry_hash,
            "created_at": _datetime(created_at).astimezone(UTC).isoformat(),
        }
        token = jws.serialize_compact(
            {"alg": "ES256", "kid": own.kid}, canonical_json(payload), own
        )
        db.run(
            "UPDATE audit_journalcheckpoint SET entry_hash = %s, kid = %s, "
            "signature = %s WHERE id = %s",
            [entry_hash, own.kid, token, pk],
        )


def rewrite_an_entry(db: Db) -> None:
    db.drop_triggers()
    db.run("UPDATE audit_journalentry SET actor_id = %s WHERE seq = 5", ["someone"])
    recompute_chain(db)
    resign_checkpoints(db)


def rewrite_an_entry_and_delete_checkpoints(db: Db) -> None:
    db.drop_triggers()
    db.run("UPDATE audit_journalentry SET actor_id = %s WHERE seq = 5", ["someone"])
    recompute_chain(db)
    db.run("DELETE FROM audit_journalcheckpoint")


def truncate_the_tail(db: Db) -> None:
    db.drop_triggers()
    db.run("DELETE FROM audit_journalentry WHERE seq > 15")
    db.run("DELETE FROM audit_journalcheckpoint WHERE seq > 15")
    head = db.run("SELECT entry_hash FROM audit_journalentry WHERE seq = 15")[0][0]
    db.run(
        "UPDATE audit_journalhead SET seq = 15, entry_hash = %s WHERE id = 1", [head]
    )


def delete_every_checkpoint(db: Db) -> None:
    db.drop_triggers()
    db.run("DELETE FROM audit_journalcheckpoint")


ATTACKS = {
    "rewrite_resign": (rewrite_an_entry, "signature invalide (unknown key id"),
    "rewrite_delete_checkpoints": (
        rewrite_an_entry_and_delete_checkpoints,
        "ne correspond pas au point de contrôle du témoin",
    ),
    "truncate": (truncate_the_tail, "journal tronqué"),
    "delete_checkpoints": (delete_every_checkpoint, "n'est plus dans la base"),
}


def copy_database(path: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()


def verify_copy(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{path}")
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "verify_journal"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def sqlite_copy(transactional_db, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the file copy is for SQLite; see the postgres test below")
    build_journal()
    path = tmp_path / "copy.sqlite3"
    copy_database(path)
    return path


@pytest.mark.django_db(transaction=True)
def test_untouched_copy_verifies_and_says_what_is_not_covered(sqlite_copy):
    result = verify_copy(sqlite_copy)
    assert result.returncode == 0, result.stderr
    assert "Journal intact : 23 entrées vérifiées" in result.stdout
    # #20..#23 came after the last witnessed checkpoint (#19).
    assert "jusqu'à l'entrée n°19 ; 4 entrée(s) après lui" in result.stdout


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.django_db(transaction=True)
def test_attack_on_a_copy_is_named(sqlite_copy, attack):
    tamper, words = ATTACKS[attack]
    db = sqlite3.connect(sqlite_copy)
    tamper(Db(db.cursor(), "sqlite"))
    db.commit()
    db.close()
    result = verify_copy(sqlite_copy)
    assert result.returncode == 1, result.stdout
    assert "Journal altéré" in result.stderr
    assert words in result.stderr, result.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_in_place_on_postgresql_is_named(db, attack):
    build_journal()
    call_command("verify_journal")
    tamper, words = ATTACKS[attack]
    with connection.cursor() as cursor:
        tamper(Db(cursor, "postgresql"))
    with pytest.raises(CommandError, match=re.escape(words)) as excinfo:
        call_command("verify_journal")
    assert excinfo.value.returncode == 1
