"""Purge of usagers' personal data once their last mandate ended long ago.

The journal names usagers by uuid only, so blanking the identity never touches
it: `verify_journal` still passes after a purge. Retention is
settings.USAGER_RETENTION_DAYS (default 5 years, like the journal's retention).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

import audit
from mandats.models import Mandat, Usager

DEFAULT_RETENTION_DAYS = 5 * 365
# Placeholder for the NOT NULL birthdate once purged (never shown: purged
# usagers are hidden everywhere).
PURGED_BIRTHDATE = date(1900, 1, 1)


def retention_days() -> int:
    return int(getattr(settings, "USAGER_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def purgeable(*, days: int, now: datetime | None = None):
    """Usagers (not yet purged) whose every mandate ended, by expiry or
    revocation, more than `days` ago; usagers identified but never given a
    mandate count from their creation."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    # A mandate ended after the cutoff when both its expiry and its revocation
    # (if any) are after it; live mandates are among them.
    recent = Mandat.objects.filter(expires_at__gt=cutoff).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=cutoff)
    )
    # NOT EXISTS, not NOT IN: PostgreSQL plans it as an anti-join that probes
    # the (usager, created_at) index per usager; `exclude(pk__in=…)` compiles to
    # NOT IN, which hashes every mandate for each check.
    return Usager.objects.filter(
        ~Exists(recent.filter(usager=OuterRef("pk"))),
        purged_at__isnull=True,
        created_at__lt=cutoff,
    )


def purge_usager(usager: Usager, *, days: int, now: datetime | None = None) -> bool:
    """Blank one usager's identity (names, birth data, e-mail, FranceConnect sub)
    and set purged_at; journals DATA_PURGED (by the system). Re-checks under a
    lock that the usager is still purgeable; False when not."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = purgeable(days=days, now=now).select_for_update().filter(pk=usager.pk)
        target = locked.first()
        if target is None:
            return False
        target.given_name = ""
        target.family_name = ""
        target.preferred_username = ""
        target.birthdate = PURGED_BIRTHDATE
        target.birthplace = ""
        target.birthcountry = ""
        target.email = ""
        # Unique with the issuer: a per-usager placeholder. If the person comes
        # back through FranceConnect, a new usager is created.
        target.fc_sub = f"purged:{target.uuid}"
        target.purged_at = now
        target.save()
        # The identity each mandate signed is personal data too.
        Mandat.objects.filter(usager=target).update(usager_identity={})
        audit.record(
            audit.Action.DATA_PURGED,
            actor=None,
            usager=target,
            details={"retention_days": days},
        )
    return True


@dataclass
class PurgeReport:
    purged: list[str] = field(default_factory=list)


def purge_expired(
    *, days: int | None = None, now: datetime | None = None
) -> PurgeReport:
    """Purge every purgeable usager, one transaction each."""
    days = retention_days() if days is None else days
    report = PurgeReport()
    for usager in purgeable(days=days, now=now).order_by("pk").iterator():
        if purge_usager(usager, days=days, now=now):
            report.purged.append(str(usager.uuid))
    return report
