"""Journey: the usager revokes the démarche in her space while the demo service
holds a session the aidant opened for her; a logout worker runs in the
background, and the service's session ends within seconds, without the aidant
doing anything. With the service down, the logout arrives once it is back."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from audit.models import JournalEntry
from oidc import backchannel
from oidc.models import DeliveryStatus, LogoutDelivery
from tests.e2e.journeys import (
    open_demo_service_as,
    register_demo_service,
    sandbox_usager_mandat,
)

pytestmark = pytest.mark.e2e
ENDED = "Votre session a été fermée par Relais"


class Worker:
    """`manage.py send_backchannel_logouts` in a thread: drains every 0.3 s."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.errors: list[str] = []

    def run(self) -> None:
        if connection.vendor == "sqlite":
            # The in-memory test database has a shared cache whose table locks
            # fail at once: this thread's reads must not block the live server.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA read_uncommitted = 1")
        try:
            while not self.stop.is_set():
                try:
                    backchannel.drain_once()
                except OperationalError:
                    pass  # the in-memory test database's shared-cache lock: again
                except Exception as error:  # noqa: BLE001 - kept for the assertion
                    # A pass that fails must not end the worker: the journey
                    # shows what it saw if deliveries stop.
                    self.errors.append(repr(error))
                self.stop.wait(0.3)
        finally:
            connections.close_all()

    def __enter__(self) -> "Worker":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def act_for_her(ui, aidant, demarche_label: str) -> None:
    open_demo_service_as(ui, aidant)
    ui.follow("Choisir Angela Claire Louise")
    ui.tick(demarche_label)
    ui.submit("Se connecter au service pour cette personne", "demo-service-acting")
    assert "Bienvenue Angela Claire Louise DUBOIS" in ui.text()


def usager_revokes(usager_ui, label: str) -> None:
    usager_ui.goto("/mon-espace/", "usager-space")
    usager_ui.follow(f"Révoquer « {label} »", "usager-revoke-confirm")
    usager_ui.submit("Je révoque", "usager-revocation-attestation")
    assert "la révocation a pris effet" in usager_ui.text()


def wait_until_demo_session_ends(ui, *, within: float) -> float:
    """Reload the demo service's page (as the person in front of it would)
    until it says Relais ended the session; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        ui.goto("/demo-service/")
        if ENDED in ui.text():
            return time.monotonic() - start
        time.sleep(0.5)
    raise AssertionError(f"the demo service's session was still open after {within}s")


def test_revoking_the_demarche_ends_the_service_session_at_once(
    ui, usager_ui, aidant, franceconnect, settings, tmp_path
):
    settings.DEMO_SERVICE_STATE_DIR = tmp_path
    settings.OIDC_BACKCHANNEL_RETRY_BASE_SECONDS = 1
    settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS = 3
    register_demo_service()
    sandbox_usager_mandat(
        aidant, issuer=franceconnect.issuer, demarches=("social", "famille")
    )
    act_for_her(ui, aidant, "Social - Santé")

    usager_ui.goto("/mon-espace/", "usager-login")
    usager_ui.page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    usager_ui.submit("demo-angela-dubois", "usager-space")

    with Worker() as worker:
        usager_revokes(usager_ui, "Social - Santé")
        took = wait_until_demo_session_ends(ui, within=30)
        ui.audit("demo-service-ended-by-relais")
        assert "Se connecter avec Relais" in ui.text()
        delivered = LogoutDelivery.objects.get(reason="autorisation_revoked")
        assert delivered.status == DeliveryStatus.DELIVERED
        assert delivered.attempts == 1
        print(f"demo session ended {took:.1f}s after the revocation")  # noqa: T201

        # Now for "famille", with the service down when she revokes it.
        act_for_her(ui, aidant, "Famille - Scolarité")
        settings.DEMO_SERVICE_ENABLED = False  # the service answers 404
        usager_revokes(usager_ui, "Famille - Scolarité")
        deadline = time.monotonic() + 30
        while not JournalEntry.objects.filter(action="service_logout_failed").exists():
            assert time.monotonic() < deadline, (
                f"no failed delivery journaled (worker errors: {worker.errors})"
            )
            time.sleep(0.3)
        pending = LogoutDelivery.objects.get(
            reason="autorisation_revoked", status=DeliveryStatus.PENDING
        )
        assert pending.attempts >= 1 and pending.last_error == "HTTP 404"
        settings.DEMO_SERVICE_ENABLED = True  # back
        wait_until_demo_session_ends(ui, within=30)
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.DELIVERED and pending.attempts >= 2
    assert JournalEntry.objects.filter(action="service_logout_delivered").count() == 2
