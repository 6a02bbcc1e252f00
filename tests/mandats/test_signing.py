import pytest

from audit.keys import InvalidSignature, public_jwks, rotate_key, verify_jws
from mandats.models import Mandat
from mandats.services import create_mandat, revoke_autorisation
from mandats.signing import (
    canonical_content,
    identity_digest,
    signed_payload,
    verify_mandat_signature,
)
from tests.factories import MandatFactory, UsagerFactory

CONSENT = {"confirmed_by_usager_at": "a", "confirmed_by_aidant_at": "b"}


@pytest.fixture
def mandat(aidant):
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=UsagerFactory(),
        demarches=["social", "argent"],
        duration_days=182,
        consent=CONSENT,
    )


def test_signature_covers_the_canonical_content(mandat):
    payload = verify_jws(mandat.signature)
    assert payload == canonical_content(mandat)
    assert payload["demarches"] == ["argent", "social"]
    assert payload["structure"]["siret"] == mandat.structure.siret
    assert payload["public_id"] == mandat.public_id
    assert payload["usager"] == identity_digest(mandat.usager)
    # No identity in clear.
    assert mandat.usager.family_name not in mandat.signature


def test_tampered_dates_do_not_verify(mandat):
    Mandat.objects.filter(pk=mandat.pk).update(
        expires_at=mandat.expires_at.replace(year=mandat.expires_at.year + 5)
    )
    assert not verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))


def test_tampered_identity_does_not_verify(mandat):
    snapshot = dict(mandat.usager_identity, given_name="Quelqu'un d'autre")
    Mandat.objects.filter(pk=mandat.pk).update(usager_identity=snapshot)
    assert not verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))


def test_later_identification_of_the_usager_keeps_the_signature(mandat):
    # FranceConnect may later return another name (marriage): the mandate keeps
    # the identity it signed.
    usager = mandat.usager
    usager.family_name = "Nom d'usage"
    usager.save()
    assert verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))


def test_forged_signature_does_not_verify(mandat):
    head, payload, sig = mandat.signature.split(".")
    mandat.signature = f"{head}.{payload}.{sig[:-4]}AAAA"
    assert not verify_mandat_signature(mandat)
    with pytest.raises(InvalidSignature):
        signed_payload(mandat.signature)


def test_unsigned_mandate_does_not_verify(db):
    assert not verify_mandat_signature(MandatFactory())


def test_revoking_a_demarche_keeps_the_signature_valid(mandat):
    revoke_autorisation(
        autorisation=mandat.autorisations.get(demarche="argent"),
        by_type="usager",
        by_id="u",
    )
    assert verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))


def test_signature_still_verifies_after_key_rotation(mandat):
    rotate_key("ES256", purpose="mandat")
    assert mandat.signing_kid in {k["kid"] for k in public_jwks("mandat")["keys"]}
    assert verify_mandat_signature(Mandat.objects.get(pk=mandat.pk))


def test_signature_verifies_offline_against_published_keys(mandat):
    jwks = public_jwks("mandat")
    assert verify_mandat_signature(mandat, jwks)
    assert not verify_mandat_signature(mandat, {"keys": []})
