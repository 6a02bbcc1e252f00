"""The service sessions opened by the OIDC bridge and their back-channel logout
deliveries.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.models import Aidant
from mandats.models import Autorisation, Usager
from oidc.models.clients import Client, new_secret


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
