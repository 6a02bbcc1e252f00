from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from aidants.models import HabilitationStatus
from aidants.services.otp import create_backup_codes
from audit.actions import Action
from tests.aidants.test_login import password_login
from tests.factories import HabilitationFactory, StructureFactory, totp_now

OTP_URL = reverse("aidants:otp")
HOME_URL = reverse("aidants:home")


@pytest.fixture
def frozen():
    # Frozen clock: TOTP codes, django-otp throttling and the session limits all
    # read it, so the tests do not depend on the machine's speed.
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def password_client(client, aidant, frozen):
    """An aidant who passed the password step only."""
    assert password_login(client, aidant).status_code == 302
    return client


def device_of(aidant):
    return aidant.totp_devices.get()


def is_verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def test_otp_page_asks_for_the_code(password_client):
    response = password_client.get(OTP_URL)
    assert response.status_code == 200
    assert 'name="otp_token"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_right_code_verifies_and_journals_login(
    password_client, aidant, assert_journaled
):
    response = password_client.post(OTP_URL, {"otp_token": totp_now(device_of(aidant))})
    assert response.status_code == 302
    assert response.url == HOME_URL
    assert is_verified(password_client)
    assert_journaled(
        Action.LOGIN_SUCCEEDED,
        actor_id=str(aidant.uuid),
        structure_id=str(aidant.current_structure.uuid),
    )
    assert password_client.get(reverse("aidants:account")).status_code == 200


def test_code_with_a_space_is_accepted(password_client, aidant):
    code = totp_now(device_of(aidant))
    password_client.post(OTP_URL, {"otp_token": f"{code[:3]} {code[3:]}"})
    assert is_verified(password_client)


def test_wrong_code_is_refused_and_journaled(password_client, aidant, assert_journaled):
    right = totp_now(device_of(aidant))
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = password_client.post(OTP_URL, {"otp_token": wrong})
    assert response.status_code == 200
    assert "Attendez le code suivant de votre application" in response.content.decode()
    assert not is_verified(password_client)
    entry = assert_journaled(Action.OTP_FAILED, actor_id=str(aidant.uuid))
    assert wrong not in str(entry.details)


def test_drift_window_is_one_step_only(password_client, aidant):
    device = device_of(aidant)
    password_client.post(OTP_URL, {"otp_token": totp_now(device, offset_steps=-2)})
    assert not is_verified(password_client)


def test_code_of_the_previous_step_is_accepted(password_client, aidant):
    password_client.post(
        OTP_URL, {"otp_token": totp_now(device_of(aidant), offset_steps=-1)}
    )
    assert is_verified(password_client)


def test_malformed_code_is_a_form_error(password_client):
    response = password_client.post(OTP_URL, {"otp_token": "abc"})
    assert response.status_code == 200
    assert "Le code se compose de 6 chiffres" in response.content.decode()
    assert not is_verified(password_client)


def test_repeated_wrong_codes_throttle_even_the_right_one(
    password_client, aidant, frozen, assert_journaled
):
    device = device_of(aidant)
    wrong = f"{(int(totp_now(device)) + 1) % 10**6:06d}"
    for _ in range(3):
        frozen.shift(10)  # let each wrong code be checked, not throttled
        password_client.post(OTP_URL, {"otp_token": wrong})
    response = password_client.post(OTP_URL, {"otp_token": totp_now(device)})
    assert response.status_code == 200
    assert "Attendez 4 secondes" in response.content.decode()
    assert not is_verified(password_client)
    entry = assert_journaled(Action.OTP_FAILED, actor_id=str(aidant.uuid))
    assert entry.details["reason"] == "throttled"

    frozen.shift(5)
    password_client.post(OTP_URL, {"otp_token": totp_now(device)})
    assert is_verified(password_client)


def test_a_code_cannot_be_used_twice(client, aidant, frozen):
    code = totp_now(device_of(aidant))
    password_login(client, aidant)
    client.post(OTP_URL, {"otp_token": code})
    assert is_verified(client)
    client.post(reverse("aidants:logout"))
    password_login(client, aidant)
    response = client.post(OTP_URL, {"otp_token": code})
    assert not is_verified(client)
    # The aidant is told what to do: wait for the next code.
    assert "a déjà servi. Attendez le code suivant" in response.content.decode()


def test_backup_code_works_once(client, aidant, frozen, assert_journaled):
    codes = create_backup_codes(aidant=aidant)
    password_login(client, aidant)
    client.post(OTP_URL, {"otp_token": codes[0]})
    assert is_verified(client)
    entry = assert_journaled(Action.LOGIN_SUCCEEDED, actor_id=str(aidant.uuid))
    assert entry.details["device"] == "backup_codes"
    client.post(reverse("aidants:logout"))

    frozen.shift(60)
    password_login(client, aidant)
    client.post(OTP_URL, {"otp_token": codes[0]})
    assert not is_verified(client)
    assert_journaled(Action.OTP_FAILED, actor_id=str(aidant.uuid))
    frozen.shift(2)  # past django-otp's throttle delay after one failure
    client.post(OTP_URL, {"otp_token": codes[1]})
    assert is_verified(client)


def test_backup_code_does_not_throttle_the_app(password_client, aidant):
    codes = create_backup_codes(aidant=aidant)
    password_client.post(OTP_URL, {"otp_token": codes[0]})
    device = device_of(aidant)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_safe_next_is_followed(client, aidant, frozen):
    password_login(client, aidant, next_url="/compte/")
    response = client.post(
        f"{OTP_URL}?next=/compte/", {"otp_token": totp_now(device_of(aidant))}
    )
    assert response.url == "/compte/"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://evil.example/compte/"],
)
def test_open_redirect_is_refused(password_client, aidant, next_url):
    response = password_client.post(
        OTP_URL, {"otp_token": totp_now(device_of(aidant)), "next": next_url}
    )
    assert is_verified(password_client)
    assert response.url == HOME_URL


def test_anonymous_otp_page_goes_to_login(client, db):
    response = client.get(OTP_URL)
    assert response.status_code == 302
    assert response.url == reverse("aidants:login")


def test_verified_user_skips_the_otp_page(aidant_client):
    response = aidant_client.get(OTP_URL)
    assert response.status_code == 302
    assert response.url == HOME_URL


def test_device_gone_after_the_password_step_logs_out_without_enrolment(
    password_client, aidant, assert_journaled
):
    aidant.totp_devices.all().delete()
    response = password_client.get(OTP_URL, follow=True)
    assert response.request["PATH_INFO"] == reverse("aidants:login")
    assert "second facteur utilisable" in response.content.decode()
    assert "_auth_user_id" not in password_client.session
    assert_journaled(Action.LOGGED_OUT, actor_id=str(aidant.uuid))


def test_habilitation_suspended_between_the_two_steps_refuses_login(
    password_client, aidant, assert_journaled
):
    aidant.habilitations.update(status=HabilitationStatus.SUSPENDED)
    response = password_client.post(OTP_URL, {"otp_token": totp_now(device_of(aidant))})
    assert response.status_code == 302
    assert response.url == reverse("aidants:login")
    assert "_auth_user_id" not in password_client.session
    assert_journaled(Action.LOGIN_REFUSED, actor_id=str(aidant.uuid))


def test_unusable_current_structure_is_replaced_at_login(client, aidant, frozen):
    second = StructureFactory(name="CCAS de Berck")
    HabilitationFactory(aidant=aidant, structure=second)
    aidant.habilitations.filter(structure=aidant.current_structure).update(
        status=HabilitationStatus.SUSPENDED
    )
    password_login(client, aidant)
    client.post(OTP_URL, {"otp_token": totp_now(device_of(aidant))})
    aidant.refresh_from_db()
    assert aidant.current_structure == second


def test_missing_current_structure_is_set_at_login(client, aidant, frozen):
    structure = aidant.current_structure
    aidant.current_structure = None
    aidant.save()
    password_login(client, aidant)
    client.post(OTP_URL, {"otp_token": totp_now(device_of(aidant))})
    aidant.refresh_from_db()
    assert aidant.current_structure == structure


def test_throttle_expires_with_time(password_client, aidant, frozen):
    device = device_of(aidant)
    wrong = f"{(int(totp_now(device)) + 1) % 10**6:06d}"
    password_client.post(OTP_URL, {"otp_token": wrong})
    frozen.shift(timedelta(seconds=2))
    password_client.post(OTP_URL, {"otp_token": totp_now(device)})
    assert is_verified(password_client)


def test_session_key_changes_when_the_second_factor_is_verified(
    password_client, aidant
):
    before = password_client.session.session_key
    password_client.post(OTP_URL, {"otp_token": totp_now(device_of(aidant))})
    assert is_verified(password_client)
    assert password_client.session.session_key != before
