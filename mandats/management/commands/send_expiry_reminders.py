from django.core.management.base import BaseCommand

from mandats.reminders import REMINDER_DAYS, send_expiry_reminders


class Command(BaseCommand):
    help = (
        f"Envoie aux aidants habilités un rappel pour chaque mandat qui expire "
        f"dans les {REMINDER_DAYS} jours (une seule fois par mandat). Idempotent."
    )

    def handle(self, *args, **options):
        report = send_expiry_reminders()
        self.stdout.write(f"Rappels envoyés : {len(report.sent)}")
        if report.without_recipient:
            self.stdout.write(
                "Mandats sans aidant habilité à prévenir : "
                f"{len(report.without_recipient)}"
            )
        if report.failed:
            self.stderr.write(
                "Rappels en échec (réessayés au prochain passage) : "
                f"{len(report.failed)}"
            )
            raise SystemExit(1)
