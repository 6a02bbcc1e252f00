import threading

import pytest
from django.db import connection
from django.test import Client as DjangoClient

from audit.models import JournalEntry
from oidc.models import Token
from tests.oidc.conftest import exchange, get_code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_exchanges_of_one_code_leave_no_live_token(
    aidant_client, rp, usager_with_mandat
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    barrier = threading.Barrier(2)
    statuses = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(exchange(DjangoClient(), rp, code, verifier).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The code row lock serializes them: one token issued, then the replay
    # revokes it.
    assert sorted(statuses) == [200, 400]
    assert Token.objects.count() == 1
    assert Token.objects.get().revoked_at is not None
    assert JournalEntry.objects.filter(action="code_replayed").count() == 1
