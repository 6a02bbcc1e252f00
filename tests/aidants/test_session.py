"""The aidant session's one rule (aidants/session.py): verified while it is the
aidant's own, carries the second factor, is within 8 hours of the password login
and has not been idle for 15 minutes. The OIDC bridge applies the same rule."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aidants import session as aidant_session
from oidc.access import aidant_session_is_verified
from tests.factories import PASSWORD, AidantFactory, totp_now


@pytest.fixture
def aidant_client(client, aidant):
    """A real two-factor login through the pages: the clocks start as in life."""
    client.post(reverse("aidants:login"), {"email": aidant.email, "password": PASSWORD})
    client.post(
        reverse("aidants:otp"), {"otp_token": totp_now(aidant.totp_devices.get())}
    )
    assert aidant_session.is_verified(client.session, aidant)
    return client


def _session_key(client):
    return client.session.session_key


def test_a_fresh_verified_session_is_verified(aidant_client, aidant):
    key = _session_key(aidant_client)
    assert aidant_session_is_verified(aidant.pk, key)
    assert aidant_session.is_verified(aidant_client.session, aidant)


def test_another_aidant_is_not_verified_by_this_session(aidant_client, db):
    other = AidantFactory()
    assert not aidant_session_is_verified(other.pk, _session_key(aidant_client))


def test_the_oidc_bridge_applies_the_idle_rule(aidant_client, aidant, settings):
    key = _session_key(aidant_client)
    idle = settings.OTP_IDLE_TIMEOUT_SECONDS
    with time_machine.travel(timezone.now() + timedelta(seconds=idle - 60)):
        assert aidant_session_is_verified(aidant.pk, key)
    with time_machine.travel(timezone.now() + timedelta(seconds=idle + 1)):
        assert not aidant_session_is_verified(aidant.pk, key)


def test_activity_keeps_the_session_verified_for_the_bridge(
    aidant_client, aidant, settings
):
    key = _session_key(aidant_client)
    idle = settings.OTP_IDLE_TIMEOUT_SECONDS
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=idle - 60)):
        assert aidant_client.get("/").status_code in (200, 302)
    with time_machine.travel(start + timedelta(seconds=idle + 60)):
        assert aidant_session_is_verified(aidant.pk, key)


def test_the_oidc_bridge_applies_the_eight_hour_rule(aidant_client, aidant, settings):
    key = _session_key(aidant_client)
    start = timezone.now()
    step = timedelta(seconds=settings.OTP_IDLE_TIMEOUT_SECONDS - 60)
    at = start + step
    # Stay active (one request per idle window) until near the maximum age.
    while at - start < timedelta(seconds=settings.SESSION_MAX_AGE_SECONDS - 120):
        with time_machine.travel(at):
            aidant_client.get("/")
            assert aidant_session_is_verified(aidant.pk, key)
        at += step
    end = start + timedelta(seconds=settings.SESSION_MAX_AGE_SECONDS)
    with time_machine.travel(end):
        assert not aidant_session_is_verified(aidant.pk, key)


def test_is_verified_needs_the_second_factor(aidant_client, aidant):
    session = dict(aidant_client.session.items())
    session.pop("otp_device_id")
    assert not aidant_session.is_verified(session, aidant)
