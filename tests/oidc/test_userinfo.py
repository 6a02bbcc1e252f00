from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from aidants.models import HabilitationStatus
from mandats.services import revoke_autorisation, revoke_mandat
from oidc.claims import pairwise_id


def _userinfo(token, method="get"):
    client = Client()
    call = getattr(client, method)
    return call("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_serves_the_claims_and_journals(
    method, rp, aidant, usager_with_mandat, tokens, assert_journaled
):
    response = _userinfo(tokens["access_token"], method)
    assert response.status_code == 200
    body = response.json()
    assert body["sub"] == pairwise_id(rp, "usager", usager_with_mandat.uuid)
    assert body["family_name"] == "Dubois"
    assert body["rep_scope"] == ["social"]
    assert body["act"]["structure"] == aidant.current_structure.siret
    assert "no-store" in response["Cache-Control"]
    assert_journaled("userinfo_served", client_id=rp.client_id)


def test_missing_or_unknown_token_is_401_with_challenge(db):
    missing = Client().get("/oidc/userinfo")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    unknown = _userinfo("inconnu")
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown["WWW-Authenticate"]


def test_revoked_mandate_reaches_userinfo(usager_with_mandat, tokens):
    revoke_mandat(mandat=usager_with_mandat.mandats.get(), by_type="usager", by_id="u")
    assert _userinfo(tokens["access_token"]).status_code == 401


def test_revoked_autorisation_reaches_userinfo(usager_with_mandat, tokens):
    autorisation = usager_with_mandat.autorisations.get(demarche="social")
    revoke_autorisation(autorisation=autorisation, by_type="usager", by_id="u")
    assert _userinfo(tokens["access_token"]).status_code == 401


def test_other_autorisation_revoked_keeps_token(usager_with_mandat, tokens):
    autorisation = usager_with_mandat.autorisations.get(demarche="papiers")
    revoke_autorisation(autorisation=autorisation, by_type="usager", by_id="u")
    assert _userinfo(tokens["access_token"]).status_code == 200


def test_suspended_habilitation_reaches_userinfo(aidant, tokens):
    aidant.habilitations.update(status=HabilitationStatus.SUSPENDED)
    assert _userinfo(tokens["access_token"]).status_code == 401


def test_aidant_logout_reaches_userinfo(aidant_client, tokens):
    aidant_client.post("/deconnexion/")
    assert _userinfo(tokens["access_token"]).status_code == 401


def test_expired_token_is_401(tokens):
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert _userinfo(tokens["access_token"]).status_code == 401


def test_userinfo_makes_a_bounded_number_of_queries(
    tokens, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        assert _userinfo(tokens["access_token"]).status_code == 200
