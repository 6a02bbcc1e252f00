"""`seed_demo` part of the mandates: the sandbox's demo identities as usagers of
the demo structure, with live, expiring, expired and revoked mandates.

Created through the services (identified, signed, journaled like real ones).
Idempotent: each demo mandate has a fixed creation key, so a second run finds
it and changes nothing. Expired and expiring mandates are backdated once, at
creation, and signed again over their backdated content.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from demo.aidants import DemoContext
from demo.sandbox import demo_identity
from mandats.models import Mandat, RevokedBy, Usager
from mandats.services import create_mandat, identify_usager, revoke_mandat
from mandats.signing import sign_mandat


@dataclass(frozen=True)
class DemoMandat:
    sub: str
    label: str
    demarches: tuple[str, ...]
    duration_days: int
    # Days the mandate is moved into the past (expiring, expired ones).
    backdate_days: int = 0
    revoked: bool = False


DEMO_MANDATS = [
    DemoMandat("demo-angela-dubois", "live", ("social", "papiers", "famille"), 365),
    DemoMandat("demo-jean-pierre-martin", "expiring", ("social", "logement"), 31, 26),
    DemoMandat("demo-marie-lefebvre", "live", ("social",), 182),
    DemoMandat("demo-marie-lefebvre", "expired", ("argent",), 31, 60),
    DemoMandat("demo-fatou-diallo", "live", ("social", "travail"), 365),
    DemoMandat("demo-fatou-diallo", "revoked", ("etranger",), 365, revoked=True),
]


def _usager(sub: str, context: DemoContext) -> Usager:
    issuer = settings.FC_ISSUER.rstrip("/")
    usager = Usager.objects.filter(
        fc_issuer=issuer, fc_sub=sub, purged_at__isnull=True
    ).first()
    if usager is None:
        usager = identify_usager(
            identity=demo_identity(sub), issuer=issuer, actor=context.aidant
        )
    return usager


def _backdate(mandat: Mandat, days: int) -> None:
    with transaction.atomic():
        mandat.created_at -= timedelta(days=days)
        mandat.expires_at = mandat.created_at + timedelta(days=mandat.duration_days)
        at = mandat.created_at.isoformat()
        mandat.consent.update(confirmed_by_usager_at=at, confirmed_by_aidant_at=at)
        mandat.signature, mandat.signing_kid = sign_mandat(mandat)
        mandat.save(
            update_fields=[
                "created_at",
                "expires_at",
                "consent",
                "signature",
                "signing_kid",
            ]
        )


def _ensure(spec: DemoMandat, usager: Usager, context: DemoContext) -> Mandat:
    key = f"demo:{spec.sub}:{spec.label}"
    existing = Mandat.objects.filter(creation_key=key).first()
    if existing is not None:
        return existing
    now = timezone.now().isoformat()
    mandat = create_mandat(
        aidant=context.aidant,
        structure=context.structure,
        usager=usager,
        demarches=list(spec.demarches),
        duration_days=spec.duration_days,
        consent={
            "demo": True,
            "confirmed_by_usager_at": now,
            "confirmed_by_aidant_at": now,
        },
        creation_key=key,
    )
    if spec.backdate_days:
        _backdate(mandat, spec.backdate_days)
    if spec.revoked:
        revoke_mandat(
            mandat=mandat,
            by_type=RevokedBy.AIDANT,
            by_id=str(context.aidant.uuid),
            actor=context.aidant,
            reason="À la demande de la personne",
        )
    mandat.refresh_from_db()
    return mandat


def _describe(mandat: Mandat) -> dict:
    return {
        "id": str(mandat.uuid),
        "demarches": mandat.demarches(),
        "expires_at": mandat.expires_at.isoformat(),
        "status": mandat.status(),
        "public_id": mandat.public_id,
    }


def seed_demo_usagers(context: DemoContext) -> None:
    """Usagers of the demo structure, listed under "usagers": "mandats" holds
    the live ones (expiring included), "other_mandats" the expired and revoked."""
    entries: dict[str, dict] = {}
    for spec in DEMO_MANDATS:
        usager = _usager(spec.sub, context)
        mandat = _ensure(spec, usager, context)
        entry = entries.setdefault(
            spec.sub,
            {
                "given_name": usager.given_name,
                "family_name": usager.family_name,
                "fc_sub": spec.sub,
                "mandats": [],
                "other_mandats": [],
            },
        )
        key = "mandats" if mandat.is_live() else "other_mandats"
        entry[key].append(_describe(mandat))
    context.output.setdefault("usagers", []).extend(entries.values())
