"""Failed logins limited per address (django-axes) and per account (growing
delays), without a way to lock a colleague out; the page never confirms a
password, and says how many tries remain."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from aidants.models import HabilitationStatus, LoginDelay
from aidants.services.login import email_digest
from audit.actions import Action
from tests.aidants.test_login import GENERIC_ERROR, LOGIN_URL, OTP_URL, is_logged_in
from tests.factories import PASSWORD, AidantFactory, HabilitationFactory, totp_now

WRONG = "mauvais-mot-de-passe"


@pytest.fixture
def small_delays(settings):
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 3
    settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 60


def attempt(client, email, password):
    return client.post(LOGIN_URL, {"email": email, "password": password})


def error_text(response) -> str:
    content = response.content.decode()
    match = re.search(r"Adresse électronique ou mot de passe incorrect\.[^<]*", content)
    return match.group(0) if match else ""


def from_address(n: int) -> Client:
    return Client(REMOTE_ADDR=f"203.0.113.{n}")


def test_login_says_how_many_tries_remain(client, aidant):
    first = attempt(client, aidant.email, WRONG)
    assert "Il vous reste 4 essais avant le blocage" in first.content.decode()
    for _ in range(2):
        attempt(client, aidant.email, WRONG)
    last = attempt(client, aidant.email, WRONG)
    assert "Il vous reste 1 essai avant le blocage" in last.content.decode()
    assert attempt(client, aidant.email, WRONG).status_code == 429


@pytest.mark.parametrize("status", [HabilitationStatus.SUSPENDED, "inactive"])
def test_suspended_or_inactive_right_password_reads_like_a_wrong_one(structure, status):
    victim = AidantFactory(current_structure=structure)
    wrong_one = AidantFactory(current_structure=structure)
    for person in (victim, wrong_one):
        HabilitationFactory(
            aidant=person,
            structure=structure,
            status=HabilitationStatus.ACTIVE if status == "inactive" else status,
        )
    if status == "inactive":
        victim.is_active = False
        victim.save()
    right = attempt(from_address(1), victim.email, PASSWORD)
    wrong = attempt(from_address(2), wrong_one.email, WRONG)
    assert right.status_code == wrong.status_code == 200
    assert error_text(right) and error_text(right) == error_text(wrong)
    assert "Il vous reste 4 essais" in error_text(right)


def test_suspended_right_password_counts_toward_the_lockout(client, structure):
    aidant = AidantFactory(current_structure=structure)
    HabilitationFactory(
        aidant=aidant, structure=structure, status=HabilitationStatus.SUSPENDED
    )
    for _ in range(4):
        assert attempt(client, aidant.email, PASSWORD).status_code == 200
    assert attempt(client, aidant.email, PASSWORD).status_code == 429


@time_machine.travel("2026-12-01 09:00 +0000", tick=False)
def test_many_addresses_are_slowed_per_account(aidant, small_delays, assert_journaled):
    # An attacker spreads guesses over addresses: axes (e-mail + address) never
    # trips, the account's delay does.
    for n in range(4):
        response = attempt(from_address(n), aidant.email, WRONG)
        assert GENERIC_ERROR in response.content.decode()
    fresh = from_address(99)
    response = attempt(fresh, aidant.email, PASSWORD)
    assert response.status_code == 200
    assert "Attendez" in response.content.decode()
    assert not is_logged_in(fresh)
    entry = assert_journaled(Action.LOGIN_FAILED, actor_id=str(aidant.uuid))
    assert entry.details["reason"] == "account_delay"
    # Refused unchecked: the delayed attempt did not count.
    assert LoginDelay.objects.get(key=email_digest(aidant.email)).failures == 4


def test_the_delay_grows_and_is_capped(aidant, small_delays, settings):
    start = timezone.now()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for n in range(12):
            attempt(from_address(n), aidant.email, WRONG)
            row = LoginDelay.objects.get(key=email_digest(aidant.email))
            until = row.wait_until(3, settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS)
            waits.append((until - row.last_failure_at).seconds if until else 0)
            clock.shift(timedelta(seconds=61))
    assert waits[:3] == [0, 0, 0]
    assert waits[3:9] == [1, 2, 4, 8, 16, 32]
    assert max(waits) == 60


def test_after_the_delay_the_right_password_works(aidant, small_delays):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for n in range(4):
            attempt(from_address(n), aidant.email, WRONG)
        assert (
            "Attendez"
            in attempt(from_address(9), aidant.email, PASSWORD).content.decode()
        )
        clock.shift(timedelta(seconds=3))
        response = attempt(from_address(9), aidant.email, PASSWORD)
    assert response.status_code == 302 and response.url == OTP_URL


def test_a_colleague_cannot_lock_the_holder_out_of_their_own_browser(
    aidant, small_delays
):
    holder = from_address(1)
    attempt(holder, aidant.email, PASSWORD)
    device = aidant.totp_devices.get()
    response = holder.post(OTP_URL, {"otp_token": totp_now(device)})
    assert response.status_code == 302
    holder.post("/deconnexion/")
    # The colleague hammers the account from other desks, waiting out each delay.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(10, 20):
            attempt(from_address(n), aidant.email, WRONG)
            clock.shift(timedelta(seconds=5))
        blocked = attempt(from_address(30), aidant.email, PASSWORD)
        # The holder's browser carries the device cookie: not delayed.
        response = attempt(holder, aidant.email, PASSWORD)
    assert "Attendez" in blocked.content.decode()
    assert response.status_code == 302 and response.url == OTP_URL


def test_device_cookie_of_another_account_does_not_exempt(
    aidant, referent, small_delays
):
    browser = from_address(1)
    attempt(browser, referent.email, PASSWORD)
    browser.post(OTP_URL, {"otp_token": totp_now(referent.totp_devices.get())})
    browser.post("/deconnexion/")
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(10, 15):
            attempt(from_address(n), aidant.email, WRONG)
        page = attempt(browser, aidant.email, PASSWORD).content.decode()
    assert "Attendez" in page


def test_a_completed_login_resets_the_account_delay(aidant, small_delays):
    for n in range(2):
        attempt(from_address(n), aidant.email, WRONG)
    browser = from_address(5)
    attempt(browser, aidant.email, PASSWORD)
    browser.post(OTP_URL, {"otp_token": totp_now(aidant.totp_devices.get())})
    assert not LoginDelay.objects.filter(key=email_digest(aidant.email)).exists()


@time_machine.travel("2026-12-01 09:00 +0000", tick=False)
def test_unknown_emails_are_delayed_alike(db, small_delays):
    for n in range(4):
        attempt(from_address(n), "personne@relais.test", WRONG)
    response = attempt(from_address(50), "personne@relais.test", WRONG)
    assert "Attendez" in response.content.decode()
