import base64
import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP

from aidants import access
from aidants.models import (
    Aidant,
    Habilitation,
    HabilitationStatus,
    Structure,
    TOTPDevice,
)
from aidants.validators import validate_siret
from audit.models import JournalEntry
from demo import aidants as demo
from demo.rp import config as demo_service
from demo.sandbox import DEMO_IDENTITIES
from oidc.models import Client


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_json(*args):
    out = StringIO()
    call_command("seed_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def code_for(secret_b32):
    return f"{TOTP(base64.b32decode(secret_b32)).token():06d}"


def counts():
    return (
        Aidant.objects.count(),
        Structure.objects.count(),
        Habilitation.objects.count(),
        TOTPDevice.objects.count(),
        JournalEntry.objects.count(),
    )


@pytest.mark.django_db
def test_json_output_follows_the_contract():
    data = seed_json()
    for role in ("referent", "aidant"):
        assert set(data[role]) >= {"email", "password", "totp_secret"}
        base64.b32decode(data[role]["totp_secret"])
    assert data["client"] is None or set(data["client"]) >= {
        "client_id",
        "client_secret",
        "redirect_uri",
    }
    assert isinstance(data["usagers"], list)
    assert data["aidants"] == []
    assert data["referent"]["email"] != data["aidant"]["email"]
    validate_siret(data["structure"]["siret"])


@pytest.mark.django_db
def test_printed_logins_really_work(rf):
    data = seed_json()
    structure = Structure.objects.get(siret=data["structure"]["siret"])
    for role in ("referent", "aidant", "staff"):
        login = data[role]
        user = authenticate(
            rf.post("/"), username=login["email"], password=login["password"]
        )
        assert user is not None, role
        device = TOTPDevice.objects.get(user=user)
        assert device.confirmed
        assert device.verify_token(code_for(login["totp_secret"]))
        assert access.can_log_in(user)
    referent = Aidant.objects.get(email=data["referent"]["email"])
    aidant = Aidant.objects.get(email=data["aidant"]["email"])
    assert access.is_referent(referent, structure)
    assert access.has_active_habilitation(referent, structure)
    assert access.has_active_habilitation(aidant, structure)
    assert not access.is_referent(aidant, structure)
    assert Aidant.objects.get(email=data["staff"]["email"]).is_staff


@pytest.mark.django_db
def test_habilitations_are_journaled_as_staff_decisions():
    data = seed_json()
    staff = Aidant.objects.get(email=data["staff"]["email"])
    activated = JournalEntry.objects.filter(action="habilitation_activated")
    assert activated.count() == 2
    assert {entry.actor_id for entry in activated} == {str(staff.uuid)}


@pytest.mark.django_db
def test_second_run_changes_nothing():
    first = seed_json("--aidants", "2")
    before = counts()
    head = JournalEntry.objects.order_by("-seq").first().entry_hash
    second = seed_json("--aidants", "2")
    assert second == first
    assert counts() == before
    assert JournalEntry.objects.order_by("-seq").first().entry_hash == head


@pytest.mark.django_db
def test_second_run_repairs_a_suspended_demo_aidant():
    data = seed_json()
    Habilitation.objects.filter(aidant__email=data["aidant"]["email"]).update(
        status=HabilitationStatus.SUSPENDED
    )
    seed_json()
    hab = Habilitation.objects.get(aidant__email=data["aidant"]["email"])
    assert hab.is_active()
    last_two = JournalEntry.objects.order_by("-seq").values_list("action", flat=True)
    # The repair is journaled, then witnessed by the checkpoint that ends the run.
    assert list(last_two[:2]) == ["journal_checkpointed", "habilitation_activated"]


@pytest.mark.django_db
def test_extra_aidants_are_created_in_the_demo_structure():
    data = seed_json("--aidants", "3")
    extra = data["aidants"]
    assert len(extra) == 3
    assert len({login["email"] for login in extra}) == 3
    assert len({login["totp_secret"] for login in extra}) == 3
    structure = Structure.objects.get(siret=data["structure"]["siret"])
    for login in extra:
        user = Aidant.objects.get(email=login["email"])
        assert access.has_active_habilitation(user, structure)
        assert user.current_structure == structure


@pytest.mark.django_db
def test_rerun_reactivates_a_deactivated_demo_account():
    data = seed_json()
    Aidant.objects.filter(email=data["aidant"]["email"]).update(is_active=False)
    assert seed_json()["aidant"]["totp_secret"] == data["aidant"]["totp_secret"]
    assert Aidant.objects.get(email=data["aidant"]["email"]).is_active


@pytest.mark.django_db
def test_human_output_lists_the_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert demo.REFERENT.email in text
    assert demo.AIDANT.email in text
    assert demo.AIDANT.totp_secret in text
    assert demo.DEMO_PASSWORD in text


@pytest.mark.django_db
def test_every_part_of_the_seed_fills_its_output():
    """demo/seed.py's parts, in order: usagers with mandates, the accepted terms
    of use, then the demo online service registered as an OIDC client."""
    data = seed_json()
    assert [u["fc_sub"] for u in data["usagers"]] == [
        identity["sub"] for identity in DEMO_IDENTITIES
    ]
    assert data["client"]["client_id"] == demo_service.CLIENT_ID
    assert Client.objects.get(client_id=demo_service.CLIENT_ID).active


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-1", "5000"])
def test_unreasonable_aidant_count_is_refused(value):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--aidants", value, stdout=StringIO())
    assert Aidant.objects.count() == 0


def test_readme_lists_the_demo_logins():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for account in (demo.REFERENT, demo.AIDANT, demo.STAFF):
        assert account.email in readme
        assert account.totp_secret in readme
    assert demo.DEMO_PASSWORD in readme
    assert demo.DEMO_SIRET in readme


@pytest.mark.django_db
def test_human_output_is_in_french():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for english in ("name :", "e-mail :", "demo_url", "discovery :", "T0", "+00:00"):
        assert english not in text
    assert "courriel : " in text
