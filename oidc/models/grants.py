"""Authorization codes, access tokens and the client assertions already seen
(stored as SHA-256 hashes).
"""

import hmac
import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.demarches import Demarche
from aidants.models import Aidant
from mandats.models import Autorisation, Usager
from oidc.models.clients import Client, sha256_hex

# Codes and tokens we ever issue are 43 characters; anything much longer is noise.
MAX_RAW_LENGTH = 256


class ByRawQuerySet(models.QuerySet):
    """Lookup by the raw secret a client presents: only its SHA-256 is stored."""

    hash_field = ""

    def by_raw(self, raw: object):
        """The row whose stored hash is this raw value's, or None (also for a
        value that is not a string, empty or too long)."""
        digest = raw_digest(raw)
        if digest is None:
            return None
        rows = self.filter(**{self.hash_field: digest})[:1]
        return first_matching(rows, self.hash_field, digest)


def first_matching(rows, hash_field: str, digest: str):
    """The first of `rows` (looked up by `digest`) if its stored hash is
    `digest`, compared in constant time; else None."""
    for item in rows:
        if hmac.compare_digest(getattr(item, hash_field), digest):
            return item
        return None
    return None


def raw_digest(raw: object) -> str | None:
    """SHA-256 (hex) of a presented code or token, None for a value that cannot
    be one (not a string, empty or too long)."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_RAW_LENGTH:
        return None
    return sha256_hex(raw)


class AuthorizationCodeQuerySet(ByRawQuerySet):
    hash_field = "code_hash"


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

    objects = AuthorizationCodeQuerySet.as_manager()

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


class TokenQuerySet(ByRawQuerySet):
    hash_field = "access_token_hash"

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
