"""config/prepared.py: queries compiled once, values (time included) bound at
each run."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from aidants.models import Habilitation
from aidants.session_store import SessionStore
from config.prepared import PreparedQuery


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
