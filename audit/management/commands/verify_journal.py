from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify_journal


class Command(BaseCommand):
    help = (
        "Recalcule la chaîne du journal (empreintes, liens, numérotation sans trou), "
        "vérifie les points de contrôle signés et la tête. Code de sortie 0 si le "
        "journal est intact, 1 sinon."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="from_seq",
            type=int,
            default=1,
            help="Commencer à l'entrée n°N (reliée à l'entrée N-1).",
        )

    def handle(self, *args, from_seq: int, **options):
        if from_seq < 1:
            raise CommandError("--from doit être un entier supérieur ou égal à 1.")
        report = verify_journal(from_seq=from_seq)
        summary = (
            f"{report.checked} entrées vérifiées, {report.checkpoints} points de "
            f"contrôle, en {report.elapsed:.2f} s."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Journal intact : {summary}"))
            return
        self.stdout.write(summary)
        problem = report.problem
        where = f"entrée n°{problem.seq}" if problem.seq is not None else "journal"
        raise CommandError(
            f"Journal altéré. Première anomalie : {where} — {problem.message}",
            returncode=1,
        )
