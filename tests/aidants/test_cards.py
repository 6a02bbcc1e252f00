import pytest
from django.urls import reverse

from aidants.exceptions import AidantsError, NotAllowed
from aidants.models import CardUnlinkReason, CarteTOTP, Habilitation, TOTPDevice
from aidants.services.cards import InvalidSeed, parse_seed, register_card, unlink_card
from audit import Action
from audit.models import JournalEntry
from tests.factories import totp_now

SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def register_url(aidant):
    hab = Habilitation.objects.get(aidant=aidant)
    return reverse(
        "aidants:referent-card-register", kwargs={"habilitation_uuid": hab.uuid}
    )


def journal_text():
    return str(list(JournalEntry.objects.values_list("details", flat=True)))


def test_referent_registers_a_card(referent_client, referent, aidant, assert_journaled):
    response = referent_client.post(
        register_url(aidant), {"serial": " SN-42 ", "seed": SEED.lower(), "step": "60"}
    )
    assert response.status_code == 302

    card = CarteTOTP.objects.get(serial="SN-42")
    assert card.aidant == aidant and card.registered_by == referent
    device = card.device
    assert device.user == aidant
    assert device.confirmed and device.tolerance == 1 and device.step == 60
    assert device.verify_token(totp_now(device))
    entry = assert_journaled(Action.OTP_DEVICE_ADDED, actor_id=str(referent.uuid))
    assert entry.details["serial"] == "SN-42"

    page = referent_client.get(response["Location"]).content.decode()
    assert "SN-42" in page
    for secret in (SEED, SEED.lower(), device.key):
        assert secret not in page
        assert secret not in journal_text()


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("NOT-BASE32-!!!", "base32"),
        ("GEZDGNBVGY3TQOJ1", "base32"),  # 1 is not a base32 digit
        ("GEZDGNBV", "entre 26 et 64"),  # 40 bits: too short
        ("", "clé secrète"),
    ],
)
def test_malformed_seed_is_refused_in_french(referent_client, aidant, seed, message):
    count = JournalEntry.objects.count()
    response = referent_client.post(
        register_url(aidant), {"serial": "SN-1", "seed": seed, "step": "30"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert seed not in page or not seed
    assert not CarteTOTP.objects.exists()
    assert TOTPDevice.objects.filter(user=aidant).count() == 1
    assert JournalEntry.objects.count() == count


def test_duplicate_serial_is_refused(referent_client, referent, aidant, structure):
    register_card(
        structure=structure, by=referent, aidant=referent, serial="SN-1", seed=SEED
    )
    response = referent_client.post(
        register_url(aidant), {"serial": "SN-1", "seed": SEED, "step": "30"}
    )
    assert "déjà ce numéro de série" in response.content.decode()
    assert CarteTOTP.objects.count() == 1
    with pytest.raises(AidantsError):
        register_card(
            structure=structure, by=referent, aidant=aidant, serial="SN-1", seed=SEED
        )
    assert not CarteTOTP.objects.filter(aidant=aidant).exists()


def test_bad_step_is_refused(referent_client, aidant):
    response = referent_client.post(
        register_url(aidant), {"serial": "SN-1", "seed": SEED, "step": "45"}
    )
    assert "30 ou 60" in response.content.decode()
    assert not CarteTOTP.objects.exists()


def test_card_only_for_an_aidant_of_the_structure(
    structure, referent, other_referent, other_structure_aidant
):
    with pytest.raises(NotAllowed):
        register_card(
            structure=structure,
            by=referent,
            aidant=other_structure_aidant,
            serial="SN-1",
            seed=SEED,
        )
    with pytest.raises(NotAllowed):
        register_card(
            structure=structure,
            by=other_referent,
            aidant=other_structure_aidant,
            serial="SN-1",
            seed=SEED,
        )
    assert not CarteTOTP.objects.exists()


@pytest.fixture
def card(structure, referent, aidant):
    return register_card(
        structure=structure, by=referent, aidant=aidant, serial="SN-7", seed=SEED
    )


def test_unlink_asks_then_deletes_the_device_and_keeps_the_card(
    referent_client, referent, card, assert_journaled
):
    url = reverse("aidants:referent-card-unlink", kwargs={"card_uuid": card.uuid})
    assert "Êtes-vous sûr" in referent_client.get(url).content.decode()
    device_pk = card.device_id

    response = referent_client.post(url, {"reason": "lost"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.device is None
    assert card.unlinked_at is not None
    assert card.unlink_reason == CardUnlinkReason.LOST
    assert not TOTPDevice.objects.filter(pk=device_pk).exists()
    entry = JournalEntry.objects.filter(action=Action.OTP_DEVICE_REMOVED).last()
    assert entry.actor_id == str(referent.uuid)
    assert entry.details["reason"] == "lost"
    detail = referent_client.get(response["Location"]).content.decode()
    assert "Dissociée le" in detail and "carte perdue" in detail
    # An unlinked card cannot be unlinked again (its page is gone).
    assert referent_client.get(url).status_code == 404


def test_unlink_needs_a_valid_reason(referent_client, card):
    url = reverse("aidants:referent-card-unlink", kwargs={"card_uuid": card.uuid})
    for data in ({}, {"reason": "stolen-by-aliens"}):
        response = referent_client.post(url, data)
        assert response.status_code == 200
        assert "motif" in response.content.decode()
    card.refresh_from_db()
    assert card.unlinked_at is None and card.device is not None


def test_unlink_service_refuses_another_structure(other_referent, card):
    with pytest.raises(NotAllowed):
        unlink_card(card=card, by=other_referent, reason="lost")
    card.refresh_from_db()
    assert card.device is not None


def test_parse_seed_accepts_card_formatting():
    assert parse_seed("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq") == parse_seed(SEED)
    with pytest.raises(InvalidSeed):
        parse_seed("A" * 200)
