"""`purge_expired` in batches (issue 16): the candidates come from one NOT
EXISTS query (an anti-join, not NOT IN), each batch is one transaction, and it
purges exactly the usagers the one-by-one purge did."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import JournalEntry
from mandats import purge
from mandats.models import Usager
from tests.factories import MandatFactory
from tests.mandats.test_purge import YEAR, ended_mandat


def test_purgeable_is_an_anti_join_not_a_not_in(db):
    sql = str(purge.purgeable(days=YEAR).query).upper()
    assert "NOT EXISTS" in sql
    assert "NOT IN" not in sql.replace("NOT EXISTS", "")


@pytest.mark.parametrize("batch", [1, 3, 200])
def test_batches_purge_exactly_the_purgeable_usagers(structure, monkeypatch, batch):
    monkeypatch.setattr(purge, "BATCH", batch)
    old = [ended_mandat(structure, 6 * YEAR).usager for _ in range(7)]
    # Kept: a live mandate, a mandate ended within retention, and an old usager
    # whose second mandate is still live.
    kept = [MandatFactory(structure=structure).usager]
    kept.append(ended_mandat(structure, YEAR).usager)
    both = ended_mandat(structure, 6 * YEAR).usager
    MandatFactory(structure=structure, usager=both, demarches=["papiers"])
    kept.append(both)
    report = purge.purge_expired(days=5 * YEAR)
    assert sorted(report.purged) == sorted(str(u.uuid) for u in old)
    for usager in old:
        usager.refresh_from_db()
        assert usager.purged_at is not None and usager.family_name == ""
        assert usager.fc_sub == f"purged:{usager.uuid}"
        assert all(m.usager_identity == {} for m in usager.mandats.all())
    assert not Usager.objects.filter(pk__in=[u.pk for u in kept]).exclude(
        purged_at=None
    )
    purged_ids = JournalEntry.objects.filter(action="data_purged").values_list(
        "usager_id", flat=True
    )
    assert sorted(purged_ids) == sorted(report.purged)
    assert purge.purge_expired(days=5 * YEAR).purged == []


def test_a_batch_costs_the_same_statements_whatever_the_mandates(structure):
    """Per batch: one locking read, one UPDATE per usager, one for the mandates,
    the journal append; the candidates' read is one query."""
    for _ in range(4):
        ended_mandat(structure, 6 * YEAR)
    with CaptureQueriesContext(connection) as captured:
        purge.purge_expired(days=5 * YEAR, now=timezone.now())
    reads = [q["sql"] for q in captured if "NOT EXISTS" in q["sql"].upper()]
    assert len(reads) == 2  # the candidates, then the locked re-check
