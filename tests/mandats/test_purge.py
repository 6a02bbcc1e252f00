"""`purge_expired`: personal data goes, the journal and its chain stay intact."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import JournalEntry
from mandats.models import Usager
from mandats.services import create_mandat, revoke_mandat
from mandats.verification import check
from tests.factories import MandatFactory, UsagerFactory

YEAR = 365


def aged(usager, days):
    Usager.objects.filter(pk=usager.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def ended_mandat(structure, ended_days_ago, **kw):
    created = timezone.now() - timedelta(days=ended_days_ago + 31)
    mandat = MandatFactory(
        structure=structure, duration_days=31, created_at=created, **kw
    )
    aged(mandat.usager, ended_days_ago + 40)
    return mandat


def test_purges_only_usagers_past_retention(structure, assert_journaled):
    old = ended_mandat(structure, 6 * YEAR, usager__family_name="Ancien")
    recent = ended_mandat(structure, 2 * YEAR, usager__family_name="Recent")
    live = MandatFactory(structure=structure, usager=old.usager, demarches=["papiers"])
    assert live  # the old usager now has a live mandate: kept
    lone = ended_mandat(structure, 6 * YEAR, usager__family_name="Seul")
    call_command("purge_expired")
    for mandat in (old, recent):
        mandat.usager.refresh_from_db()
        assert mandat.usager.purged_at is None
    lone.usager.refresh_from_db()
    usager = lone.usager
    assert usager.purged_at is not None
    assert usager.family_name == usager.given_name == usager.email == ""
    assert usager.birthplace == "" and usager.fc_sub == f"purged:{usager.uuid}"
    assert not Usager.objects.filter(family_name="Seul").exists()
    entry = assert_journaled("data_purged", usager_id=str(usager.uuid))
    assert entry.actor_type == "system"
    assert "Seul" not in str(entry.details)


def test_revoked_long_ago_counts_from_the_revocation(structure, aidant):
    now = timezone.now()
    mandat = MandatFactory(
        structure=structure, duration_days=365, created_at=now - timedelta(days=300)
    )
    aged(mandat.usager, 300)
    revoke_mandat(mandat=mandat, by_type="aidant", by_id="x")
    call_command("purge_expired", "--days", "30")
    mandat.usager.refresh_from_db()
    assert mandat.usager.purged_at is None  # revoked just now
    from mandats.models import Mandat

    Mandat.objects.filter(pk=mandat.pk).update(revoked_at=now - timedelta(days=60))
    call_command("purge_expired", "--days", "30")
    mandat.usager.refresh_from_db()
    assert mandat.usager.purged_at is not None


def test_usager_without_mandate_is_purged_after_retention(db):
    usager = UsagerFactory()
    aged(usager, 10)
    call_command("purge_expired", "--days", "5")
    usager.refresh_from_db()
    assert usager.purged_at is not None


def test_journal_still_verifies_and_purge_is_idempotent(aidant):
    now = timezone.now().isoformat()
    mandat = create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=UsagerFactory(),
        demarches=["social"],
        duration_days=1,
        consent={"confirmed_by_usager_at": now, "confirmed_by_aidant_at": now},
    )
    from mandats.models import Mandat

    # Revoked 20 days ago (only the revocation date moves; it is not signed).
    aged(mandat.usager, 30)
    revoke_mandat(mandat=mandat, by_type="aidant", by_id="x")
    Mandat.objects.filter(pk=mandat.pk).update(
        revoked_at=timezone.now() - timedelta(days=20)
    )
    entries_before = list(JournalEntry.objects.values_list("seq", "entry_hash"))
    call_command("purge_expired", "--days", "10")
    call_command("verify_journal")
    after = list(JournalEntry.objects.values_list("seq", "entry_hash"))
    assert after[: len(entries_before)] == entries_before
    assert JournalEntry.objects.filter(action="data_purged").count() == 1
    call_command("purge_expired", "--days", "10")
    assert JournalEntry.objects.filter(action="data_purged").count() == 1
    mandat.refresh_from_db()
    result = check(Mandat.objects.get(pk=mandat.pk))
    assert result.status == "revoked" and result.initials == ""


def test_dry_run_and_bad_days(structure, capsys):
    lone = ended_mandat(structure, 6 * YEAR)
    call_command("purge_expired", "--dry-run")
    assert "simulation) : 1" in capsys.readouterr().out
    lone.usager.refresh_from_db()
    assert lone.usager.purged_at is None
    with pytest.raises(CommandError):
        call_command("purge_expired", "--days", "0")
