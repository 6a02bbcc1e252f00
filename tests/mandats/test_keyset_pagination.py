"""The usager lists page by keyset (family_name, given_name, id): one query per
page, every usager exactly once, in order, forward and back, with the search
by name and by birthdate; never a COUNT."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection

from mandats.models import Usager
from mandats.selectors import live_usagers_page, structure_usagers_page
from tests.factories import MandatFactory
from tests.oidc.conftest import authorize_params, make_rp

FAMILIES = ["Dubois", "Durand", "dubois", "Ébert", "Martin", "Martin-Durand", "Zola"]
GIVEN = ["Anne", "Anne", "Bruno", "anne", "Éloi"]


@pytest.fixture
def crowd(aidant):
    """47 usagers with a live "social" mandate, many sharing (family, given)."""
    rng = random.Random(16)
    for index in range(47):
        MandatFactory(
            structure=aidant.current_structure,
            usager__family_name=rng.choice(FAMILIES),
            usager__given_name=rng.choice(GIVEN),
            usager__birthdate=date(1950 + index % 3, 1, 1),
        )
    return aidant.current_structure


def _expected(usagers):
    return [u.pk for u in usagers.order_by("family_name", "given_name", "pk")]


def _walk(fetch, size):
    """Every page forward from the first, then back from the last."""
    pages = [fetch(after=None, before=None, size=size)]
    while pages[-1].has_next:
        pages.append(fetch(after=pages[-1].after, before=None, size=size))
    back = [pages[-1]]
    while back[-1].has_previous:
        back.append(fetch(after=None, before=back[-1].before, size=size))
    return pages, back[::-1]


@pytest.mark.parametrize("size", [1, 5, 10, 47, 50])
def test_pages_hold_every_usager_once_in_order_both_ways(crowd, size):
    def fetch(**page):
        return structure_usagers_page(crowd, **page)

    forward, backward = _walk(fetch, size)
    ids = [u.pk for page in forward for u in page]
    assert ids == _expected(Usager.objects.with_mandats_of(crowd))
    assert len(ids) == len(set(ids)) == 47
    assert [[u.pk for u in p] for p in backward] == [[u.pk for u in p] for p in forward]
    assert len(forward) == -(-47 // size)
    assert not forward[0].has_previous and not forward[-1].has_next


@pytest.mark.parametrize(
    "query", ["dubois", "DUR", "anne", "01/01/1951", "martin 01/01/1950", "zz"]
)
def test_search_by_name_and_birthdate_pages_in_order(crowd, query):
    def fetch(**page):
        return live_usagers_page(crowd, ["social"], query=query, **page)

    forward, backward = _walk(fetch, 4)
    ids = [u.pk for page in forward for u in page]
    expected = Usager.objects.with_live_autorisations(crowd, ["social"]).search(query)
    assert ids == _expected(expected)
    assert len(ids) == len(set(ids))
    assert [[u.pk for u in p] for p in backward] == [[u.pk for u in p] for p in forward]


@pytest.mark.parametrize("size", [1, 5, 20, 47, 50])
@pytest.mark.parametrize("demarches", [["social"], ["social", "famille"], ["papiers"]])
def test_the_prepared_first_page_lists_what_the_query_would(crowd, size, demarches):
    """The first unfiltered page of the pick list is a query compiled once per
    process (config/prepared.py); later pages and searches are built anew.
    Both give the same usagers, for any démarches and page size."""
    MandatFactory(structure=crowd, demarches=["famille"], usager__family_name="Abel")
    first = live_usagers_page(crowd, demarches, size=size)
    expected = _expected(Usager.objects.with_live_autorisations(crowd, demarches))
    assert [u.pk for u in first] == expected[:size]
    assert first.has_next == (len(expected) > size) and not first.has_previous
    if first.has_next:
        following = live_usagers_page(crowd, demarches, after=first.after, size=size)
        assert [u.pk for u in following] == expected[size : 2 * size]


def test_the_prepared_first_page_binds_the_time_of_each_run(crowd):
    """Compiled once, the first page still leaves out a mandate the moment it
    expires: the instant is a value of each run, never frozen in the SQL."""
    soon = MandatFactory(structure=crowd, usager__family_name="Aaron")
    assert live_usagers_page(crowd, ["social"], size=5).items[0] == soon.usager
    later = soon.expires_at + timedelta(seconds=1)
    assert soon.usager not in live_usagers_page(crowd, ["social"], at=later, size=5)


def test_a_page_is_one_query_and_never_counts(crowd, django_assert_num_queries):
    first = structure_usagers_page(crowd, size=10)
    for page in (
        {"size": 10},
        {"after": first.after, "size": 10},
        {"before": first.after, "size": 10},
        {"query": "dubois 01/01/1950", "after": first.after, "size": 10},
    ):
        with django_assert_num_queries(1) as captured:
            live_usagers_page(crowd, ["social"], **page)
        with django_assert_num_queries(1):
            structure_usagers_page(crowd, **page)
        assert "COUNT(" not in captured.captured_queries[0]["sql"].upper()


def test_another_structures_cursor_gives_nothing_of_theirs(crowd, other_structure):
    theirs = MandatFactory(structure=other_structure, usager__family_name="Aaron")
    page = structure_usagers_page(crowd, after=theirs.usager.uuid, size=100)
    assert theirs.usager.pk not in [u.pk for u in page]


def test_authorize_pages_forward_and_back(aidant_client, crowd):
    params, _ = authorize_params(make_rp())
    first = aidant_client.get("/oidc/authorize", params)
    page = first.context["page"]
    assert len(page) == 20 and page.has_next and not page.has_previous
    body = first.content.decode()
    assert f"relais_after={page.after}" in body and "Page suivante" in body
    assert "Page précédente" not in body
    second = aidant_client.get("/oidc/authorize", dict(params, relais_after=page.after))
    assert "Page précédente" in second.content.decode()
    seen = [u.pk for u in page] + [u.pk for u in second.context["page"]]
    assert len(set(seen)) == 40
    back = aidant_client.get(
        "/oidc/authorize", dict(params, relais_before=second.context["page"].before)
    )
    assert [u.pk for u in back.context["page"]] == [u.pk for u in page]
    # A malformed cursor is the first page, never an error.
    bad = aidant_client.get("/oidc/authorize", dict(params, relais_after="x'--"))
    assert bad.status_code == 200
    assert [u.pk for u in bad.context["page"]] == [u.pk for u in page]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_has_the_list_and_journal_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == ("pg_trgm",)
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN"
            " ('mandats_usager', 'audit_journalentry')"
        )
        indexes = dict(cursor.fetchall())
    # The lists read the structures' directory (its own indexes: see
    # test_structure_directory): nothing reads these, none is kept (migration
    # mandats 0008).
    for unused in (
        "usager_family_name_trgm_idx",
        "usager_given_name_trgm_idx",
        "usager_preferred_username_trgm_idx",
        "usager_name_order_idx",
        "usager_birthdate_idx",
    ):
        assert unused not in indexes
    assert "(structure_id, created_at, seq)" in indexes["journal_structure_time_idx"]
    assert (
        "(structure_id, action, created_at, seq)"
        in (indexes["journal_struct_action_idx"])
    )
    assert "(usager_id, action, seq)" in indexes["journal_usager_action_idx"]
