from datetime import timedelta

from django.core.management.base import BaseCommand

from oidc import services


class Command(BaseCommand):
    help = "Supprime les codes et jetons OIDC expirés depuis plus d'un jour."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=1)

    def handle(self, *args, **options):
        days = max(options["days"], 1)
        counts = services.purge_expired(older_than=timedelta(days=days))
        self.stdout.write(
            f"{counts['codes']} codes, {counts['tokens']} jetons, "
            f"{counts['assertions']} assertions supprimés."
        )
