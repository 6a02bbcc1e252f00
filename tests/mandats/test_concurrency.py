"""Concurrent confirmations on PostgreSQL: one mandate per creation key, and
never two live autorisations for one usager, structure and démarche."""

import threading

import pytest
from django.db import connection, connections

from mandats.exceptions import InvalidMandat
from mandats.models import Autorisation, Mandat
from mandats.services import create_mandat
from tests.factories import UsagerFactory

CONSENT = {"confirmed_by_usager_at": "a", "confirmed_by_aidant_at": "b"}


@pytest.fixture(autouse=True)
def _journal_head(transactional_db):
    # The flush after an earlier transactional test deletes the head row that a
    # data migration created; put it back.
    from audit.models import JournalHead

    JournalHead.objects.get_or_create(pk=1)


def _race(aidant, usager, keys: list[str]) -> tuple[list, list]:
    barrier = threading.Barrier(len(keys))
    results, errors = [], []

    def submit(key: str) -> None:
        try:
            barrier.wait()
            results.append(
                create_mandat(
                    aidant=aidant,
                    structure=aidant.current_structure,
                    usager=usager,
                    demarches=["social"],
                    duration_days=31,
                    consent=CONSENT,
                    creation_key=key,
                ).pk
            )
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_creates_one_mandate(aidant):
    assert connection.vendor == "postgresql"
    results, errors = _race(aidant, UsagerFactory(), ["same-key"] * 4)
    assert not errors, errors
    assert len(set(results)) == 1
    assert Mandat.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_never_leave_two_live_autorisations(aidant):
    usager = UsagerFactory()
    results, errors = _race(aidant, usager, ["k1", "k2", "k3"])
    assert all(isinstance(error, InvalidMandat) for error in errors), errors
    assert results
    unrevoked = Autorisation.objects.filter(usager=usager, revoked_at__isnull=True)
    assert unrevoked.count() == 1
