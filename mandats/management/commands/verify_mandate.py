import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mandats.verification import (
    INVALID,
    LABELS,
    NOT_FOUND,
    VALID,
    TokenCheck,
    verify_stored,
    verify_token,
)

EXIT_INVALID = 1
EXIT_NOT_LIVE = 2


class Command(BaseCommand):
    help = (
        "Vérifie un mandat (identifiant public ou JWS compact) avec les clés "
        "publiées, ou celles d'un fichier JWKS. Code de sortie : 0 valide, "
        "1 invalide ou introuvable, 2 authentique mais expiré ou révoqué."
    )

    def add_arguments(self, parser):
        parser.add_argument("mandate", help="Identifiant public ou JWS compact.")
        parser.add_argument(
            "--jwks", type=Path, help="Fichier JWKS (par défaut : les clés de mandat)."
        )

    def handle(self, *args, **options):
        jwks = self._jwks(options["jwks"])
        value = options["mandate"].strip()
        if value.count(".") == 2:
            result = verify_token(value, jwks=jwks)
        else:
            result = verify_stored(value, jwks=jwks)
        self._print(result)
        if result.status in (INVALID, NOT_FOUND):
            raise SystemExit(EXIT_INVALID)
        if result.status != VALID:
            raise SystemExit(EXIT_NOT_LIVE)

    def _jwks(self, path: Path | None) -> dict | None:
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"JWKS illisible : {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise CommandError('JWKS invalide : un objet {"keys": [...]} est attendu.')
        return data

    def _print(self, result: TokenCheck) -> None:
        self.stdout.write(f"Statut : {LABELS[result.status]}")
        if result.reason:
            self.stdout.write(f"Motif : {result.reason}")
        verification = result.verification
        if verification is not None and verification.genuine:
            self.stdout.write(f"Structure : {verification.structure_name}")
            self.stdout.write(f"Personne : {verification.initials}")
            self.stdout.write(
                f"Validité : du {verification.created_at:%d/%m/%Y} "
                f"au {verification.expires_at:%d/%m/%Y}"
            )
            for demarche in verification.demarches:
                self.stdout.write(
                    f"  - {demarche['label']} : {demarche['status_label']}"
                )
        elif result.payload:
            self.stdout.write(
                "Mandat inconnu de cette base : seul le contenu signé est vérifié."
            )
            self.stdout.write(f"Mandat : {result.payload.get('mandat')}")
            self.stdout.write(f"Expire le : {result.payload.get('expires_at')}")
            demarches = ", ".join(result.payload.get("demarches") or [])
            self.stdout.write(f"Démarches : {demarches}")
