"""Two (or more) workers draining one back-channel logout queue at once.

    python -m tests.oidc.backchannel_workers /tmp/x.sqlite3 WORKERS DELIVERIES

Used in-process on PostgreSQL (SKIP LOCKED) and, through this entry point, on a
real SQLite file (the pytest SQLite database is in memory with a shared cache,
whose table locks do not wait). Prints a JSON summary.
"""

import json
import os
import sys
import threading
from collections import Counter


def make_deliveries(count: int, url: str) -> None:
    """`count` ended sessions of one service, each with a queued logout."""
    from aidants.session_events import sessions_ended
    from oidc.models import Client, ServiceSession
    from tests.factories import AidantFactory, HabilitationFactory, MandatFactory

    client = Client(
        name="Service (workers)",
        redirect_uris=["https://svc.example/cb"],
        allowed_demarches=["social"],
        backchannel_logout_uri=url,
    )
    client.set_secret("x" * 43)
    client.save()
    habilitation = HabilitationFactory()
    aidant = habilitation.aidant
    AidantFactory._meta.model.objects.filter(pk=aidant.pk).update(
        current_structure=habilitation.structure
    )
    for i in range(count):
        mandat = MandatFactory(structure=habilitation.structure, demarches=["social"])
        ServiceSession.objects.create(
            sid=f"00000000-0000-4000-8000-{i:012d}",
            client=client,
            aidant=aidant,
            usager=mandat.usager,
            autorisation=mandat.autorisations.get(),
            session_key="k",
        )
    from django.db import transaction

    with transaction.atomic():
        sessions_ended(reason="aidant_logged_out", aidant_id=aidant.pk)


def run_workers(workers: int, url_receiver) -> list[BaseException]:
    """Each worker drains until the queue is empty; returns the errors."""
    from django.db import connections

    from oidc import backchannel
    from oidc.models import DeliveryStatus, LogoutDelivery

    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def worker() -> None:
        try:
            start.wait()
            while LogoutDelivery.objects.filter(status=DeliveryStatus.PENDING).exists():
                backchannel.drain_once(limit=3)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    return errors


def summary(receiver) -> dict:
    from joserfc import jwt

    from audit.models import JournalEntry
    from oidc.models import DeliveryStatus, LogoutDelivery

    sids = [
        jwt.decode(t, _jwks(), algorithms=["ES256"]).claims["sid"]
        for t in receiver.tokens
    ]
    return {
        "received": len(sids),
        "duplicates": [s for s, n in Counter(sids).items() if n > 1],
        "delivered_rows": LogoutDelivery.objects.filter(
            status=DeliveryStatus.DELIVERED
        ).count(),
        "journaled": JournalEntry.objects.filter(
            action="service_logout_delivered"
        ).count(),
    }


def _jwks():
    from joserfc.jwk import KeySet

    from oidc import keys

    return KeySet.import_key_set(keys.jwks())


def main(path: str, workers: int, deliveries: int) -> int:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.oidc.logout_receiver import LogoutReceiver

    with LogoutReceiver() as receiver:
        make_deliveries(deliveries, receiver.url)
        errors = run_workers(workers, receiver)
    result = summary(receiver)
    result["errors"] = [repr(e) for e in errors]
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
