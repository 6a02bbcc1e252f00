import base64
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aidants.models import TOTPDevice
from aidants.services.otp import create_backup_codes
from audit.actions import Action
from tests.aidants.test_login import password_login
from tests.factories import TOTP_SECRET_B32, totp_now

ACCOUNT_URL = reverse("aidants:account")
ENROL_URL = reverse("aidants:totp-enrol")
BACKUP_URL = reverse("aidants:backup-codes")
OTP_URL = reverse("aidants:otp")


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def seed_forms(device: TOTPDevice) -> list[str]:
    """Every way a page could leak a seed: hex, base32, grouped base32."""
    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    grouped = " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))
    return [device.key, b32, grouped, b32.lower()]


def assert_no_seed(content: str, device: TOTPDevice) -> None:
    for form in seed_forms(device):
        assert form not in content


def unconfirmed_device(aidant) -> TOTPDevice:
    return TOTPDevice.objects.get(user=aidant, confirmed=False)


@pytest.mark.parametrize("url", [ACCOUNT_URL, BACKUP_URL])
def test_account_pages_need_login_then_otp(client, aidant, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("aidants:login"))
    client.force_login(aidant)
    response = client.get(url)
    assert response.url.startswith(OTP_URL)


def test_account_lists_own_devices_without_seeds(aidant_client, aidant):
    create_backup_codes(aidant=aidant)
    response = aidant_client.get(ACCOUNT_URL)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Application" in content
    assert "10 codes restants" in content
    assert TOTP_SECRET_B32 not in content
    assert_no_seed(content, aidant.totp_devices.get())


def test_enrolment_shows_qr_and_secret_once_then_confirms(
    aidant_client, aidant, frozen, assert_journaled
):
    intro = aidant_client.get(ENROL_URL)
    assert intro.status_code == 200
    assert not TOTPDevice.objects.filter(user=aidant, confirmed=False).exists()

    response = aidant_client.post(ENROL_URL, {"action": "start"})
    content = response.content.decode()
    device = unconfirmed_device(aidant)
    assert "data:image/svg+xml" in content
    assert seed_forms(device)[2] in content
    assert "no-store" in response["Cache-Control"]

    response = aidant_client.post(
        ENROL_URL, {"action": "confirm", "otp_token": totp_now(device)}
    )
    assert response.status_code == 302
    assert response.url == ACCOUNT_URL
    device.refresh_from_db()
    assert device.confirmed
    assert_journaled(Action.OTP_DEVICE_ADDED, actor_id=str(aidant.uuid))

    for url in (ACCOUNT_URL, ENROL_URL, reverse("aidants:home")):
        assert_no_seed(aidant_client.get(url).content.decode(), device)


def test_wrong_enrolment_code_confirms_nothing_and_hides_the_secret(
    aidant_client, aidant, frozen
):
    aidant_client.post(ENROL_URL, {"action": "start"})
    device = unconfirmed_device(aidant)
    wrong = f"{(int(totp_now(device)) + 1) % 10**6:06d}"
    response = aidant_client.post(ENROL_URL, {"action": "confirm", "otp_token": wrong})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Saisissez le code que votre application affiche maintenant" in content
    assert_no_seed(content, device)
    device.refresh_from_db()
    assert not device.confirmed


def test_confirm_without_a_started_enrolment_changes_nothing(aidant_client, aidant):
    response = aidant_client.post(
        ENROL_URL, {"action": "confirm", "otp_token": "123456"}
    )
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=aidant).count() == 1


def test_restarting_enrolment_replaces_the_unconfirmed_seed(
    aidant_client, aidant, frozen
):
    aidant_client.post(ENROL_URL, {"action": "start"})
    first = unconfirmed_device(aidant)
    aidant_client.post(ENROL_URL, {"action": "start"})
    second = unconfirmed_device(aidant)
    assert not TOTPDevice.objects.filter(pk=first.pk).exists()
    aidant_client.post(ENROL_URL, {"action": "confirm", "otp_token": totp_now(first)})
    second.refresh_from_db()
    assert not second.confirmed


def test_unverified_user_with_a_device_cannot_enrol_another(client, aidant):
    client.force_login(aidant)
    response = client.post(ENROL_URL, {"action": "start"})
    assert response.status_code == 302
    assert response.url.startswith(OTP_URL)
    assert not TOTPDevice.objects.filter(user=aidant, confirmed=False).exists()


def test_password_alone_never_reaches_enrolment(client, aidant, frozen):
    aidant.totp_devices.all().delete()
    password_login(client, aidant)
    response = client.post(ENROL_URL, {"action": "start"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=aidant).exists()


def test_enrolment_needs_login(client, db):
    response = client.post(ENROL_URL, {"action": "start"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("aidants:login"))


def test_backup_codes_are_shown_once(aidant_client, aidant, assert_journaled):
    intro = aidant_client.get(BACKUP_URL)
    assert intro.status_code == 200
    assert 'data-testid="backup-codes"' not in intro.content.decode()

    response = aidant_client.post(BACKUP_URL)
    content = response.content.decode()
    codes = re.findall(r"<code>(\d{5} \d{5})</code>", content)
    assert len(codes) == 10
    assert "no-store" in response["Cache-Control"]
    assert_journaled(Action.OTP_DEVICE_ADDED, actor_id=str(aidant.uuid))

    for url in (BACKUP_URL, ACCOUNT_URL):
        later = aidant_client.get(url).content.decode()
        assert codes[0] not in later


def test_new_backup_codes_cancel_the_old_ones(aidant_client, aidant):
    old = create_backup_codes(aidant=aidant)
    aidant_client.post(BACKUP_URL)
    device = aidant.backupcodedevice_set.get()
    assert not device.verify_token(old[0])


def test_seeds_are_never_shown_to_the_referent(referent_client, aidant):
    device = aidant.totp_devices.get()
    habilitation = aidant.habilitations.get()
    urls = [
        reverse("aidants:referent-home"),
        reverse("aidants:referent-aidant", args=[habilitation.uuid]),
        ACCOUNT_URL,
        reverse("aidants:home"),
    ]
    for url in urls:
        response = referent_client.get(url)
        assert response.status_code == 200, url
        assert_no_seed(response.content.decode(), device)


def test_csp_allows_the_inline_qr_code(aidant_client, frozen):
    response = aidant_client.post(ENROL_URL, {"action": "start"})
    policy = response.get("Content-Security-Policy", "")
    assert "img-src" in policy and "data:" in policy
