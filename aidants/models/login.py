"""The per-account login delay."""

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginDelay(models.Model):
    """Failed passwords for one login name, from every address: the per-account
    growing delay (aidants/services/login_delay.py). Keyed by a keyed hash of
    the e-mail, so unknown e-mails are delayed alike and no address is stored."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("délai de connexion")
        verbose_name_plural = _("délais de connexion")

    def __str__(self) -> str:
        return f"{self.key[:12]}… ({self.failures})"

    def wait_until(self, free: int, max_seconds: int) -> datetime | None:
        """When the next password may be checked, or None when at once."""
        extra = self.failures - free
        if extra <= 0 or self.last_failure_at is None:
            return None
        seconds = min(2 ** min(extra - 1, 30), max_seconds)
        return self.last_failure_at + timedelta(seconds=seconds)
