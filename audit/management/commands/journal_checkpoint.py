from django.core.management.base import BaseCommand

from audit.checkpoints import create_checkpoint


class Command(BaseCommand):
    help = (
        "Signe la tête du journal (numéro, empreinte, date) avec la clé du service "
        "et l'enregistre. À lancer régulièrement (cron), par exemple toutes les heures."
    )

    def handle(self, *args, **options):
        checkpoint = create_checkpoint()
        self.stdout.write(
            self.style.SUCCESS(
                f"Point de contrôle signé : entrée n°{checkpoint.seq} "
                f"({checkpoint.entry_hash[:16]}…), clé {checkpoint.kid}."
            )
        )
