import re

import pytest
from django.core.management import call_command
from django.test import Client as DjangoClient

from audit.models import ServiceKey
from oidc import keys
from oidc.models import Client, sha256_hex
from tests.oidc.conftest import authorize_params, exchange, get_code


def _add_form(**overrides):
    form = {
        "name": "CPAM (test)",
        "redirect_uris": "https://cpam.example/cb\nhttps://cpam.example/cb2",
        "post_logout_redirect_uris": "",
        "allowed_demarches": ["social"],
        "profile": "standard",
        "id_token_signed_response_alg": "ES256",
        "token_endpoint_auth_method": "client_secret_basic",
        "active": "on",
    }
    form.update(overrides)
    return form


def test_staff_registers_a_service_and_sees_the_secret_once(
    staff_client, assert_journaled
):
    response = staff_client.post("/admin/oidc/client/add/", _add_form())
    assert response.status_code == 200
    # Shown on a page no cache keeps; never in the messages cookie.
    assert "no-store" in response["Cache-Control"]
    assert "messages" not in response.cookies
    client = Client.objects.get(name="CPAM (test)")
    assert client.redirect_uris == [
        "https://cpam.example/cb",
        "https://cpam.example/cb2",
    ]
    assert_journaled("client_registered", client_id=client.client_id)
    page = response.content.decode()
    secret = re.search(r"<code>([A-Za-z0-9_-]{43})</code>", page)[1]
    assert secret not in str(staff_client.cookies)
    assert client.client_secret_hash == sha256_hex(secret)
    assert client.check_client_secret(secret)
    change = staff_client.get(f"/admin/oidc/client/{client.pk}/change/")
    assert secret not in change.content.decode()
    assert client.client_secret_hash not in change.content.decode()
    from auditlog.models import LogEntry

    history = LogEntry.objects.get_for_object(client).get()
    assert "name" in history.changes_dict
    assert "client_secret_hash" not in history.changes_dict
    assert "pairwise_salt" not in history.changes_dict


def test_secret_reset_is_shown_once_outside_any_cookie(
    staff_client, rp, assert_journaled
):
    response = staff_client.post(
        "/admin/oidc/client/",
        {"action": "reset_secret", "_selected_action": [rp.pk]},
    )
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r"<code>([A-Za-z0-9_-]{43})</code>", response.content.decode())
    rp.refresh_from_db()
    assert rp.check_client_secret(secret[1])
    assert secret[1] not in str(staff_client.cookies)
    assert_journaled("client_secret_reset", client_id=rp.client_id)


@pytest.mark.parametrize(
    ("uri", "accepted"),
    [
        ("http://cpam.example/cb", False),
        ("http://127.0.0.1:8080/cb", True),
        ("http://localhost:8080/cb", True),
        ("http://[::1]/cb", True),
        ("https://cpam.example/cb#frag", False),
        ("javascript:alert(1)", False),
    ],
)
def test_admin_accepts_https_redirect_uris_and_loopback_only(
    staff_client, uri, accepted
):
    response = staff_client.post(
        "/admin/oidc/client/add/", _add_form(redirect_uris=uri)
    )
    assert Client.objects.filter(name="CPAM (test)").exists() is accepted
    if not accepted:
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()


def test_aidant_cannot_reach_the_client_admin(aidant_client):
    response = aidant_client.get("/admin/oidc/client/add/")
    assert response.status_code == 302  # to the admin login


def test_discovery_document_is_the_contract(db):
    document = DjangoClient().get("/.well-known/openid-configuration").json()
    assert document["issuer"] == "http://testserver"
    assert document["authorization_endpoint"] == "http://testserver/oidc/authorize"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["subject_types_supported"] == ["pairwise"]
    assert set(document["id_token_signing_alg_values_supported"]) == {"ES256", "RS256"}
    assert "end_session_endpoint" in document and "revocation_endpoint" in document


def test_jwks_publishes_only_public_keys(db):
    keys.ensure_keys()
    published = DjangoClient().get("/oidc/jwks").json()["keys"]
    assert {k["alg"] for k in published} == {"ES256", "RS256"}
    assert all("d" not in k and "p" not in k and k["kid"] for k in published)


def test_rotate_keys_keeps_old_tokens_verifiable(
    aidant_client, rp, usager_with_mandat, assert_journaled
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    old = exchange(aidant_client, rp, code, verifier).json()["id_token"]
    old_kid = ServiceKey.objects.get(purpose="id_token", alg="ES256", active=True).kid
    call_command("rotate_keys", "--alg", "ES256")
    assert_journaled("signing_key_rotated")
    new_kid = ServiceKey.objects.get(purpose="id_token", alg="ES256", active=True).kid
    assert new_kid != old_kid
    published = {k["kid"] for k in DjangoClient().get("/oidc/jwks").json()["keys"]}
    assert {old_kid, new_kid} <= published
    assert keys.verify_id_token(old)["aud"] == rp.client_id
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    new = exchange(aidant_client, rp, code, verifier).json()["id_token"]
    assert f'"kid":"{new_kid}"' in _header(new)


def _header(token):
    import base64

    head = token.split(".")[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode()


def test_authorize_pages_make_a_bounded_number_of_queries(
    aidant_client, aidant, rp, usager_with_mandat, django_assert_max_num_queries
):
    from tests.factories import MandatFactory

    for _ in range(30):
        MandatFactory(structure=aidant.current_structure)
    params, _ = authorize_params(rp)
    with django_assert_max_num_queries(14):
        assert aidant_client.get("/oidc/authorize", params).status_code == 200
    with django_assert_max_num_queries(14):
        page = aidant_client.get(
            "/oidc/authorize", dict(params, relais_usager=str(usager_with_mandat.uuid))
        )
        assert page.status_code == 200
    from tests.oidc.conftest import pick

    with django_assert_max_num_queries(24):
        assert pick(aidant_client, params, usager_with_mandat).status_code == 302


def test_purge_deletes_only_long_expired_codes_and_tokens(
    aidant_client, rp, usager_with_mandat, tokens, assert_journaled
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from oidc.models import AuthorizationCode, Token

    call_command("purge_oidc")
    assert Token.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        call_command("purge_oidc")
    assert not Token.objects.exists() and not AuthorizationCode.objects.exists()
    assert_journaled("data_purged")


def test_staff_registers_franceconnect_with_its_profile(staff_client):
    response = staff_client.post(
        "/admin/oidc/client/add/",
        _add_form(
            name="FranceConnect",
            profile="franceconnect",
            token_endpoint_auth_method="client_secret_post",
        ),
    )
    assert response.status_code == 200
    client = Client.objects.get(name="FranceConnect")
    assert client.is_franceconnect
    assert client.token_endpoint_auth_method == "client_secret_post"
