"""The structures' usager directory (mandats.models.directory) stays exactly
what the mandates and the usagers say, through every write that changes it,
and the lists read it right: revoked or expired autorisations never listed."""

from datetime import timedelta
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from mandats.models import Mandat, StructureUsager, Usager
from mandats.purge import purge_usager
from mandats.selectors import live_usagers_page, structure_usagers_page
from mandats.services import (
    create_mandat,
    identify_usager,
    renew_mandat,
    revoke_autorisation,
    revoke_mandat,
)
from tests.factories import MandatFactory

CONSENT = {
    "fc_auth_time": 1_700_000_000,
    "acr": "eidas1",
    "confirmed_by_usager_at": "2026-11-23T09:00:00Z",
    "confirmed_by_aidant_at": "2026-11-23T09:00:01Z",
}
COLUMNS = (
    "structure_id",
    "usager_id",
    "family_name",
    "given_name",
    "preferred_username",
    "birthdate",
)
IDENTITY = {
    "sub": "fc-directory",
    "given_name": "Angela",
    "family_name": "DUBOIS",
    "birthdate": "1962-08-24",
    "gender": "female",
    "birthplace": "75107",
    "birthcountry": "99100",
    "email": "",
    "preferred_username": "",
}


def _expected() -> set[tuple]:
    """One row per (structure, unpurged usager) with a mandate, names copied."""
    rows = set()
    for mandat in Mandat.objects.select_related("usager"):
        usager = mandat.usager
        if usager.purged_at is None:
            rows.add(
                (mandat.structure_id, usager.pk)
                + tuple(getattr(usager, name) for name in COLUMNS[2:])
            )
    return rows


def assert_exact():
    actual = list(StructureUsager.objects.values_list(*COLUMNS))
    assert len(actual) == len(set(actual))
    assert set(actual) == _expected()


def grant(aidant, usager, demarches=("social",), **kw):
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager,
        demarches=list(demarches),
        duration_days=365,
        consent=CONSENT,
        **kw,
    )


def _live(structure, at=None, **page):
    return [u.pk for u in live_usagers_page(structure, ["social"], at, **page)]


def _theirs(structure, **page):
    return {u.pk: u.has_live for u in structure_usagers_page(structure, **page)}


def test_create_renew_revoke_keep_the_directory_exact(aidant, other_structure_aidant):
    usager = identify_usager(identity=IDENTITY, issuer="http://fc", actor=aidant)
    assert StructureUsager.objects.count() == 0
    assert_exact()
    first = grant(aidant, usager, ["social", "papiers"])
    assert_exact()
    assert StructureUsager.objects.count() == 1
    assert _live(aidant.current_structure) == [usager.pk]
    # A second mandate in the same structure: still one row.
    grant(aidant, usager, ["argent"])
    renewed = renew_mandat(
        mandat=first,
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager,
        demarches=["social"],
        duration_days=182,
        consent=CONSENT,
    )
    assert_exact()
    assert StructureUsager.objects.count() == 1
    # Another structure: a second row, its own list.
    grant(other_structure_aidant, usager)
    assert_exact()
    assert StructureUsager.objects.count() == 2
    assert _live(other_structure_aidant.current_structure) == [usager.pk]
    # Revoking the "social" autorisation takes the usager off the OIDC list
    # for "social"; the aidant's list still holds them (another démarche live).
    social = renewed.autorisations.get(demarche="social")
    revoke_autorisation(autorisation=social, by_type="aidant", by_id="x")
    assert _live(aidant.current_structure) == []
    assert list(_theirs(aidant.current_structure)) == [usager.pk]
    assert _theirs(aidant.current_structure)[usager.pk] is not None
    for mandat in usager.mandats.filter(structure=aidant.current_structure):
        if mandat.revoked_at is None:
            revoke_mandat(mandat=mandat, by_type="aidant", by_id="x")
    assert_exact()
    # Held a mandate there: still listed, with nothing live.
    assert _theirs(aidant.current_structure) == {usager.pk: None}
    assert _live(other_structure_aidant.current_structure) == [usager.pk]


def test_an_expired_mandate_leaves_the_pick_list(structure):
    mandat = MandatFactory(structure=structure)
    assert _live(structure) == [mandat.usager.pk]
    later = mandat.expires_at + timedelta(seconds=1)
    assert _live(structure, at=later) == []
    assert _theirs(structure, at=later) == {mandat.usager.pk: None}


def test_a_name_change_reaches_every_structure(aidant, other_structure_aidant):
    usager = identify_usager(identity=IDENTITY, issuer="http://fc", actor=aidant)
    grant(aidant, usager)
    grant(other_structure_aidant, usager)
    identify_usager(
        identity={
            **IDENTITY,
            "family_name": "MARTIN",
            "preferred_username": "DURAND",
            "birthdate": "1962-08-25",
        },
        issuer="http://fc",
    )
    assert_exact()
    assert set(StructureUsager.objects.values_list("family_name", flat=True)) == {
        "MARTIN"
    }
    structure = aidant.current_structure
    assert _live(structure, query="dubois") == []
    assert _live(structure, query="martin") == [usager.pk]
    assert _live(structure, query="durand 25/08/1962") == [usager.pk]
    assert list(_theirs(structure, query="24/08/1962")) == []


def test_a_save_of_other_fields_leaves_the_names(structure):
    mandat = MandatFactory(structure=structure)
    usager = mandat.usager
    Usager.objects.filter(pk=usager.pk).update(family_name="Changed")
    usager.refresh_from_db()
    usager.family_name = "Stale"
    usager.save(update_fields=["email"])
    assert StructureUsager.objects.get().family_name == "Dubois"
    usager.save()
    assert StructureUsager.objects.get().family_name == "Stale"


def test_purge_removes_the_copied_names(structure):
    created = timezone.now() - timedelta(days=6 * 365)
    mandat = MandatFactory(
        structure=structure,
        duration_days=31,
        created_at=created,
        usager__family_name="Ancien",
    )
    Usager.objects.filter(pk=mandat.usager.pk).update(created_at=created)
    kept = MandatFactory(structure=structure, usager__family_name="Recent")
    assert purge_usager(mandat.usager, days=5 * 365)
    assert_exact()
    assert list(StructureUsager.objects.values_list("usager_id", flat=True)) == [
        kept.usager.pk
    ]
    assert not StructureUsager.objects.filter(family_name="Ancien").exists()
    assert list(_theirs(structure)) == [kept.usager.pk]


def test_the_migration_fills_the_directory_from_the_mandates(
    structure, other_structure
):
    shared = MandatFactory(structure=structure).usager
    MandatFactory(structure=other_structure, usager=shared)
    MandatFactory(structure=structure, usager=shared, demarches=["argent"])
    MandatFactory(structure=other_structure, usager__family_name="Zola")
    purged = MandatFactory(structure=structure).usager
    Usager.objects.filter(pk=purged.pk).update(purged_at=timezone.now())
    StructureUsager.objects.all().delete()
    fill = import_module("mandats.migrations.0007_structure_usager_fill_and_search")
    with connection.cursor() as cursor:
        # The migration's function, with a cursor standing for the editor.
        fill.fill(None, SimpleNamespace(execute=cursor.execute))
    assert_exact()
    assert StructureUsager.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_has_the_directory_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'mandats_structureusager'"
        )
        indexes = dict(cursor.fetchall())
    order = indexes["structure_usager_order_idx"]
    assert "(structure_id, family_name, given_name, usager_id)" in order
    assert "(structure_id, birthdate)" in indexes["structure_usager_born_idx"]
    for column in ("family_name", "given_name", "preferred_username"):
        definition = indexes[f"structure_usager_{column}_trgm_idx"]
        assert f"gin (upper(({column})::text) gin_trgm_ops)" in definition


@pytest.mark.postgres
def test_postgresql_search_reads_the_structures_trigram_index(
    structure, other_structure
):
    """The trigram GIN index is on UPPER(col::text), the expression `icontains`
    compiles to: with sequential and plain index scans off, and the btree
    indexes that serve the structure alone out of the way, a search within one
    structure reads it (at scale the planner ANDs it with the structure's
    entries, or walks the order index for a frequent fragment)."""
    with connection.cursor() as cursor:
        # The btree indexes led by structure_id would serve the structure
        # alone: out of the way in this test's transaction (rolled back).
        cursor.execute("DROP INDEX structure_usager_order_idx")
        cursor.execute("DROP INDEX structure_usager_born_idx")
        cursor.execute(
            "ALTER TABLE mandats_structureusager"
            " DROP CONSTRAINT structure_usager_unique"
        )
    for index in range(300):
        MandatFactory(
            structure=other_structure if index % 30 else structure,
            usager__family_name="Dubois" if index % 100 == 1 else f"Nom{index}",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE mandats_structureusager")
    query = (
        StructureUsager.objects.filter(structure=structure)
        .search("ubo")
        .order_by()
        .values("pk")
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = query.explain()
    assert "structure_usager_family_name_trgm_idx" in plan
    assert "Index Cond: (upper((family_name)::text) ~~ '%UBO%'::text)" in plan
