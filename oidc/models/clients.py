"""Online services (OIDC clients), the scopes and claims they may ask for.

Only SHA-256 hashes of client secrets, codes and tokens are stored: they are
256-bit random values, so a fast hash is enough (never PBKDF2 in the request
path) and a database leak gives nothing usable.
"""

import hashlib
import hmac
import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from aidants.demarches import CODES
from mandats.models import IDENTITY_FIELDS

# Scopes and the claims they release (FranceConnect also accepts one scope per
# claim, e.g. "given_name"; both spellings are honoured).
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "preferred_username",
    ),
    "birth": ("birthdate", "birthplace", "birthcountry"),
    "email": ("email",),
    "identite_pivot": (
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "birthcountry",
    ),
}
# The usager's identity, claim by claim: the fields the usager record holds.
IDENTITY_CLAIMS = IDENTITY_FIELDS
SUPPORTED_SCOPES = ("openid", *SCOPE_CLAIMS, *IDENTITY_CLAIMS)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_client_id() -> str:
    return secrets.token_hex(16)


def new_secret() -> str:
    """A 256-bit random value (client secrets, codes, access tokens)."""
    return secrets.token_urlsafe(32)


def new_salt() -> str:
    return secrets.token_hex(32)


class SigningAlg(models.TextChoices):
    ES256 = "ES256", "ES256 (ECDSA P-256)"
    RS256 = "RS256", "RS256 (RSA)"


class AuthMethod(models.TextChoices):
    BASIC = "client_secret_basic", "client_secret_basic"
    POST = "client_secret_post", "client_secret_post"
    PRIVATE_KEY_JWT = "private_key_jwt", "private_key_jwt"


class ClientProfile(models.TextChoices):
    STANDARD = "standard", _("standard (PKCE S256 obligatoire)")
    # FranceConnect's core calls identity providers without PKCE, with
    # client_secret_post (DESIGN.md "Behind FranceConnect").
    FRANCECONNECT = "franceconnect", _("FranceConnect (fournisseur d'identité)")


class ClientQuerySet(models.QuerySet):
    def active(self) -> "ClientQuerySet":
        return self.filter(active=True)

    def names(self, client_ids: set[str]) -> dict[str, str]:
        """{client_id: name} of these online services, in one query."""
        if not client_ids:
            return {}
        return dict(
            self.filter(client_id__in=client_ids).values_list("client_id", "name")
        )


class Client(models.Model):
    """An online service that logs usagers in through Relais."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nom du service"), max_length=200)
    client_id = models.CharField(
        _("client_id"), max_length=64, unique=True, default=new_client_id
    )
    client_secret_hash = models.CharField(
        _("empreinte du secret"), max_length=64, editable=False
    )
    redirect_uris = models.JSONField(
        _("URI de redirection"),
        default=list,
        help_text=_("Comparées à l'identique, une par ligne."),
    )
    post_logout_redirect_uris = models.JSONField(
        _("URI de retour après déconnexion"), default=list, blank=True
    )
    allowed_demarches = models.JSONField(
        _("démarches servies"),
        default=list,
        help_text=_("Codes des démarches que ce service traite (rep_scope)."),
    )
    id_token_signed_response_alg = models.CharField(
        _("algorithme de signature de l'id_token"),
        max_length=8,
        choices=SigningAlg.choices,
        default=SigningAlg.ES256,
    )
    token_endpoint_auth_method = models.CharField(
        _("authentification au point de jeton"),
        max_length=32,
        choices=AuthMethod.choices,
        default=AuthMethod.BASIC,
    )
    # OIDC Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed.
    backchannel_logout_uri = models.URLField(
        _("URI de déconnexion par canal arrière"),
        max_length=500,
        blank=True,
        help_text=_(
            "Relais y envoie un jeton de déconnexion signé dès qu'un mandat ou une "
            "démarche prend fin, ou que l'aidant se déconnecte ou est suspendu."
        ),
    )
    profile = models.CharField(
        _("profil"),
        max_length=16,
        choices=ClientProfile.choices,
        default=ClientProfile.STANDARD,
        help_text=_(
            "« FranceConnect » : paramètres de FranceConnect vérifiés strictement, "
            "sans PKCE. Réservé au client FranceConnect lui-même."
        ),
    )
    # Public keys (JWKS) of a client that authenticates with private_key_jwt.
    jwks = models.JSONField(_("clés publiques (JWKS)"), default=dict, blank=True)
    active = models.BooleanField(_("actif"), default=True)
    # Key of the pairwise subject identifiers (OIDC Core §8.1): services cannot
    # correlate the people they see.
    pairwise_salt = models.CharField(max_length=64, default=new_salt, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("service en ligne")
        verbose_name_plural = _("services en ligne")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def journal_id(self) -> str:
        return self.client_id

    @property
    def is_franceconnect(self) -> bool:
        """Registered with the `franceconnect` profile (PKCE exempt, strict
        FranceConnect parameter set): a property of the client, never of a
        request."""
        return self.profile == ClientProfile.FRANCECONNECT

    def set_secret(self, secret: str) -> None:
        self.client_secret_hash = sha256_hex(secret)

    def demarches(self) -> list[str]:
        """The démarche codes this service serves, in catalogue order."""
        allowed = set(self.allowed_demarches or [])
        return [code for code in CODES if code in allowed]

    # authlib ClientMixin ------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # OIDC: redirect_uri is required in every authorization request.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """Unknown scope values are ignored (OIDC Core §3.1.2.1)."""
        requested = (scope or "").split()
        kept = [value for value in requested if value in SUPPORTED_SCOPES]
        return " ".join(dict.fromkeys(kept))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.client_secret_hash or not isinstance(client_secret, str):
            return False
        return hmac.compare_digest(sha256_hex(client_secret), self.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}
