"""Public verification page and the offline `verify_mandate` command."""

import html
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audit.keys import public_jwks, rotate_key
from audit.models import JournalEntry
from mandats.models import Mandat
from mandats.services import create_mandat, revoke_autorisation, revoke_mandat
from tests.factories import UsagerFactory


def text(response):
    return html.unescape(response.content.decode())


def signed(aidant, demarches=("social", "papiers"), duration=365):
    now = timezone.now().isoformat()
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=UsagerFactory(given_name="Angela Claire", family_name="Dubois"),
        demarches=list(demarches),
        duration_days=duration,
        consent={"confirmed_by_usager_at": now, "confirmed_by_aidant_at": now},
    )


@pytest.fixture
def mandat(aidant):
    return signed(aidant)


def url(mandat):
    return f"/verifier/{mandat.public_id}"


def test_valid_mandate_shows_only_the_public_facts(
    client, mandat, aidant, assert_journaled
):
    response = client.get(url(mandat))
    page = text(response)
    assert response.status_code == 200
    assert "Mandat valide" in page
    assert 'data-testid="initials">A. D.<' in page
    assert aidant.current_structure.name in page
    assert "Social - Santé : <strong>valide</strong>" in page
    assert mandat.expires_at.astimezone().strftime("%d/%m/%Y") in page
    # Never the identity itself, nor who created it.
    assert "Dubois" not in page and "Angela" not in page
    assert mandat.usager.birthdate.strftime("%d/%m/%Y") not in page
    assert aidant.last_name not in page
    entry = assert_journaled("attestation_verified", mandat_id=str(mandat.uuid))
    assert entry.details["result"] == "valid" and entry.actor_type == "system"


def test_expired_mandate(client, aidant):
    mandat = signed(aidant, duration=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        page = text(client.get(url(mandat)))
    assert "Mandat expiré" in page
    assert "expirée" in page


def test_revoked_mandate_and_revoked_demarche(client, aidant, mandat):
    social = mandat.autorisations.get(demarche="social")
    revoke_autorisation(autorisation=social, by_type="usager", by_id="u")
    page = text(client.get(url(mandat)))
    assert "Mandat valide" in page
    assert "Social - Santé : <strong>révoquée</strong>" in page
    assert "Papiers - Citoyenneté - Élections : <strong>valide</strong>" in page
    revoke_mandat(mandat=mandat, by_type="aidant", by_id="a")
    page = text(client.get(url(mandat)))
    assert "Mandat révoqué" in page


def test_unknown_id_is_a_plain_not_found_and_not_journaled(client, db):
    before = JournalEntry.objects.count()
    response = client.get("/verifier/nimportequoi")
    assert response.status_code == 404
    assert "Mandat introuvable" in text(response)
    assert JournalEntry.objects.count() == before


def test_tampered_mandate_is_not_found(client, mandat, assert_journaled):
    # Someone extends the mandate in the database: the signature no longer matches.
    Mandat.objects.filter(pk=mandat.pk).update(
        expires_at=mandat.expires_at + timedelta(days=365)
    )
    response = client.get(url(mandat))
    assert response.status_code == 404
    assert "Mandat introuvable" in text(response)
    entry = assert_journaled("attestation_verified", mandat_id=str(mandat.uuid))
    assert entry.details["result"] == "invalid"


def test_forged_signature_is_not_found(client, mandat):
    header, payload, sig = mandat.signature.split(".")
    forged = f"{header}.{payload}.{sig[:-4]}AAAA"
    Mandat.objects.filter(pk=mandat.pk).update(signature=forged)
    assert client.get(url(mandat)).status_code == 404


def test_signature_survives_key_rotation(client, mandat):
    rotate_key("ES256", purpose="mandat")
    assert "Mandat valide" in text(client.get(url(mandat)))


def run(*args):
    try:
        call_command("verify_mandate", *args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_command_with_public_id(mandat, capsys):
    assert run(mandat.public_id) == 0
    out = capsys.readouterr().out
    assert "Statut : valide" in out and "A. D." in out
    assert JournalEntry.objects.filter(
        action="attestation_verified", details__via="command"
    ).exists()


def test_command_with_jws_and_jwks_file(client, mandat, tmp_path, capsys):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(client.get("/verifier/jwks").json()))
    assert run(mandat.signature, "--jwks", str(path)) == 0
    assert "Statut : valide" in capsys.readouterr().out


def test_mandate_key_set_is_published_apart_from_id_token_keys(client, mandat):
    from oidc.keys import ensure_keys

    ensure_keys()
    mandate_kids = {k["kid"] for k in client.get("/verifier/jwks").json()["keys"]}
    id_token_kids = {k["kid"] for k in client.get("/oidc/jwks").json()["keys"]}
    assert mandat.signing_kid in mandate_kids
    assert id_token_kids and not mandate_kids & id_token_kids
    assert public_jwks("mandat") == client.get("/verifier/jwks").json()


def test_command_refuses_a_forged_jws(mandat, tmp_path, capsys):
    header, payload, sig = mandat.signature.split(".")
    assert run(f"{header}.{payload}.{sig[:-4]}AAAA") == 1
    assert "signature invalide" in capsys.readouterr().out
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"keys": []}))
    assert run(mandat.signature, "--jwks", str(other)) == 1


def test_command_unknown_id_and_revoked(mandat, capsys):
    assert run("inconnu") == 1
    assert "introuvable" in capsys.readouterr().out
    revoke_mandat(mandat=mandat, by_type="aidant", by_id="a")
    assert run(mandat.public_id) == 2
    assert "Statut : révoqué" in capsys.readouterr().out


def test_command_bad_jwks_file(mandat, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "bad.json"
    path.write_text("not json")
    with pytest.raises(CommandError):
        call_command("verify_mandate", mandat.public_id, "--jwks", str(path))


def test_public_ids_are_plain_base32_and_never_look_like_options():
    from mandats.models import new_public_id

    ids = {new_public_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(
        len(i) == 32 and set(i) <= set("abcdefghijklmnopqrstuvwxyz234567") for i in ids
    )
