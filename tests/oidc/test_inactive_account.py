"""A deactivated account (is_active=False) decides nothing through the OIDC
bridge: its tokens die at once, a pending code is refused, userinfo answers 401."""

from django.test import Client

from mandats import access
from oidc.models import Token
from tests.oidc.conftest import exchange, get_code


def _userinfo(token):
    return Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")


def _deactivate(aidant):
    aidant.is_active = False
    aidant.save()


def test_deactivation_revokes_the_tokens_and_userinfo_refuses(aidant, tokens):
    assert _userinfo(tokens["access_token"]).status_code == 200
    _deactivate(aidant)
    assert not Token.objects.unrevoked().filter(aidant=aidant).exists()
    response = _userinfo(tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_inactive_account_userinfo_refused_even_if_token_not_revoked(aidant, tokens):
    # Deactivated by a bulk update (no signal): the decision still says no.
    type(aidant).objects.filter(pk=aidant.pk).update(is_active=False)
    assert Token.objects.unrevoked().filter(aidant=aidant).exists()
    assert _userinfo(tokens["access_token"]).status_code == 401


def test_deactivated_account_cannot_exchange_a_pending_code(
    aidant, aidant_client, rp, usager_with_mandat
):
    code, verifier, _ = get_code(aidant_client, rp, usager_with_mandat)
    _deactivate(aidant)
    response = exchange(Client(), rp, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not Token.objects.filter(aidant=aidant).exists()


def test_can_act_denies_an_inactive_account(aidant, usager_with_mandat):
    decision = access.can_act(
        aidant=aidant,
        usager=usager_with_mandat,
        demarche="social",
        structure=aidant.current_structure,
        session_verified=True,
    )
    assert decision.allowed
    aidant.is_active = False
    decision = access.can_act(
        aidant=aidant,
        usager=usager_with_mandat,
        demarche="social",
        structure=aidant.current_structure,
        session_verified=True,
    )
    assert not decision.allowed and decision.reason == access.ACCOUNT_INACTIVE
