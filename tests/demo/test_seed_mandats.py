"""The mandates' part of `seed_demo`: signed demo mandates in every state."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import JournalEntry
from mandats.models import Mandat
from mandats.verification import check

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_usagers_with_live_expiring_expired_and_revoked_mandates(settings):
    settings.FC_ISSUER = "http://127.0.0.1:9400"
    output = seed()
    usagers = {u["family_name"]: u for u in output["usagers"]}
    assert {"DUBOIS", "MARTIN", "LEFEBVRE", "DIALLO"} <= set(usagers)
    for usager in usagers.values():
        assert usager["given_name"] and usager["mandats"]
        for item in usager["mandats"]:
            assert {"id", "demarches", "expires_at"} <= set(item)
            assert item["status"] == "live"
    statuses = {check(m).status for m in Mandat.objects.all()}
    assert statuses == {"valid", "expired", "revoked"}
    expiring = Mandat.objects.get(uuid=usagers["MARTIN"]["mandats"][0]["id"])
    days_left = (expiring.expires_at - expiring.created_at).days - 26
    assert 0 < days_left <= 7
    assert all(check(m).genuine for m in Mandat.objects.all())
    assert usagers["LEFEBVRE"]["other_mandats"][0]["status"] == "expired"
    assert usagers["DIALLO"]["other_mandats"][0]["status"] == "revoked"
    assert Mandat.objects.first().usager.fc_issuer == "http://127.0.0.1:9400"


def test_second_run_changes_nothing():
    first = seed()
    entries = JournalEntry.objects.count()
    mandats = Mandat.objects.count()
    second = seed()
    assert JournalEntry.objects.count() == entries
    assert Mandat.objects.count() == mandats == 6
    assert first["usagers"] == second["usagers"]
