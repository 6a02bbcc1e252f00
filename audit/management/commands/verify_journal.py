from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify_journal


class Command(BaseCommand):
    help = (
        "Recalcule la chaîne du journal (empreintes, liens, numérotation sans trou), "
        "vérifie les points de contrôle signés, la tête, et la base contre le témoin "
        "hors base (RELAIS_JOURNAL_WITNESS_DIR). Par défaut, reprend au point de "
        "contrôle témoigné atteint par la dernière vérification réussie (marque "
        "gardée dans le dossier témoin) ; --full revérifie tout le journal. Code de "
        "sortie 0 si le journal est intact, 1 sinon."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--full",
            action="store_true",
            help="Tout revérifier depuis l'entrée n°1 (au moins une fois par semaine).",
        )
        mode.add_argument(
            "--from",
            dest="from_seq",
            type=int,
            default=None,
            help="Commencer à l'entrée n°N (reliée à l'entrée N-1) ; "
            "n'enregistre pas de marque de reprise.",
        )

    def handle(self, *args, full: bool, from_seq: int | None, **options):
        if from_seq is not None and from_seq < 1:
            raise CommandError("--from doit être un entier supérieur ou égal à 1.")
        try:
            report = verify_journal(
                from_seq=from_seq or 1,
                incremental=not full and from_seq is None,
                save_progress=from_seq is None,
            )
        except OSError as exc:
            raise CommandError(
                f"Marque de reprise impossible à écrire dans le dossier témoin "
                f"({exc.strerror})."
            ) from exc
        entries = "entrée vérifiée" if report.checked < 2 else "entrées vérifiées"
        points = "point de contrôle" if report.checkpoints < 2 else "points de contrôle"
        summary = (
            f"{report.checked} {entries}, {report.checkpoints} {points}, "
            f"en {report.elapsed:.2f} s."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Journal intact : {summary}"))
            self.stdout.write(self._scope(report))
            self.stdout.write(self._coverage(report))
            return
        self.stdout.write(summary)
        problem = report.problem
        named = f"entrée n°{problem.seq}"
        where = "" if problem.seq is None or named in problem.message else named
        raise CommandError(
            "Journal altéré. Première anomalie : "
            + (f"{where} — " if where else "")
            + problem.message,
            returncode=1,
        )

    def _scope(self, report) -> str:
        if report.resumed_from is not None:
            return (
                "Vérification incrémentale : reprise au point de contrôle témoigné "
                f"de l'entrée n°{report.resumed_from} (vérifié jusque-là par une "
                "exécution précédente). Lancez verify_journal --full au moins une "
                "fois par semaine."
            )
        if report.from_seq > 1:
            return f"Vérification partielle, à partir de l'entrée n°{report.from_seq}."
        return "Vérification complète, depuis l'entrée n°1."

    def _coverage(self, report) -> str:
        if not report.witness_path:
            return (
                "Aucun témoin hors base : seule la chaîne a été vérifiée, "
                f"{report.uncovered} entrée(s) non couverte(s). Lancez "
                "journal_checkpoint."
            )
        return (
            f"Témoin {report.witness_path} : {report.witnessed} point(s) de contrôle "
            f"vérifié(s), jusqu'à l'entrée n°{report.witness_seq} ; "
            f"{report.uncovered} entrée(s) après lui pas encore couverte(s) "
            "(couvertes au prochain journal_checkpoint)."
        )
