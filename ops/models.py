from django.db import models


class ReadinessProbe(models.Model):
    """The scratch row `/readyz` writes to prove the database accepts writes."""

    checked_at = models.DateTimeField(null=True)
    checked_by = models.CharField(max_length=128, blank=True)

    def __str__(self) -> str:
        return f"readiness probe {self.checked_at}"
