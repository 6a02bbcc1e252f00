from django.core.management.base import BaseCommand, CommandError

from audit.sealing import SealError, reseal_all


class Command(BaseCommand):
    help = (
        "Re-chiffre sous la première clé de RELAIS_KEY_ENCRYPTION_KEY toutes les "
        "valeurs scellées (clés privées de signature, graines OTP). Rotation : "
        "placez la nouvelle clé en tête de la liste (l'ancienne après elle), lancez "
        "cette commande, puis retirez l'ancienne clé."
    )

    def handle(self, *args, **options):
        try:
            counts = reseal_all()
        except SealError as exc:
            raise CommandError(
                f"Valeur scellée illisible avec les clés configurées : {exc}"
            ) from exc
        total = sum(counts.values())
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label} : {count}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{total} valeur(s) re-chiffrée(s) sous la clé de chiffrement "
                "courante. L'ancienne clé peut être retirée de "
                "RELAIS_KEY_ENCRYPTION_KEY (les codes de secours émis avant la "
                "rotation ne fonctionneront plus : faites-les régénérer avant)."
            )
        )
