import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import TOTP

from aidants.exceptions import NotAllowed
from aidants.models import CarteTOTP, TOTPDevice
from aidants.services import card_stock
from aidants.services.card_stock import CardImportError

pytestmark = pytest.mark.django_db

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
CSV = f"serial,seed\nC-001,{SEED}\nC-002,{OTHER_SEED},60\n"


def code(seed: str, step: int = 30) -> str:
    totp = TOTP(base64.b32decode(seed), step=step)
    return f"{totp.token():06d}"


def imported(staff):
    return card_stock.import_cards(rows=card_stock.parse_card_csv(CSV), by=staff)


def test_staff_import_a_csv_into_the_stock(staff, assert_journaled):
    assert imported(staff) == 2
    card = CarteTOTP.objects.get(serial="C-002")
    assert card.structure is None and card.aidant is None
    assert card.device.step == 60 and not card.device.confirmed
    assert card.device.user.email == card_stock.STOCK_OWNER_EMAIL
    assert not card.device.user.is_active
    entry = assert_journaled("cards_imported", actor_type="staff")
    assert SEED not in str(entry.details)


@pytest.mark.parametrize(
    "text",
    [
        "C-1,not base32!\n",
        "C-1\n",
        f"C-1,{SEED}\nC-1,{OTHER_SEED}\n",
        f"C-1,{SEED},45\n",
        "serial,seed\n",
    ],
)
def test_bad_csv_imports_nothing(text):
    with pytest.raises(CardImportError):
        card_stock.parse_card_csv(text)


def test_known_serial_imports_nothing(staff):
    imported(staff)
    rows = card_stock.parse_card_csv(f"C-003,{SEED}\nC-001,{SEED}\n")
    with pytest.raises(CardImportError):
        card_stock.import_cards(rows=rows, by=staff)
    assert not CarteTOTP.objects.filter(serial="C-003").exists()


def test_referent_cannot_import(referent):
    with pytest.raises(NotAllowed):
        card_stock.import_cards(rows=card_stock.parse_card_csv(CSV), by=referent)


def test_staff_assign_cards_to_a_structure(staff, structure, assert_journaled):
    imported(staff)
    card_stock.assign_cards(serials=["C-001"], structure=structure, by=staff)
    assert CarteTOTP.objects.get(serial="C-001").structure == structure
    assert_journaled("cards_assigned", structure_id=structure.journal_id)
    with pytest.raises(CardImportError):  # no longer in the team's stock
        card_stock.assign_cards(serials=["C-001"], structure=structure, by=staff)


def test_referent_links_a_stock_card_with_its_code(
    staff, referent, aidant, structure, assert_journaled
):
    imported(staff)
    card_stock.assign_cards(serials=["C-001"], structure=structure, by=staff)
    card = CarteTOTP.objects.get(serial="C-001")
    wrong = f"{(int(code(SEED)) + 1) % 1000000:06d}"
    assert not card_stock.link_stock_card(
        card=card, aidant=aidant, by=referent, otp_token=wrong
    )
    card.refresh_from_db()
    assert card.aidant is None
    # A failure throttles the card's device (django-otp): try again later.
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        assert card_stock.link_stock_card(
            card=card, aidant=aidant, by=referent, otp_token=code(SEED)
        )
    card.refresh_from_db()
    assert card.aidant == aidant
    device = TOTPDevice.objects.get(pk=card.device_id)
    assert device.user == aidant and device.confirmed
    assert_journaled("otp_device_added", actor_type="aidant")


def test_other_structure_referent_cannot_take_the_card(
    staff, other_referent, other_structure_aidant, structure
):
    imported(staff)
    card_stock.assign_cards(serials=["C-001"], structure=structure, by=staff)
    card = CarteTOTP.objects.get(serial="C-001")
    with pytest.raises(NotAllowed):
        card_stock.link_stock_card(
            card=card,
            aidant=other_structure_aidant,
            by=other_referent,
            otp_token=code(SEED),
        )


def test_card_still_in_the_team_stock_cannot_be_linked(staff, referent, aidant):
    imported(staff)
    card = CarteTOTP.objects.get(serial="C-001")
    with pytest.raises(NotAllowed):
        card_stock.link_stock_card(
            card=card, aidant=aidant, by=referent, otp_token=code(SEED)
        )
