from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import create_checkpoint


class Command(BaseCommand):
    help = (
        "Signe la tête du journal (numéro, empreinte, date) avec la clé des points de "
        "contrôle, l'enregistre et l'ajoute au témoin hors base "
        "(RELAIS_JOURNAL_WITNESS_DIR). À lancer au moins toutes les heures (cron)."
    )

    def handle(self, *args, **options):
        try:
            checkpoint = create_checkpoint()
        except OSError as exc:
            raise CommandError(
                "Témoin impossible à écrire dans "
                f"{settings.JOURNAL_WITNESS_DIR} ({exc.strerror}) : aucun point de "
                "contrôle enregistré."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Point de contrôle signé : entrée n°{checkpoint.seq} "
                f"({checkpoint.entry_hash[:16]}…), clé {checkpoint.kid}, témoin "
                f"dans {settings.JOURNAL_WITNESS_DIR}."
            )
        )
