"""Fill an empty PostgreSQL database with Relais at national scale.

    .venv/bin/python -m bench.scale.load --database-url postgres://… [--scale small]

`large`: 5,000 structures, 30,000 aidants, 1,000,000 usagers, 1,200,000 mandates,
2,500,000 autorisations and 10,000,000 journal entries (structure 1 holds 200,000
usagers and 2,000,000 entries); `small` is the same shape at one thousandth.
Migrates, drops the bulk tables' secondary indexes and constraints, fills them
with INSERT … SELECT generate_series, COPYs the journal whose chain hashes are
computed here in `audit.journal`'s exact format, rebuilds every index and
constraint, VACUUM ANALYZE, moves the journal head and signs a checkpoint with
`audit.checkpoints.create_checkpoint`. Prints the timings as JSON.
"""

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench.scale.shape import (
    CLIENT_ID,
    SHAPES,
    Shape,
    aidant_of,
    uid,
    uid_sql,
    usager_structure,
    usager_structure_sql,
)


def _words(text: str) -> list[str]:
    return text.split()


SYL_A = _words(
    "bar ber dur mar lef mor rou gar ben pet val cha bon fon lam dub mer vin ric"
    " sal tor cas nor dan gil hum jol kir lou mic nad oli pal que rev sim tan"
)
SYL_B = _words(
    "an on in el et al ou ier eau and ard ois ert ade ille eux ain our ot"
    " ac em il ol ul ar er ir or ur as es is os us at it ut ez"
)
SYL_C = [""] + _words(
    "t d s x y z eau in ard ier ot on el et and ois aud ault ic oux ange ine ès"
    " ac as ay"
)
GIVEN = _words(
    "Marie Jean Pierre Michel Anne Nathalie Isabelle Philippe Alain Nicolas"
    " Catherine Sylvie Christophe Patrick Françoise Martine Stéphane Sophie"
    " David Thomas Julien Céline Sandrine Laurent Valérie Christine Éric"
    " Frédéric Sébastien Aurélie Camille Léa Manon Hugo Lucas Chloé Emma"
    " Louis Gabriel Jules Inès Léna Adam Raphaël Arthur Zoé Jade Louise"
    " Mohamed Fatima Karim Yasmine Mamadou Aïcha Kevin Laura Paul Rose"
)
BIG_TABLES = (
    "aidants_structure",
    "aidants_aidant",
    "aidants_habilitation",
    "mandats_usager",
    "mandats_mandat",
    "mandats_autorisation",
    "mandats_structureusager",
    "audit_journalentry",
)
ACTIONS = (
    "mandat_used",
    "mandat_used",
    "mandat_used",
    "mandat_used",
    "mandat_used",
    "token_issued",
    "token_issued",
    "userinfo_served",
    "login_succeeded",
    "mandat_created",
)
SPAN = timedelta(days=730)


def _array(words: list[str]) -> str:
    return "(ARRAY[" + ",".join("'" + w + "'" for w in words) + "])"


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-scale-not-secret")
    os.environ.setdefault(
        "RELAIS_JOURNAL_WITNESS_DIR",
        "/tmp/relais-scale-witness",  # noqa: S108
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _run(cursor, sql: str, params) -> None:
    """Execute with parameters: SQL's modulo ` % ` doubled for the driver. The
    statements are built from the shape's integers and constants only."""
    cursor.execute(sql.replace(" % ", " %% "), params)


def _strip(cursor) -> list[str]:
    """Drop the bulk tables' secondary indexes and constraints; return the SQL
    that rebuilds them (indexes, then unique/check constraints, then FKs)."""
    indexes, constraints, fks = [], [], []
    for table in BIG_TABLES:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'c', 'f')",
            [table],
        )
        for name, kind, definition in cursor.fetchall():
            sql = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            (fks if kind == "f" else constraints).append((table, name, sql))
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND"
            " indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes += [(table, name, sql) for name, sql in cursor.fetchall()]
    for table, name, _sql in fks + constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _table, name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _t, _n, sql in indexes + constraints + fks]


def _fill_people(cursor, shape: Shape, now: datetime) -> None:
    per = shape.aidants // shape.structures
    _run(
        cursor,
        "INSERT INTO aidants_structure (id, uuid, name, siret, type, commune, active,"
        " require_passkey, allowed_demarches, created_at)"
        f" SELECT i, {uid_sql('structure', 'i')}, 'Structure ' || i,"
        " lpad(i::text, 14, '0'), 'mairie', 'Commune ' || i, true, false, '[]',"
        f" %s FROM generate_series(1, {shape.structures}) i",
        [now - SPAN],
    )
    _run(
        cursor,
        "INSERT INTO aidants_aidant (id, password, is_superuser, uuid, email,"
        " first_name, last_name, profession, phone, is_active, is_staff,"
        " date_joined, current_structure_id, session_epoch)"
        f" SELECT a, '!', false, {uid_sql('aidant', 'a')},"
        " 'aidant' || a || '@bench.example', 'Aidant', 'Numéro ' || a, '', '',"
        f" true, false, %s, 1 + (a - 1) % {shape.structures}, 0"
        f" FROM generate_series(1, {shape.structures * per}) a",
        [now - SPAN],
    )
    _run(
        cursor,
        "INSERT INTO aidants_habilitation (id, uuid, aidant_id, structure_id, status,"
        " is_referent, reason)"
        f" SELECT a, {uid_sql('habilitation', 'a')}, a,"
        f" 1 + (a - 1) % {shape.structures},"
        f" 'active', a <= {shape.structures}, ''"
        f" FROM generate_series(1, {shape.structures * per}) a",
        [],
    )


def _fill_usagers(cursor, shape: Shape, now: datetime) -> None:
    family = (
        f"initcap({_array(SYL_A)}[1 + i % {len(SYL_A)}]"
        f" || {_array(SYL_B)}[1 + (i / {len(SYL_A)}) % {len(SYL_B)}]"
        f" || {_array(SYL_C)}[1 + (i / {len(SYL_A) * len(SYL_B)}) % {len(SYL_C)}])"
    )
    old = shape.usagers - shape.purgeable
    _run(
        cursor,
        "INSERT INTO mandats_usager (id, uuid, given_name, family_name,"
        " preferred_username, birthdate, gender, birthplace, birthcountry, email,"
        " fc_sub, fc_issuer, created_at)"
        f" SELECT i, {uid_sql('usager', 'i')},"
        f" {_array(GIVEN)}[1 + (i * 7) % {len(GIVEN)}], {family},"
        " CASE WHEN i % 10 = 0 THEN initcap("
        f"{_array(SYL_A)}[1 + (i / 3) % {len(SYL_A)}] || 'ier') ELSE '' END,"
        " date '1930-01-01' + ((i::bigint * 7919) % 27000)::int,"
        " CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, '75056', '99100', '',"
        " 'bench-sub-' || i, 'https://fc.bench.example',"
        f" CASE WHEN i > {old} THEN %s ELSE %s END"
        f" FROM generate_series(1, {shape.usagers}) i",
        [now - timedelta(days=7 * 365), now - SPAN],
    )


def _fill_mandates(cursor, shape: Shape, now: datetime) -> None:
    per = shape.aidants // shape.structures
    old = shape.usagers - shape.purgeable
    structure = usager_structure_sql(shape, "u")
    created = (
        f"CASE WHEN m > {shape.usagers} THEN %(now)s - interval '800 days'"
        f" WHEN m > {old} THEN %(now)s - interval '2555 days'"
        " ELSE %(now)s - interval '1 day' - (m % 300) * interval '1 day' END"
    )
    _run(
        cursor,
        "INSERT INTO mandats_mandat (id, uuid, public_id, usager_id, structure_id,"
        " created_by_id, created_at, expires_at, duration_days, consent,"
        " usager_identity, signature, signing_kid, revoked_at, revoked_by_type,"
        " revoked_by_id, revocation_reason)"
        f" SELECT m, {uid_sql('mandat', 'm')}, 'bench' || m, u, {structure},"
        f" {structure} + {shape.structures} * (m % {per}), c, c + interval '365 days',"
        " 365, '{}', '{}', '', '',"
        f" CASE WHEN m % 50 = 0 AND m <= {old} THEN c + interval '10 days' END,"
        f" CASE WHEN m % 50 = 0 AND m <= {old} THEN 'aidant' ELSE '' END, '', ''"
        f" FROM (SELECT m, CASE WHEN m > {shape.usagers} THEN m - {shape.usagers}"
        f" ELSE m END AS u, {created} AS c"
        f" FROM generate_series(1, {shape.mandates}) m) s",
        {"now": now},
    )
    demarches = "(ARRAY['social', 'argent', 'logement'])"
    _run(
        cursor,
        "INSERT INTO mandats_autorisation (id, uuid, mandat_id, usager_id,"
        " structure_id, demarche, revoked_at, revoked_by_type, revoked_by_id,"
        " revocation_reason)"
        f" SELECT g.n, {uid_sql('autorisation', 'g.n')}, m.id,"
        f" m.usager_id, m.structure_id, {demarches}[d], m.revoked_at,"
        " m.revoked_by_type, '', ''"
        f" FROM (SELECT row_number() OVER (ORDER BY m, d) AS n, m, d"
        f" FROM generate_series(1, {shape.usagers}) m, generate_series(1, 3) d"
        f" WHERE d < 3 OR m <= {shape.third_autorisations}) g"
        " JOIN mandats_mandat m ON m.id = g.m",
        [],
    )


def _journal_lines(shape: Shape, now: datetime):
    """Yield (COPY text line, entry hash) for seq 1..entries, chained. Times are
    whole seconds plus a non-zero microsecond, written as `isoformat()` does."""
    from audit.journal import hash_values  # Django must be set up first
    from audit.models import GENESIS_HASH

    start = int((now - SPAN - timedelta(days=1)).timestamp())
    step = SPAN.total_seconds() / shape.entries
    prev = GENESIS_HASH
    sha = hashlib.sha256
    spread = shape.usagers - shape.big_usagers
    structures = [""] + [uid("structure", s) for s in range(1, shape.structures + 1)]
    aidants = [""] + [uid("aidant", a) for a in range(1, shape.aidants + 1)]
    usagers = [""] + [uid("usager", u) for u in range(1, shape.usagers + 1)]
    mandats = [""] + [uid("mandat", u) for u in range(1, shape.usagers + 1)]
    days: dict[int, str] = {}
    for seq in range(1, shape.entries + 1):
        if seq % 5 == 0:
            usager = 1 + (seq * 7919) % shape.big_usagers
        else:
            usager = shape.big_usagers + 1 + (seq * 7919) % spread
        structure = usager_structure(shape, usager)
        action = ACTIONS[seq % 10]
        day, second = divmod(start + int(step * seq), 86400)
        if day not in days:
            days[day] = datetime.fromtimestamp(day * 86400, UTC).date().isoformat()
        hour, second = divmod(second, 3600)
        minute, second = divmod(second, 60)
        micro = 1 + seq % 999_998
        stamp = f"{days[day]}T{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}+00:00"
        actor = aidants[aidant_of(shape, structure, seq)]
        client = CLIENT_ID if action in ("mandat_used", "token_issued") else ""
        demarche = "social" if client else ""
        if action == "login_succeeded":
            mandat = usager_id = ""
        else:
            mandat, usager_id = mandats[usager], usagers[usager]
        structure_id = structures[structure]
        canonical = (
            f'{{"action":"{action}","actor_id":"{actor}","actor_type":"aidant",'
            f'"client_id":"{client}","created_at":"{stamp}","demarche":"{demarche}",'
            f'"details":{{}},"mandat_id":"{mandat}","seq":{seq},'
            f'"structure_id":"{structure_id}","usager_id":"{usager_id}"}}'
        )
        digest = sha((prev + canonical).encode()).hexdigest()
        if seq <= 1000 or seq % 100_000 == 0:
            created = datetime.fromisoformat(stamp)
            values = [seq, created, action, "aidant", actor, structure_id]
            values += [usager_id, mandat, demarche, client, {}]
            assert hash_values(prev, values) == digest, seq  # noqa: S101
        yield (
            (
                f"{seq}\t{seq}\t{stamp}\t{action}\taidant\t{actor}\t{structure_id}\t"
                f"{usager_id}\t{mandat}\t{demarche}\t{client}\t{{}}\t{prev}\t{digest}\n"
            ),
            digest,
        )
        prev = digest


def _fill_journal(cursor, shape: Shape, now: datetime) -> tuple[int, str]:
    columns = (
        "id, seq, created_at, action, actor_type, actor_id, structure_id, usager_id,"
        " mandat_id, demarche, client_id, details, prev_hash, entry_hash"
    )
    last, buffer = "", []
    with cursor.copy(f"COPY audit_journalentry ({columns}) FROM STDIN") as copy:
        for line, digest in _journal_lines(shape, now):
            buffer.append(line)
            last = digest
            if len(buffer) >= 20000:
                copy.write("".join(buffer))
                buffer = []
        if buffer:
            copy.write("".join(buffer))
    return shape.entries, last


def _fill_directory(cursor) -> None:
    """The structures' usager directories, as migration
    mandats/0007_structure_usager_fill_and_search fills them."""
    from importlib import import_module  # a migration module: not importable by name

    fill = import_module("mandats.migrations.0007_structure_usager_fill_and_search")
    cursor.execute(fill.FILL)


def load(shape: Shape) -> dict:
    from django.db import connection, transaction

    from audit.checkpoints import create_checkpoint
    from audit.models import JournalEntry, JournalHead
    from mandats.models import Usager

    if Usager.objects.exists() or JournalEntry.objects.exists():
        raise SystemExit("the database is not empty: give an empty one")
    timings: dict[str, float] = {}
    now = datetime.now(UTC)
    began = time.perf_counter()

    def mark(name: str, since: float) -> float:
        timings[name] = round(time.perf_counter() - since, 1)
        print(f"{name}: {timings[name]} s", file=sys.stderr, flush=True)  # noqa: T201
        return time.perf_counter()

    with connection.cursor() as cursor:
        # Bulk statements run for minutes: lift the server's statement timeout.
        cursor.execute("SET statement_timeout = 0")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        rebuild = _strip(cursor)
        t = mark("strip", began)
        _fill_people(cursor, shape, now)
        t = mark("structures, aidants, habilitations", t)
        _fill_usagers(cursor, shape, now)
        t = mark("usagers", t)
        _fill_mandates(cursor, shape, now)
        t = mark("mandates, autorisations", t)
        _fill_directory(cursor)
        t = mark("usager directories", t)
        count, head_hash = _fill_journal(cursor, shape, now)
        t = mark("journal (hash + COPY)", t)
        for table in BIG_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT max(id) FROM {table}))"
            )
        for sql in rebuild:
            cursor.execute(sql)
        t = mark("indexes and constraints", t)
        JournalHead.objects.filter(pk=1).update(seq=count, entry_hash=head_hash)
    with connection.cursor() as cursor:
        for table in BIG_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    t = mark("vacuum analyze", t)
    checkpoint = create_checkpoint()
    mark("checkpoint", t)
    timings["total"] = round(time.perf_counter() - began, 1)
    return {"timings_s": timings, "checkpoint_seq": checkpoint.seq, **vars(shape)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", choices=sorted(SHAPES), default="large")
    parser.add_argument(
        "--entries",
        type=int,
        help="journal entries (default: the scale's); fewer to load faster when"
        " only the usager lists are measured",
    )
    args = parser.parse_args()
    shape = SHAPES[args.scale]
    if args.entries is not None:
        shape = replace(shape, entries=args.entries)
    _setup(args.database_url)
    print(json.dumps(load(shape), indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
