"""Passkeys as the second factor: what the ceremonies ask of the authenticator,
enrolment only after a fresh factor, removal, the structure's requirement, what
the référent sees, and the `amr` the services receive."""

import os

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from aidants.exceptions import NotAllowed
from aidants.passkeys import amr_for, relying_party_id
from aidants.services.passkeys import remove_passkey, set_passkey_requirement
from aidants.session import mark_full_login
from tests.conftest import verified_client
from tests.factories import PASSWORD, totp_now

BEGIN_REGISTRATION = "/compte/webauthn/registration/begin/"
BEGIN_AUTHENTICATION = "/compte/webauthn/authentication/begin/"


def make_passkey(aidant, *, synced=False):
    raw = os.urandom(32)
    return WebAuthnCredential.objects.create(
        user=aidant,
        name="Téléphone",
        credential_id=raw,
        public_key=b"\xa5" + os.urandom(70),
        aaguid="00000000-0000-0000-0000-000000000000",
        backup_eligible=synced,
        confirmed=True,
    )


def fresh(client):
    session = client.session
    mark_full_login(session)
    session.save()
    return client


def test_enrolment_needs_a_fresh_second_factor(client, aidant):
    client = verified_client(client, aidant)
    response = client.post(BEGIN_REGISTRATION)
    assert response.status_code == 403
    assert response.json()["code"] == "fresh_factor_required"


def test_enrolment_asks_user_verification_and_no_attestation(client, aidant, settings):
    settings.SITE_URL = "https://relais.example.fr"
    client = fresh(verified_client(client, aidant))
    options = client.post(BEGIN_REGISTRATION).json()
    assert options["rp"]["id"] == "relais.example.fr"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"


def test_every_use_asks_user_verification(client, aidant):
    # After the password step, before the second factor.
    client.post("/connexion/", {"email": aidant.email, "password": PASSWORD})
    make_passkey(aidant)
    options = client.post(BEGIN_AUTHENTICATION).json()
    assert options["userVerification"] == "required"
    assert len(options["allowCredentials"]) == 1


def test_no_passwordless_login(client, aidant):
    make_passkey(aidant)
    response = client.post(BEGIN_AUTHENTICATION)
    assert response.status_code >= 400


def test_relying_party_follows_site_url(settings):
    settings.SITE_URL = "https://aidants.example.org:8443/relais"
    assert relying_party_id() == "aidants.example.org"


def test_removing_a_passkey_is_journaled(aidant, assert_journaled):
    key = make_passkey(aidant)
    remove_passkey(aidant=aidant, device_id=key.pk)
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    entry = assert_journaled("otp_device_removed", actor_id=str(aidant.uuid))
    assert entry.details["kind"] == "passkey"


def test_another_aidants_passkey_cannot_be_removed(aidant, other_structure_aidant):
    key = make_passkey(other_structure_aidant)
    with pytest.raises(NotAllowed):
        remove_passkey(aidant=aidant, device_id=key.pk)
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_last_passkey_stays_when_the_structure_requires_one(aidant, referent):
    set_passkey_requirement(
        structure=aidant.current_structure, required=True, by=referent
    )
    key = make_passkey(aidant)
    with pytest.raises(NotAllowed):
        remove_passkey(aidant=aidant, device_id=key.pk)
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_required_passkey_refuses_a_totp_code(
    client, aidant, referent, assert_journaled
):
    make_passkey(aidant)
    set_passkey_requirement(
        structure=aidant.current_structure, required=True, by=referent
    )
    assert_journaled("structure_passkey_policy_changed")
    client.post("/connexion/", {"email": aidant.email, "password": PASSWORD})
    code = totp_now(aidant.totp_devices.get())
    response = client.post("/connexion/code/", {"otp_token": code})
    assert response.status_code == 200
    assert "Votre structure exige une clé d" in response.content.decode()
    entry = assert_journaled("otp_failed")
    assert entry.details["reason"] == "passkey_required"
    assert client.get("/").status_code == 302  # still not verified


def test_without_a_passkey_the_code_only_opens_enrolment(client, aidant, referent):
    set_passkey_requirement(
        structure=aidant.current_structure, required=True, by=referent
    )
    client.post("/connexion/", {"email": aidant.email, "password": PASSWORD})
    code = totp_now(aidant.totp_devices.get())
    client.post("/connexion/code/", {"otp_token": code})
    for path in ("/compte/", "/usagers/", "/journal/", "/referent/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/compte/cles-d-acces/", path
    page = client.get("/compte/cles-d-acces/")
    assert "Enregistrer une clé d" in page.content.decode()


def test_referent_sets_the_requirement_and_sees_factor_kinds(
    referent_client, aidant, referent
):
    key = make_passkey(aidant)
    page = referent_client.get("/referent/").content.decode()
    assert "Clé d&#x27;accès (passkey)" in page or "Clé d'accès (passkey)" in page
    assert key.credential_id.hex() not in page
    response = referent_client.post("/referent/cles-d-acces/", {"require_passkey": "1"})
    assert response.status_code == 302
    referent.current_structure.refresh_from_db()
    assert referent.current_structure.require_passkey is True


def test_an_aidant_cannot_set_the_requirement(aidant_client, aidant):
    response = aidant_client.post("/referent/cles-d-acces/", {"require_passkey": "1"})
    assert response.status_code == 403
    aidant.current_structure.refresh_from_db()
    assert aidant.current_structure.require_passkey is False


def test_amr_names_the_kind_of_key(aidant):
    assert amr_for(make_passkey(aidant)) == ("pwd", "hwk", "mfa")
    assert amr_for(make_passkey(aidant, synced=True)) == ("pwd", "swk", "mfa")
    assert amr_for(aidant.totp_devices.first()) == ("pwd", "otp", "mfa")


def test_a_forged_passkey_answer_is_refused_and_journaled(
    client, aidant, assert_journaled
):
    import base64
    import json

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    key = make_passkey(aidant)
    client.post("/connexion/", {"email": aidant.email, "password": PASSWORD})
    challenge = client.post(BEGIN_AUTHENTICATION).json()["challenge"]
    client_data = json.dumps(
        {
            "type": "webauthn.get",
            "challenge": challenge,
            "origin": "https://evil.example",
        }
    ).encode()
    answer = {
        "id": b64(key.credential_id),
        "rawId": b64(key.credential_id),
        "type": "public-key",
        "response": {
            "authenticatorData": b64(os.urandom(37)),
            "clientDataJSON": b64(client_data),
            "signature": b64(os.urandom(64)),
        },
    }
    response = client.post(
        "/compte/webauthn/authentication/complete/",
        json.dumps(answer),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500
    entry = assert_journaled("otp_failed")
    assert entry.details["reason"].startswith("passkey:")
    assert client.get("/compte/").status_code == 302  # not verified
