import base64

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from aidants.models import Aidant, CarteTOTP, Habilitation, HabilitationStatus
from tests.conftest import verified_client
from tests.factories import (
    PASSWORD,
    TOTP_SECRET_B32,
    AidantFactory,
    HabilitationFactory,
    totp_device_for,
    totp_now,
)

CHANGELIST = reverse("admin:aidants_habilitation_changelist")


@pytest.fixture
def requested(structure, referent):
    return HabilitationFactory(
        structure=structure,
        status=HabilitationStatus.REQUESTED,
        requested_by=referent,
    )


def test_anonymous_is_sent_to_the_admin_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_otp_cannot_reach_the_admin(client, staff, requested):
    client.force_login(staff)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    response = client.post(
        CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [requested.pk]}
    )
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REQUESTED


def test_verified_aidant_who_is_not_staff_cannot_reach_the_admin(aidant_client):
    response = aidant_client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_admin_login_goes_through_relais_login(client, db):
    response = client.get(reverse("admin:login") + "?next=/admin/")
    assert response.status_code == 302
    assert response.url == reverse("aidants:login") + "?next=%2Fadmin%2F"


def test_staff_logs_in_to_the_admin_with_password_and_otp(
    client, staff, assert_journaled
):
    device = staff.totp_devices.get()
    login = reverse("aidants:login") + "?next=/admin/"
    response = client.post(login, {"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    # Password alone does not open the admin: it sends back to the OTP step.
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("aidants:otp"))
    otp = reverse("aidants:otp") + "?next=/admin/"
    response = client.post(otp, {"otp_token": totp_now(device)})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert_journaled("login_succeeded", actor_id=str(staff.uuid))
    assert client.get("/admin/").status_code == 200


def test_staff_approves_a_requested_habilitation(
    staff_client, staff, requested, assert_journaled
):
    response = staff_client.post(
        CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [requested.pk]}
    )
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.ACTIVE
    assert requested.decided_by == staff
    assert_journaled(
        "habilitation_activated",
        actor_id=str(staff.uuid),
        structure_id=str(requested.structure.uuid),
    )


def test_approving_a_revoked_habilitation_is_refused_and_changes_nothing(
    staff_client, structure
):
    revoked = HabilitationFactory(
        structure=structure, status=HabilitationStatus.REVOKED
    )
    response = staff_client.post(
        CHANGELIST,
        {"action": "approve", ACTION_CHECKBOX_NAME: [revoked.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "redemandée" in response.content.decode()
    revoked.refresh_from_db()
    assert revoked.status == HabilitationStatus.REVOKED


def test_refuse_asks_for_a_reason_first(staff_client, requested):
    response = staff_client.post(
        CHANGELIST, {"action": "refuse", ACTION_CHECKBOX_NAME: [requested.pk]}
    )
    assert response.status_code == 200
    assert "Motif du refus" in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REQUESTED


def test_refuse_with_an_empty_reason_changes_nothing(staff_client, requested):
    response = staff_client.post(
        CHANGELIST,
        {
            "action": "refuse",
            "apply": "1",
            "reason": "",
            ACTION_CHECKBOX_NAME: [requested.pk],
        },
    )
    assert response.status_code == 200
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REQUESTED


def test_staff_refuses_with_a_reason(staff_client, staff, requested, assert_journaled):
    response = staff_client.post(
        CHANGELIST,
        {
            "action": "refuse",
            "apply": "1",
            "reason": "Structure non conventionnée",
            ACTION_CHECKBOX_NAME: [requested.pk],
        },
    )
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REVOKED
    assert requested.reason == "Structure non conventionnée"
    entry = assert_journaled("habilitation_refused", actor_id=str(staff.uuid))
    assert entry.details["reason"] == "Structure non conventionnée"


def test_habilitation_status_cannot_be_edited_directly(staff_client, requested):
    url = reverse("admin:aidants_habilitation_change", args=[requested.pk])
    assert staff_client.get(url).status_code == 200
    staff_client.post(url, {"status": "active", "structure": requested.structure.pk})
    requested.refresh_from_db()
    assert requested.status == HabilitationStatus.REQUESTED
    add = reverse("admin:aidants_habilitation_add")
    assert staff_client.get(add).status_code == 403


def test_totp_device_pages_never_show_the_key(staff_client, aidant):
    device = aidant.totp_devices.get()
    secret_b32 = base64.b32encode(device.bin_key).decode()
    assert secret_b32 == TOTP_SECRET_B32
    pages = [
        reverse("admin:aidants_totpdevice_changelist"),
        reverse("admin:aidants_totpdevice_change", args=[device.pk]),
    ]
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert aidant.email in html or str(aidant) in html
        for leak in (device.key, secret_b32, "otpauth://", "qrcode"):
            assert leak.lower() not in html.lower(), (url, leak)
    qr = f"/admin/aidants/totpdevice/{device.pk}/config/"
    assert staff_client.get(qr).status_code in (302, 404)


def test_card_list_is_read_only(staff_client, structure, referent):
    card = CarteTOTP.objects.create(
        serial="GALT-0042", structure=structure, registered_by=referent
    )
    response = staff_client.get(reverse("admin:aidants_cartetotp_changelist"))
    assert "GALT-0042" in response.content.decode()
    assert staff_client.get(reverse("admin:aidants_cartetotp_add")).status_code == 403
    delete = reverse("admin:aidants_cartetotp_delete", args=[card.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert CarteTOTP.objects.filter(pk=card.pk).exists()


def test_staff_creates_an_aidant_with_an_email_login(staff_client):
    response = staff_client.post(
        reverse("admin:aidants_aidant_add"),
        {
            "email": "nouvelle@relais.test",
            "first_name": "Nora",
            "last_name": "Petit",
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Aidant.objects.get(email="nouvelle@relais.test")
    assert created.check_password("un-mot-de-passe-solide")
    assert not Habilitation.objects.filter(aidant=created).exists()


def test_aidant_list_and_change_pages_render(staff_client, aidant):
    assert staff_client.get(reverse("admin:aidants_aidant_changelist")).status_code == (
        200
    )
    url = reverse("admin:aidants_aidant_change", args=[aidant.pk])
    assert staff_client.get(url).status_code == 200


def test_other_staff_member_sees_structures(client, db):
    other = AidantFactory(is_staff=True, is_superuser=True)
    totp_device_for(other)
    verified_client(client, other)
    assert client.get(reverse("admin:aidants_structure_changelist")).status_code == 200
