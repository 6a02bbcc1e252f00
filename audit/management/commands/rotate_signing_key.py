from django.core.management.base import BaseCommand, CommandError

from audit.keys import KeyPurpose, rotate_key

PURPOSES = [KeyPurpose.MANDAT.value, KeyPurpose.CHECKPOINT.value]


class Command(BaseCommand):
    help = (
        "Crée une nouvelle clé de signature des mandats ou des points de contrôle "
        "du journal ; l'ancienne reste connue pour vérifier ce qu'elle a signé. "
        "(Clés des id_tokens : manage.py rotate_keys.)"
    )

    def add_arguments(self, parser):
        parser.add_argument("--purpose", choices=PURPOSES, required=True)

    def handle(self, *args, purpose: str, **options):
        try:
            key = rotate_key(purpose=purpose)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{purpose} : nouvelle clé {key.kid}")
