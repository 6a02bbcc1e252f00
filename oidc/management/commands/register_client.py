"""`manage.py register_client`: register an online service (DESIGN.md
"Contracts"); prints its client_id and its secret, once."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from aidants.demarches import Demarche
from oidc import keys, services
from oidc.claims import issuer
from oidc.models import AuthMethod, Client, ClientProfile
from oidc.validators import validate_redirect_uri


def _demarches(value: str) -> list[str]:
    codes = [code.strip() for code in (value or "").split(",") if code.strip()]
    unknown = [code for code in codes if code not in Demarche.values]
    if unknown or not codes:
        given = ", ".join(unknown) or "-"
        raise CommandError(
            f"Démarches inconnues ou absentes : {given} "
            f"(codes possibles : {', '.join(Demarche.values)})."
        )
    return list(dict.fromkeys(codes))


def _uris(values: list[str] | None) -> list[str]:
    for uri in values or []:
        try:
            validate_redirect_uri(uri)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
    return list(dict.fromkeys(values or []))


def _jwks(path: str | None) -> dict:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"JWKS illisible : {error}") from None
    if not isinstance(data, dict) or not data.get("keys"):
        raise CommandError('Le JWKS doit être un objet {"keys": [...]}.')
    return data


class Command(BaseCommand):
    help = (
        "Enregistre un service en ligne (client OpenID Connect) et affiche une "
        "seule fois son client_id et son secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Nom du service.")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            help="URI de redirection (https ; http en local seulement). Répétable.",
        )
        parser.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            help="URI de retour après déconnexion. Répétable.",
        )
        parser.add_argument(
            "--demarches",
            required=True,
            help="Codes des démarches servies, séparés par des virgules.",
        )
        parser.add_argument(
            "--profile", choices=ClientProfile.values, default=ClientProfile.STANDARD
        )
        parser.add_argument(
            "--auth-method",
            choices=AuthMethod.values,
            help="Par défaut : client_secret_post pour le profil franceconnect, "
            "client_secret_basic sinon.",
        )
        parser.add_argument("--jwks", help="Fichier JWKS (pour private_key_jwt).")
        parser.add_argument(
            "--backchannel-logout-uri",
            default="",
            help="URI où envoyer les jetons de déconnexion (OIDC Back-Channel "
            "Logout 1.0) ; https (http en local seulement).",
        )
        parser.add_argument("--json", action="store_true", help="Sortie JSON.")

    def handle(self, *args, **options):
        name = (options["name"] or "").strip()
        if not name or len(name) > 200:
            raise CommandError("Le nom est obligatoire (200 caractères au plus).")
        profile = options["profile"]
        method = options["auth_method"] or (
            AuthMethod.POST
            if profile == ClientProfile.FRANCECONNECT
            else AuthMethod.BASIC
        )
        jwks = _jwks(options["jwks"])
        if method == AuthMethod.PRIVATE_KEY_JWT and not jwks:
            raise CommandError("private_key_jwt demande --jwks (clés publiques).")
        try:
            backchannel = services.check_backchannel_logout_uri(
                options["backchannel_logout_uri"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        client = Client(
            name=name,
            backchannel_logout_uri=backchannel,
            redirect_uris=_uris(options["redirect_uri"]),
            post_logout_redirect_uris=_uris(options["post_logout_redirect_uri"]),
            allowed_demarches=_demarches(options["demarches"]),
            profile=profile,
            token_endpoint_auth_method=method,
            jwks=jwks,
        )
        keys.ensure_keys()
        secret = services.register_client(client=client)
        result = {
            "client_id": client.client_id,
            "client_secret": secret,
            "name": client.name,
            "redirect_uris": client.redirect_uris,
            "post_logout_redirect_uris": client.post_logout_redirect_uris,
            "demarches": client.demarches(),
            "profile": client.profile,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "backchannel_logout_uri": client.backchannel_logout_uri,
            "discovery": issuer() + reverse("oidc:discovery"),
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for key, value in result.items():
            if isinstance(value, list):
                value = " ".join(value)
            self.stdout.write(f"{key} : {value}")
        self.stdout.write(
            "Copiez ce secret maintenant : il ne sera plus jamais affiché."
        )
