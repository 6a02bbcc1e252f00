"""Journey (e): refusals at the door. A suspended aidant cannot log in; five
wrong one-time codes throttle the next attempt, even with the right code."""

import re

import pytest
import time_machine
from django.utils import timezone

from audit.models import JournalEntry
from tests.e2e.conftest import totp_code
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e


def test_suspended_aidant_cannot_log_in(ui, referent, aidant):
    ui.login(referent.email, PASSWORD, TOTP_SECRET_B32)
    ui.goto("/referent/", "referent-space")
    ui.follow(aidant.get_full_name(), "referent-aidant")
    ui.follow("Suspendre", "referent-suspend")
    ui.submit("Confirmer", "referent-suspend-no-reason")
    assert "Indiquez le motif" in ui.text()
    ui.fill("Motif", "Congé de longue durée")
    ui.submit("Confirmer", "referent-suspended")
    assert ui.page.locator(".fr-badge").first.text_content().strip() == "suspendue"
    ui.submit("Se déconnecter")

    ui.goto("/connexion/")
    ui.fill("Adresse électronique", aidant.email)
    ui.fill("Mot de passe", PASSWORD)
    ui.submit("Se connecter", "login-suspended")
    assert "Adresse électronique ou mot de passe incorrect" in ui.text()
    assert ui.path() == "/connexion/"
    assert ui.page.get_by_role("button", name="Se déconnecter").count() == 0


def wrong_code() -> str:
    # Not the code of this 30 s step nor of its neighbours (drift tolerance 1).
    valid = {totp_code(TOTP_SECRET_B32, offset) for offset in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def test_five_wrong_codes_throttle_even_the_right_one(ui, aidant):
    # The wall clock (Relais' and this test's) stands still and moves only
    # when shifted: 10 s between codes so that each wrong code is checked, not
    # merely throttled (1, 2, 4, 8 s after failures). A frozen clock makes the
    # wait shown exact however slow the machine is (a ticking one made this test
    # fail under load); Playwright's own timeouts use the monotonic clock, which
    # time-machine leaves alone.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        ui.goto("/connexion/")
        ui.fill("Adresse électronique", aidant.email)
        ui.fill("Mot de passe", PASSWORD)
        ui.submit("Se connecter", "otp")
        for attempt in range(5):
            clock.shift(10)
            ui.otp(wrong_code(), "otp-wrong" if attempt == 0 else None)
            assert "Ce code est incorrect" in ui.text()
        ui.otp(totp_code(TOTP_SECRET_B32), "otp-throttled")
        # 16 s after the fifth failure: no time has passed for Relais.
        wait = re.search(r"Trop de codes erronés\. Attendez (\d+) secondes", ui.text())
        assert wait and int(wait[1]) == 16, ui.text()
        assert ui.path() == "/connexion/code/"
        reasons = list(
            JournalEntry.objects.filter(action="otp_failed", actor_id=str(aidant.uuid))
            .order_by("seq")
            .values_list("details__reason", flat=True)
        )
        assert reasons == ["invalid"] * 5 + ["throttled"]

        clock.shift(20)
        ui.otp(totp_code(TOTP_SECRET_B32))
        assert ui.path() == "/"
