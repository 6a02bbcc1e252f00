from django.core.management.base import BaseCommand, CommandError

from mandats.purge import purge_expired, purgeable, retention_days

MIN_DAYS = 1


class Command(BaseCommand):
    help = (
        "Efface les données personnelles des usagers dont le dernier mandat a pris "
        "fin (expiré ou révoqué) depuis plus que la durée de conservation "
        "(USAGER_RETENTION_DAYS, 5 ans par défaut). Le journal reste intact."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Durée de conservation en jours (par défaut : USAGER_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compte les usagers concernés sans rien effacer.",
        )

    def handle(self, *args, **options):
        days = options["days"]
        if days is None:
            days = retention_days()
        if days < MIN_DAYS:
            raise CommandError("--days doit être un entier positif.")
        if options["dry_run"]:
            count = purgeable(days=days).count()
            self.stdout.write(f"Usagers à purger (simulation) : {count}")
            return
        report = purge_expired(days=days)
        self.stdout.write(
            f"Usagers purgés : {len(report.purged)} (conservation {days} jours)"
        )
