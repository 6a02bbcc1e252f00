"""config/prepared.py: queries compiled once, values (time included) bound at
each run."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from aidants.models import Habilitation
from aidants.session_store import SessionStore
from config.prepared import PreparedFamily, PreparedQuery, listed


def test_a_session_expires_although_its_query_was_compiled_before(db):
    store = SessionStore()
    store["who"] = "alice"
    store.set_expiry(3600)
    store.save()
    assert SessionStore(store.session_key).load()["who"] == "alice"
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert SessionStore(store.session_key).load() == {}


def test_each_run_binds_its_own_values(aidant, structure, other_structure):
    prepared = PreparedQuery(
        lambda aidant_id, day: (
            Habilitation.objects.filter(aidant_id=aidant_id)
            .active(day=day)
            .values_list("structure_id", flat=True)
        ),
        aidant_id="int",
        day="date",
    )

    def structures(**values):
        return prepared.run(**values)

    today = timezone.localdate()
    assert structures(aidant_id=aidant.pk, day=today) == [structure.pk]
    assert structures(aidant_id=aidant.pk + 1000, day=today) == []
    Habilitation.objects.filter(aidant=aidant).update(valid_until=today)
    assert structures(aidant_id=aidant.pk, day=today) == [structure.pk]
    tomorrow = today + timedelta(days=1)
    assert structures(aidant_id=aidant.pk, day=tomorrow) == []


def test_a_value_the_sql_does_not_carry_is_refused(db):
    prepared = PreparedQuery(
        lambda aidant_id: Habilitation.objects.filter(aidant_id=abs(aidant_id)),
        aidant_id="int",
    )
    with pytest.raises(RuntimeError):
        prepared.run(aidant_id=1)


def test_a_value_used_twice_fills_both_places(aidant, structure, other_structure):
    prepared = PreparedQuery(
        lambda aidant_id: (
            Habilitation.objects.filter(aidant_id=aidant_id)
            .filter(structure__habilitations__aidant_id=aidant_id)
            .values_list("structure_id", flat=True)
            .distinct()
        ),
        aidant_id="int",
    )
    assert prepared.run(aidant_id=aidant.pk) == [structure.pk]
    assert prepared.run(aidant_id=aidant.pk + 1000) == []


def test_a_family_compiles_one_query_per_shape(aidant, structure, other_structure):
    def shape(count):
        def build(**ids):
            wanted = [ids[f"s{i}"] for i in range(count)]
            return Habilitation.objects.filter(structure_id__in=wanted).values_list(
                "structure_id", flat=True
            )

        return PreparedQuery(build, **listed("s", ["int"] * count))

    family = PreparedFamily(shape)
    assert family[1] is family[1] and family[1] is not family[2]
    assert family[1].run(**listed("s", [structure.pk])) == [structure.pk]
    assert family[2].run(**listed("s", [other_structure.pk, structure.pk])) == [
        structure.pk
    ]
    assert family[2].run(**listed("s", [other_structure.pk, -1])) == []


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's own cursor (audit.backends)"
)
def test_sqlite_placeholders_are_rewritten_once_per_statement(db, monkeypatch):
    """audit/backends/sqlite3: a statement's "format" placeholders become
    "qmark" ones as Django's cursor writes them, once, within a bound."""
    from audit.backends.sqlite3 import base

    monkeypatch.setattr(base, "_QMARK", {})
    monkeypatch.setattr(base, "_QMARK_MAX", 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s, '%%', %s", ["a", "b"])
        assert cursor.fetchone() == ("a", "%", "b")
        cursor.execute("SELECT %s, '%%', %s", ["c", "d"])
        assert cursor.fetchone() == ("c", "%", "d")
        assert base._QMARK == {"SELECT %s, '%%', %s": "SELECT ?, '%', ?"}
        for index in range(3):
            cursor.execute(f"SELECT %s + {index}", [1])
            assert cursor.fetchone() == (1 + index,)
    assert len(base._QMARK) == 2  # bounded
