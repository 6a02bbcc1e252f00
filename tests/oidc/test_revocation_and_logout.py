import base64

from django.test import Client

from oidc.models import Token
from tests.oidc.conftest import LOGOUT_URI, SECRET, make_rp, query_of


def _basic(rp, secret=SECRET):
    raw = base64.b64encode(f"{rp.client_id}:{secret}".encode()).decode()
    return f"Basic {raw}"


def _userinfo(token):
    return Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_client_revokes_its_token(rp, tokens, assert_journaled):
    response = Client().post(
        "/oidc/revoke",
        {"token": tokens["access_token"], "token_type_hint": "access_token"},
        HTTP_AUTHORIZATION=_basic(rp),
    )
    assert response.status_code == 200
    assert Token.objects.get().revoked_at is not None
    assert_journaled("token_revoked", client_id=rp.client_id)
    assert _userinfo(tokens["access_token"]).status_code == 401


def test_another_client_cannot_revoke_it(rp, tokens):
    other = make_rp(name="CPAM (test)")
    response = Client().post(
        "/oidc/revoke",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=_basic(other),
    )
    assert response.status_code == 200
    assert Token.objects.get().revoked_at is None


def test_revocation_needs_client_authentication(rp, tokens):
    anonymous = Client().post("/oidc/revoke", {"token": tokens["access_token"]})
    assert anonymous.status_code in (400, 401)
    wrong = Client().post(
        "/oidc/revoke",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=_basic(rp, "mauvais"),
    )
    assert wrong.status_code == 401
    assert Token.objects.get().revoked_at is None


def test_end_session_revokes_and_redirects_with_state(rp, tokens):
    response = Client().get(
        "/oidc/end-session",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGOUT_URI,
            "state": "etat-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(LOGOUT_URI)
    assert query_of(response["Location"])["state"] == "etat-42"
    assert Token.objects.get().revoked_at is not None


def test_end_session_never_redirects_to_an_unregistered_uri(rp, tokens):
    response = Client().get(
        "/oidc/end-session",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert response.status_code == 200
    assert "Déconnexion effectuée" in response.content.decode()


def test_tampered_id_token_hint_is_refused(rp, tokens):
    header, payload, signature = tokens["id_token"].split(".")
    forged = base64.urlsafe_b64encode(b'{"aud":"x","iss":"http://testserver"}')
    tampered = ".".join([header, forged.decode().rstrip("="), signature])
    for hint in (tampered, "pas-un-jeton", tokens["id_token"][:-4] + "AAAA"):
        response = Client().get(
            "/oidc/end-session",
            {"id_token_hint": hint, "post_logout_redirect_uri": LOGOUT_URI},
        )
        assert response.status_code == 400
    assert Token.objects.get().revoked_at is None
