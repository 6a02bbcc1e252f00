from django.core.management.base import BaseCommand

from aidants.services.inactivity import run_inactivity_check


class Command(BaseCommand):
    help = (
        "Suspend aidants with no login for INACTIVITY_SUSPEND_DAYS and warn by email "
        "those past INACTIVITY_WARN_DAYS. Idempotent, meant for a daily cron."
    )

    def handle(self, *args, **options):
        report = run_inactivity_check()
        self.stdout.write(
            f"{len(report.warned)} aidant(s) averti(s), "
            f"{len(report.suspended)} habilitation(s) suspendue(s), "
            f"{len(report.failed)} avertissement(s) en échec."
        )
        if report.failed:
            self.stderr.write("Some warnings could not be emailed; see the log.")
