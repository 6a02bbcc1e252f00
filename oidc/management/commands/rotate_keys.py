from django.core.management.base import BaseCommand, CommandError

from oidc import keys


class Command(BaseCommand):
    help = (
        "Crée une nouvelle clé de signature des id_tokens. L'ancienne reste publiée "
        "dans le JWKS pour vérifier les jetons déjà émis."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--alg",
            action="append",
            choices=keys.ID_TOKEN_ALGS,
            help="Algorithme à renouveler (par défaut : ES256 et RS256).",
        )

    def handle(self, *args, **options):
        for alg in options["alg"] or keys.ID_TOKEN_ALGS:
            try:
                key = keys.rotate(alg)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{alg} : nouvelle clé {key.kid}")
