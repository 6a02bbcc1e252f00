"""`manage.py register_client` (DESIGN.md "Contracts")."""

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import JournalEntry
from oidc.models import Client
from tests.oidc.conftest import REDIRECT_URI, pkce_pair, query_of

ROOT = Path(__file__).resolve().parents[2]


def _register(*args) -> dict:
    out = io.StringIO()
    call_command("register_client", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_json_on_a_fresh_database_prints_a_client_that_completes_a_flow(
    aidant_client, usager_with_mandat
):
    assert not Client.objects.exists()
    printed = _register(
        "--name", "CAF (test)", "--redirect-uri", REDIRECT_URI, "--demarches", "social"
    )
    assert set(printed) >= {"client_id", "client_secret", "profile", "discovery"}
    client = Client.objects.get(client_id=printed["client_id"])
    assert printed["client_secret"] not in client.client_secret_hash
    entry = JournalEntry.objects.get(action="client_registered")
    assert entry.client_id == printed["client_id"]
    assert printed["client_secret"] not in json.dumps(entry.details)

    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": printed["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "etat-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "relais_usager": str(usager_with_mandat.uuid),
        "relais_demarche": "social",
    }
    answer = query_of(aidant_client.post("/oidc/authorize", params)["Location"])
    basic = base64.b64encode(
        f"{printed['client_id']}:{printed['client_secret']}".encode()
    ).decode()
    token = aidant_client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content
    assert token.json()["id_token"]


def test_franceconnect_profile_defaults_to_client_secret_post(db):
    printed = _register(
        "--name",
        "FranceConnect",
        "--redirect-uri",
        "https://fcp.integ01.dev-franceconnect.fr/api/v1/oidc-callback",
        "--demarches",
        "social,famille",
        "--profile",
        "franceconnect",
    )
    assert printed["profile"] == "franceconnect"
    assert printed["token_endpoint_auth_method"] == "client_secret_post"
    assert Client.objects.get().is_franceconnect


@pytest.mark.parametrize(
    "args",
    [
        ("--redirect-uri", "http://caf.example/cb", "--demarches", "social"),
        ("--redirect-uri", "https://caf.example/cb#x", "--demarches", "social"),
        ("--redirect-uri", REDIRECT_URI, "--demarches", "social,inconnue"),
        ("--redirect-uri", REDIRECT_URI, "--demarches", ""),
        (
            "--redirect-uri",
            REDIRECT_URI,
            "--demarches",
            "social",
            "--auth-method",
            "private_key_jwt",
        ),
        (
            "--redirect-uri",
            REDIRECT_URI,
            "--demarches",
            "social",
            "--backchannel-logout-uri",
            "http://caf.example/backchannel",
        ),
    ],
)
def test_bad_registrations_are_refused_with_a_clear_message(db, args):
    with pytest.raises(CommandError):
        call_command("register_client", "--name", "X", *args)
    assert not Client.objects.exists()


def test_loopback_http_is_accepted_for_local_services(db):
    printed = _register(
        "--name",
        "Local",
        "--redirect-uri",
        "http://127.0.0.1:8765/cb",
        "--demarches",
        "social",
    )
    assert printed["redirect_uris"] == ["http://127.0.0.1:8765/cb"]


def test_human_output_shows_the_secret_once_with_a_warning(db):
    out = io.StringIO()
    call_command(
        "register_client",
        "--name",
        "CPAM",
        "--redirect-uri",
        REDIRECT_URI,
        "--demarches",
        "social",
        stdout=out,
    )
    text = out.getvalue()
    assert "client_secret : " in text and "plus jamais affiché" in text


def test_command_runs_on_a_brand_new_sqlite_file(tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'neuf.sqlite3'}",
        RELAIS_JOURNAL_WITNESS_DIR=str(tmp_path / "witness"),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)  # noqa: S603
    done = subprocess.run(  # noqa: S603
        [
            *manage,
            "register_client",
            "--name=CAF",
            f"--redirect-uri={REDIRECT_URI}",
            "--demarches=social",
            "--json",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = json.loads(done.stdout)
    assert len(printed["client_secret"]) >= 43 and printed["client_id"]


def test_backchannel_logout_uri_is_registered(db):
    printed = _register(
        "--name",
        "CAF",
        "--redirect-uri",
        "https://caf.example/cb",
        "--demarches",
        "social",
        "--backchannel-logout-uri",
        "https://caf.example/backchannel",
    )
    assert printed["backchannel_logout_uri"] == "https://caf.example/backchannel"
    client = Client.objects.get(client_id=printed["client_id"])
    assert client.backchannel_logout_uri == "https://caf.example/backchannel"
