import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from aidants.demarches import Demarche
from aidants.templatetags.french import list_fr
from audit.checkpoints import checkpoint_if_new_entries
from demo.seed import seed

# The demo online service's keys, as the French output names them (--json
# keeps the keys).
CLIENT_LABELS = {
    "name": "nom",
    "client_id": "identifiant client (client_id)",
    "client_secret": "secret client (client_secret)",
    "redirect_uri": "adresse de retour (redirect_uri)",
    "demo_url": "page du service",
    "discovery": "configuration OpenID Connect",
}


def _describe(login: dict) -> str:
    return (
        f"  courriel : {login['email']}\n"
        f"  mot de passe : {login['password']}\n"
        f"  secret TOTP (base32) : {login['totp_secret']}"
    )


class Command(BaseCommand):
    help = (
        "Crée (ou retrouve) les données de démonstration et affiche les identifiants. "
        "Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", help="Affiche un seul objet JSON."
        )
        parser.add_argument(
            "--aidants",
            type=int,
            default=0,
            metavar="N",
            help="Crée aussi N aidants supplémentaires (tests de charge).",
        )

    def handle(self, *args, **options):
        if options["aidants"] < 0 or options["aidants"] > 1000:
            raise CommandError("--aidants doit être compris entre 0 et 1000.")
        output = seed(extra_aidants=options["aidants"])
        # Everything the demo journaled is witnessed outside the database at once.
        checkpoint_if_new_entries()
        if options["json"]:
            self.stdout.write(json.dumps(output, ensure_ascii=False))
            return
        self.stdout.write(self.render(output))

    def render(self, output: dict) -> str:
        lines = [
            f"Relais (démo) : {output['url']}",
            f"Structure : {output['structure']['name']} "
            f"(SIRET {output['structure']['siret']})",
            "",
            "Référente (aussi aidante) :",
            _describe(output["referent"]),
            "Aidant :",
            _describe(output["aidant"]),
            f"Équipe Relais (administration {output['url']}/admin/) :",
            _describe(output["staff"]),
        ]
        for login in output["aidants"]:
            lines.append(f"Aidant supplémentaire : {login['email']}")
            lines.append(f"  secret TOTP (base32) : {login['totp_secret']}")
        client = output.get("client")
        if client:
            lines += [
                "Service en ligne de démonstration :",
                *(
                    f"  {CLIENT_LABELS.get(key, key)} : {value}"
                    for key, value in client.items()
                ),
            ]
        for usager in output.get("usagers", []):
            lines.append(f"Usager : {usager['given_name']} {usager['family_name']}")
            for mandat in usager.get("mandats", []):
                lines.append(f"  mandat {mandat['id']} : {_mandat_line(mandat)}")
        return "\n".join(lines)


def _mandat_line(mandat: dict) -> str:
    """ "Famille - Scolarité et Social - Santé, jusqu'au 01/12/2027 à 02:19"."""
    labels = [str(Demarche(code).label) for code in mandat["demarches"]]
    until = localtime(datetime.fromisoformat(mandat["expires_at"]))
    return f"{list_fr(labels)}, jusqu'au {until:%d/%m/%Y à %H:%M}"
