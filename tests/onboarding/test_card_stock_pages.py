import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.oath import TOTP

from aidants.models import CarteTOTP, Habilitation
from aidants.services import card_stock

pytestmark = pytest.mark.django_db

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("cartes.csv", text.encode(), content_type="text/csv")


def test_staff_imports_then_assigns(staff_client, structure):
    response = staff_client.post(
        reverse("onboarding:staff-cards-import"),
        {"file": csv_file(f"serial,seed\nC-9,{SEED}\n")},
    )
    assert response.status_code == 302
    listing = staff_client.get(reverse("onboarding:staff-cards")).content.decode()
    assert "C-9" in listing and SEED not in listing
    response = staff_client.post(
        reverse("onboarding:staff-cards-assign"),
        {"siret": structure.siret, "serials": "C-9\n"},
    )
    assert response.status_code == 302
    assert CarteTOTP.objects.get(serial="C-9").structure == structure


def test_bad_csv_shows_the_line_and_imports_nothing(staff_client):
    response = staff_client.post(
        reverse("onboarding:staff-cards-import"),
        {"file": csv_file(f"C-1,{SEED}\nC-2,pas-une-cle!\n")},
    )
    assert response.status_code == 200
    assert "Ligne 2" in response.content.decode()
    assert not CarteTOTP.objects.exists()


def test_unknown_siret_is_refused(staff_client):
    response = staff_client.post(
        reverse("onboarding:staff-cards-assign"),
        {"siret": "12345678000105", "serials": "C-1"},
    )
    assert "Aucune structure active" in response.content.decode()


def test_referent_cannot_import(referent_client):
    response = referent_client.post(
        reverse("onboarding:staff-cards-import"), {"file": csv_file(f"C-1,{SEED}\n")}
    )
    assert response.status_code == 403
    assert not CarteTOTP.objects.exists()


def test_referent_picks_a_card_from_the_structure_stock(
    referent_client, staff, structure, aidant, other_structure
):
    rows = card_stock.parse_card_csv(f"C-1,{SEED}\nC-2,{SEED}\n")
    card_stock.import_cards(rows=rows, by=staff)
    card_stock.assign_cards(serials=["C-1"], structure=structure, by=staff)
    card_stock.assign_cards(serials=["C-2"], structure=other_structure, by=staff)
    hab = Habilitation.objects.get(aidant=aidant)
    url = reverse("aidants:referent-card-pick", args=[hab.uuid])
    page = referent_client.get(url).content.decode()
    assert "C-1" in page and "C-2" not in page
    other = CarteTOTP.objects.get(serial="C-2")
    code = f"{TOTP(base64.b32decode(SEED)).token():06d}"
    refused = referent_client.post(url, {"card": str(other.uuid), "otp_token": code})
    assert refused.status_code == 200
    assert CarteTOTP.objects.get(serial="C-2").aidant is None
    mine = CarteTOTP.objects.get(serial="C-1")
    response = referent_client.post(url, {"card": str(mine.uuid), "otp_token": code})
    assert response.status_code == 302
    assert CarteTOTP.objects.get(serial="C-1").aidant == aidant
