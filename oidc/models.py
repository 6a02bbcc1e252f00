"""Online services (OIDC clients), authorization codes and access tokens.

Only SHA-256 hashes of client secrets, codes and tokens are stored: they are
256-bit random values, so a fast hash is enough (never PBKDF2 in the request
path) and a database leak gives nothing usable.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.demarches import Demarche
from aidants.models import Aidant
from mandats.models import Autorisation, Usager

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
IDENTITY_CLAIMS = (
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
)
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
        return [code for code in Demarche.values if code in allowed]

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


class AuthorizationCode(models.Model):
    """A single-use, 60-second authorization code, bound to one client, one
    aidant's session and one autorisation. Only its hash is kept."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    aidant = models.ForeignKey(Aidant, on_delete=models.CASCADE, related_name="+")
    usager = models.ForeignKey(Usager, on_delete=models.CASCADE, related_name="+")
    autorisation = models.ForeignKey(
        Autorisation, on_delete=models.CASCADE, related_name="+"
    )
    demarche = models.CharField(max_length=32, choices=Demarche.choices)
    redirect_uri = models.TextField()
    scope = models.TextField()
    nonce = models.CharField(max_length=512)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=8, default="S256")
    auth_time = models.DateTimeField()
    acr = models.CharField(max_length=32, default="eidas1")
    # RFC 8176 methods of the authentication at auth_time (a step-up: "otp").
    amr = models.JSONField(default=list, blank=True)
    claims = models.JSONField(default=dict, blank=True)
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("code d'autorisation")
        indexes = [models.Index(fields=["client", "nonce"])]

    def __str__(self) -> str:
        return f"Code {self.uuid}"

    def is_expired(self, at: datetime | None = None) -> bool:
        return (at or timezone.now()) >= self.expires_at

    # authlib AuthorizationCodeMixin ----------------------------------------
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr or ["pwd", "otp", "mfa"])


class TokenQuerySet(models.QuerySet):
    def unrevoked(self) -> "TokenQuerySet":
        return self.filter(revoked_at__isnull=True)

    def usable(self, at: datetime | None = None) -> "TokenQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=at or timezone.now())


class Token(models.Model):
    """A 10-minute bearer access token. Only its hash is kept; it dies with the
    autorisation it was issued from (userinfo re-checks the decision)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    access_token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    aidant = models.ForeignKey(Aidant, on_delete=models.CASCADE, related_name="+")
    usager = models.ForeignKey(Usager, on_delete=models.CASCADE, related_name="+")
    autorisation = models.ForeignKey(
        Autorisation, on_delete=models.CASCADE, related_name="+"
    )
    code = models.ForeignKey(
        AuthorizationCode,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tokens",
    )
    scope = models.TextField()
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d'accès")
        verbose_name_plural = _("jetons d'accès")
        indexes = [
            models.Index(
                fields=["aidant"],
                condition=Q(revoked_at__isnull=True),
                name="oidc_token_unrevoked_aidant",
            )
        ]

    def __str__(self) -> str:
        return f"Jeton {self.uuid}"

    def is_usable(self, at: datetime | None = None) -> bool:
        return self.revoked_at is None and (at or timezone.now()) < self.expires_at

    # authlib TokenMixin (revocation endpoint) ------------------------------
    def check_client(self, client: Client) -> bool:
        return self.client_id == client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ClientAssertion(models.Model):
    """A `jti` already used in a private_key_jwt assertion (RFC 7523 §3: an
    assertion is single-use); kept until the assertion expires."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("assertion de client utilisée")
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="oidc_jti_once")
        ]

    def __str__(self) -> str:
        return self.jti


class ServiceSessionQuerySet(models.QuerySet):
    def open(self) -> "ServiceSessionQuerySet":
        return self.filter(ended_at__isnull=True)


class ServiceSession(models.Model):
    """A session an online service opened through Relais: one per exchanged
    code, whose uuid is the id_token's `sid`. Ended once, which queues its
    back-channel logout token (OIDC Back-Channel Logout 1.0)."""

    sid = models.UUIDField(unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    aidant = models.ForeignKey(Aidant, on_delete=models.CASCADE, related_name="+")
    usager = models.ForeignKey(Usager, on_delete=models.CASCADE, related_name="+")
    autorisation = models.ForeignKey(
        Autorisation, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    objects = ServiceSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session ouverte dans un service")
        verbose_name_plural = _("sessions ouvertes dans les services")
        indexes = [
            models.Index(
                fields=["aidant"],
                condition=Q(ended_at__isnull=True),
                name="oidc_servicesession_open",
            )
        ]

    def __str__(self) -> str:
        return f"Session {self.sid}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    DELIVERED = "delivered", _("remis")
    ABANDONED = "abandoned", _("abandonné")


class LogoutDelivery(models.Model):
    """A back-channel logout token to POST to a service, with its retries. The
    token is signed when it is sent (fresh `iat`), from the session's data.

    Workers claim rows with a lease (`claim`, `claimed_until`): PostgreSQL picks
    them with SELECT ... FOR UPDATE SKIP LOCKED, SQLite with one atomic UPDATE.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.OneToOneField(
        ServiceSession, on_delete=models.CASCADE, related_name="logout"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=64, unique=True, default=new_secret)
    reason = models.CharField(max_length=32)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("déconnexion à transmettre")
        verbose_name_plural = _("déconnexions à transmettre")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="oidc_logout_pending",
            )
        ]

    def __str__(self) -> str:
        return f"Déconnexion {self.uuid}"
