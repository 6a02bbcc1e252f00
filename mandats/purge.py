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
from mandats.models import Mandat, StructureUsager, Usager

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


BATCH = 200
_BLANK = {
    "given_name": "",
    "family_name": "",
    "preferred_username": "",
    "birthdate": PURGED_BIRTHDATE,
    "birthplace": "",
    "birthcountry": "",
    "email": "",
}


def purge_batch(pks: list[int], *, days: int, now: datetime) -> list[str]:
    """Blank the identity (names, birth data, e-mail, FranceConnect sub) of the
    usagers among `pks` still purgeable, set purged_at, empty the identity their
    mandates signed, and journal DATA_PURGED (by the system) for each, in one
    transaction: a few statements per batch, whatever its size. Returns the
    purged usagers' UUIDs."""
    with transaction.atomic():
        # Re-checked under a lock: still purgeable now.
        targets = list(
            purgeable(days=days, now=now)
            .select_for_update()
            .filter(pk__in=pks)
            .order_by("pk")
            .values_list("pk", "uuid")
        )
        if not targets:
            return []
        for pk, uuid in targets:
            # Unique with the issuer: a per-usager placeholder. If the person
            # comes back through FranceConnect, a new usager is created.
            Usager.objects.filter(pk=pk).update(
                **_BLANK, fc_sub=f"purged:{uuid}", purged_at=now
            )
        # The directories' copies of the names too (mandats.models.directory).
        StructureUsager.objects.forget(pk for pk, _ in targets)
        # The identity each mandate signed is personal data too.
        Mandat.objects.filter(usager_id__in=[pk for pk, _ in targets]).update(
            usager_identity={}
        )
        for _, uuid in targets:
            audit.record(
                audit.Action.DATA_PURGED,
                actor=None,
                usager=str(uuid),
                details={"retention_days": days},
            )
    return [str(uuid) for _, uuid in targets]


def purge_usager(usager: Usager, *, days: int, now: datetime | None = None) -> bool:
    """Purge one usager (see `purge_batch`); False when no longer purgeable."""
    return bool(purge_batch([usager.pk], days=days, now=now or timezone.now()))


@dataclass
class PurgeReport:
    purged: list[str] = field(default_factory=list)


def purge_expired(
    *, days: int | None = None, now: datetime | None = None
) -> PurgeReport:
    """Purge every purgeable usager, BATCH per transaction (set-based: the
    candidates come from one NOT EXISTS query)."""
    days = retention_days() if days is None else days
    now = now or timezone.now()
    report = PurgeReport()
    candidates = (
        purgeable(days=days, now=now).order_by("pk").values_list("pk", flat=True)
    )
    batch: list[int] = []
    for pk in candidates.iterator(chunk_size=BATCH):
        batch.append(pk)
        if len(batch) >= BATCH:
            report.purged += purge_batch(batch, days=days, now=now)
            batch = []
    if batch:
        report.purged += purge_batch(batch, days=days, now=now)
    return report
