"""Drain the back-channel logout queue: `--once` for cron, else a loop (a
worker process). Several workers may run at once (see backchannel.claim_batch)."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from oidc import backchannel

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Envoie aux services en ligne les jetons de déconnexion en attente "
        "(OIDC Back-Channel Logout), avec reprises."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Une seule passe.")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Secondes entre deux passes."
        )
        parser.add_argument("--batch", type=int, default=20)

    def handle(self, *args, once: bool, interval: float, batch: int, **options):
        while True:
            try:
                report = backchannel.drain_once(limit=max(1, batch))
            except DatabaseError as exc:
                # A busy or restarting database: the queue is intact, retry.
                if once:
                    raise
                logger.warning("back-channel logout pass failed: %s", exc)
                time.sleep(max(0.1, interval))
                continue
            if report.ended or report.delivered or report.failed:
                self.stdout.write(
                    f"ended={report.ended} delivered={report.delivered} "
                    f"failed={report.failed}"
                )
            if once:
                return
            time.sleep(max(0.1, interval))
