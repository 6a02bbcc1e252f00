from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from audit.actions import Action
from tests.aidants.test_login import password_login
from tests.conftest import verified_client
from tests.factories import totp_now

ACCOUNT_URL = reverse("aidants:account")
OTP_URL = reverse("aidants:otp")
LOGOUT_URL = reverse("aidants:logout")


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def logged_client(client, aidant, frozen):
    return verified_client(client, aidant)


def test_otp_is_asked_again_after_15_idle_minutes(logged_client, frozen):
    assert logged_client.get(ACCOUNT_URL).status_code == 200
    frozen.shift(timedelta(minutes=15, seconds=1))
    response = logged_client.get(ACCOUNT_URL)
    assert response.status_code == 302
    assert response.url.startswith(OTP_URL)
    # Only the second factor is dropped: the password login remains.
    assert "_auth_user_id" in logged_client.session
    assert DEVICE_ID_SESSION_KEY not in logged_client.session


def test_activity_keeps_the_otp_verification(logged_client, frozen):
    for _ in range(6):
        frozen.shift(timedelta(minutes=14))
        assert logged_client.get(ACCOUNT_URL).status_code == 200


def test_session_ends_after_8_hours_even_when_active(
    logged_client, aidant, frozen, assert_journaled
):
    logged_client.get(ACCOUNT_URL)
    for _ in range(34):  # 34 x 14 min = 7 h 56
        frozen.shift(timedelta(minutes=14))
        assert logged_client.get(ACCOUNT_URL).status_code == 200
    frozen.shift(timedelta(minutes=5))
    response = logged_client.get(ACCOUNT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("aidants:login"))
    assert "_auth_user_id" not in logged_client.session
    entry = assert_journaled(Action.LOGGED_OUT, actor_id=str(aidant.uuid))
    assert entry.details["reason"] == "session_max_age"


def test_new_otp_after_idle_does_not_extend_the_8_hours(client, aidant, frozen):
    device = aidant.totp_devices.get()
    password_login(client, aidant)
    client.post(OTP_URL, {"otp_token": totp_now(device)})
    for _ in range(2):
        # Idle 3 h 30: the OTP is dropped, the aidant enters a new code.
        frozen.shift(timedelta(hours=3, minutes=30))
        assert client.get(ACCOUNT_URL).url.startswith(OTP_URL)
        client.post(OTP_URL, {"otp_token": totp_now(device)})
        assert DEVICE_ID_SESSION_KEY in client.session
    frozen.shift(timedelta(hours=1, minutes=1))
    client.get(ACCOUNT_URL)
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session_and_is_journaled(
    logged_client, aidant, assert_journaled
):
    response = logged_client.post(LOGOUT_URL)
    assert response.status_code == 302
    assert response.url == reverse("aidants:home")
    assert "_auth_user_id" not in logged_client.session
    entry = assert_journaled(Action.LOGGED_OUT, actor_id=str(aidant.uuid))
    assert entry.details["reason"] == "user"
    assert logged_client.get(ACCOUNT_URL).status_code == 302


def test_logout_needs_post(logged_client):
    assert logged_client.get(LOGOUT_URL).status_code == 405
    assert "_auth_user_id" in logged_client.session


def test_logout_button_is_a_post_form_in_the_header(logged_client):
    content = logged_client.get(ACCOUNT_URL).content.decode()
    assert f'<form method="post" action="{LOGOUT_URL}">' in content
