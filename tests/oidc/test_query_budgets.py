"""Query budgets of the delegated OIDC flow (issue 16), journal appends included:
the journal is appended at commit by audit.backends, inside what is captured.
A step over budget fails with every statement it ran, numbered.

Counted: every statement that reads or writes data. Transaction control
(BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO) is listed but not counted: under a test
case the code's transactions are savepoints, in production BEGIN/COMMIT."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from oidc.keys import ensure_keys
from tests.factories import MandatFactory
from tests.oidc.conftest import authorize_params, exchange, pick, query_of

BUDGETS = {"authorize": 4, "pick": 4, "approve": 8, "token": 6, "userinfo": 4}
CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _counted(step, sql):
    return not sql.lstrip().upper().startswith(CONTROL)


class Budgets:
    """Measures each step; `check()` fails listing every step over budget with
    all of its queries."""

    def __init__(self):
        self.over: list[str] = []

    @contextmanager
    def step(self, name):
        limit = BUDGETS[name]
        with CaptureQueriesContext(connection) as captured:
            yield
        counted = [q["sql"] for q in captured if _counted(name, q["sql"])]
        if len(counted) > limit:
            listing = "\n".join(f"{n:>3}. {sql}" for n, sql in enumerate(counted, 1))
            others = [q["sql"] for q in captured if not _counted(name, q["sql"])]
            self.over.append(
                f"{name}: {len(counted)} queries, budget {limit}:\n{listing}"
                f"\n  not counted: {others}"
            )

    def check(self):
        if self.over:
            pytest.fail("\n\n".join(self.over), pytrace=False)


@pytest.fixture
def flow_data(aidant, usager_with_mandat):
    ensure_keys()
    # A page of other usagers: the list stays one query whatever it holds.
    for _ in range(25):
        MandatFactory(structure=aidant.current_structure, demarches=["social"])
    return usager_with_mandat


def _flow(aidant_client, rp, usager, budget):
    params, verifier = authorize_params(rp)
    with budget("authorize"):
        listing = aidant_client.get("/oidc/authorize", params)
    assert listing.status_code == 200
    assert str(usager.uuid) in listing.content.decode()
    with budget("pick"):
        page = aidant_client.get(
            "/oidc/authorize", dict(params, relais_usager=str(usager.uuid))
        )
    assert page.status_code == 200
    with budget("approve"):
        answer = pick(aidant_client, params, usager)
    assert answer.status_code == 302, answer.content[:300]
    code = query_of(answer["Location"])["code"]
    # The service calls without the aidant's cookies.
    with budget("token"):
        tokens = exchange(Client(), rp, code, verifier)
    assert tokens.status_code == 200, tokens.content
    with budget("userinfo"):
        info = Client().get(
            "/oidc/userinfo",
            HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access_token']}",
        )
    assert info.status_code == 200
    assert info.json()["given_name"] == usager.given_name


@contextmanager
def _unmeasured(step):
    yield


def test_each_step_of_a_delegated_flow_stays_within_its_query_budget(
    aidant_client, rp, flow_data
):
    # An aidant already at work: one flow since the login (terms of use checked
    # and remembered by the session, session clock started, signing key open).
    _flow(aidant_client, rp, flow_data, _unmeasured)
    budgets = Budgets()
    _flow(aidant_client, rp, flow_data, budgets.step)
    budgets.check()


def test_a_step_over_budget_fails_listing_its_queries(aidant_client, rp, flow_data):
    budgets = Budgets()
    with budgets.step("userinfo"):
        for _ in range(BUDGETS["userinfo"] + 1):
            list(rp.__class__.objects.filter(pk=rp.pk))
    with pytest.raises(pytest.fail.Exception) as failure:
        budgets.check()
    message = str(failure.value)
    assert "userinfo: 5 queries, budget 4" in message
    assert message.count('FROM "oidc_client"') == BUDGETS["userinfo"] + 1


@pytest.mark.django_db(transaction=True)
def test_the_approval_and_the_exchange_are_one_transaction_without_savepoints(
    aidant_client, rp, flow_data
):
    """Committed as in production (no test case transaction around): the
    services join the view's transaction (audit.joined_atomic), so approving
    and exchanging the code each open one transaction and no savepoint."""
    _flow(aidant_client, rp, flow_data, _unmeasured)
    control: dict[str, list[str]] = {}

    @contextmanager
    def watched(step):
        with CaptureQueriesContext(connection) as captured:
            yield
        control[step] = [
            q["sql"].split()[0].upper()
            for q in captured
            if not _counted(step, q["sql"]) or q["sql"].upper().startswith("COMMIT")
        ]

    _flow(aidant_client, rp, flow_data, watched)
    for step in ("approve", "token"):
        assert "SAVEPOINT" not in control[step], (step, control[step])
        assert "RELEASE" not in control[step], (step, control[step])
