"""The aidants' part of `seed_demo`: the demo structure, a staff member, a
référente, an aidant (and N more for load tests), with fixed passwords and TOTP
seeds so that printed logins stay valid across runs. The other parts
(demo/seed.py) receive a `DemoContext`.
"""

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

import audit
from aidants.models import (
    Aidant,
    Habilitation,
    HabilitationStatus,
    Structure,
    TOTPDevice,
)
from aidants.services.habilitations import (
    activate_habilitation,
    designate_referent,
    request_habilitation,
)

# Demo data only: fixed values so that printed logins stay valid across runs.
DEMO_PASSWORD = "Relais-demo-2026!"  # noqa: S105
DEMO_DEVICE_NAME = "Application (démo)"
DEMO_SIRET = "98765432100015"
DEMO_DOMAIN = "relais.example"


@dataclass
class DemoAccount:
    label: str
    email: str
    first_name: str
    last_name: str
    profession: str = ""
    staff: bool = False
    referent: bool = False

    @property
    def totp_secret(self) -> str:
        """A fixed base32 TOTP secret (160 bits) derived from the e-mail."""
        digest = hashlib.sha256(f"relais-demo:{self.email}".encode()).digest()
        return base64.b32encode(digest[:20]).decode("ascii")


STAFF = DemoAccount("staff", f"admin@{DEMO_DOMAIN}", "Sam", "Admin", staff=True)
REFERENT = DemoAccount(
    "referent",
    f"referente@{DEMO_DOMAIN}",
    "Rachida",
    "Benali",
    "Responsable France Services",
    referent=True,
)
AIDANT = DemoAccount(
    "aidant", f"aidant@{DEMO_DOMAIN}", "Alice", "Durand", "Conseillère numérique"
)


def extra_account(index: int) -> DemoAccount:
    return DemoAccount(
        f"aidant-{index}",
        f"aidant-{index}@{DEMO_DOMAIN}",
        "Aidant",
        f"Démo {index}",
        "Agent France Services",
    )


@dataclass
class DemoContext:
    """What seeders receive. They add their part to `output` ("client": {...},
    "usagers": [...], or new keys) and must be idempotent themselves."""

    structure: Structure
    staff: Aidant
    referent: Aidant
    aidant: Aidant
    extra_aidants: list[Aidant]
    output: dict[str, Any] = field(default_factory=dict)


# A later part of the seed (demo/seed.py): adds its rows and its output.
Seeder = Callable[[DemoContext], None]


def _login(account: DemoAccount) -> dict[str, str]:
    return {
        "email": account.email,
        "password": DEMO_PASSWORD,
        "totp_secret": account.totp_secret,
        "first_name": account.first_name,
        "last_name": account.last_name,
    }


def _ensure_structure() -> Structure:
    structure, _ = Structure.objects.get_or_create(
        siret=DEMO_SIRET,
        defaults={
            "name": "France Services de Montreuil-sur-Mer (démo)",
            "type": "france_services",
            "commune": "Montreuil-sur-Mer",
        },
    )
    if not structure.active:
        structure.active = True
        structure.save(update_fields=["active"])
    return structure


def _ensure_account(account: DemoAccount, structure: Structure | None) -> Aidant:
    # Accounts are created directly (no invitation e-mail for demo data).
    user = Aidant.objects.filter(email=account.email).first()
    if user is None:
        user = Aidant.objects.create_user(
            account.email,
            DEMO_PASSWORD,
            first_name=account.first_name,
            last_name=account.last_name,
            profession=account.profession,
            is_staff=account.staff,
            is_superuser=account.staff,
            current_structure=structure,
        )
    changed = []
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        changed.append("password")
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    if structure is not None and user.current_structure_id is None:
        user.current_structure = structure
        changed.append("current_structure")
    if changed:
        user.save(update_fields=changed)
    _ensure_totp(user, account)
    return user


def _ensure_totp(user: Aidant, account: DemoAccount) -> None:
    key = base64.b32decode(account.totp_secret).hex()
    devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    if any(device.key == key for device in devices):
        return
    # The fixed demo seed is set directly (the enrolment service draws a random
    # one); journaled here like a confirmed enrolment.
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).delete()
        TOTPDevice.objects.create(
            user=user,
            name=DEMO_DEVICE_NAME,
            key=key,
            confirmed=True,
            tolerance=settings.OTP_TOTP_TOLERANCE,
        )
        audit.record(
            audit.Action.OTP_DEVICE_ADDED,
            actor=user,
            structure=user.current_structure,
            details={"device": "totp_app", "aidant": str(user.uuid), "demo": True},
        )


def _ensure_habilitation(
    user: Aidant, structure: Structure, *, referent: bool, staff: Aidant
) -> None:
    """Active habilitation through the services, so that the journal shows it."""
    hab, created = Habilitation.objects.get_or_create(
        aidant=user,
        structure=structure,
        defaults={
            "status": HabilitationStatus.REQUESTED,
            "is_referent": referent,
        },
    )
    if created or hab.status == HabilitationStatus.REVOKED:
        hab = request_habilitation(habilitation=hab, by=staff)
    if not hab.is_active():
        hab = activate_habilitation(habilitation=hab, by=staff)
    if referent and not hab.is_referent:
        designate_referent(habilitation=hab, by=staff)


def seed_aidants(*, extra_aidants: int = 0) -> DemoContext:
    """Create (or find) the demo structure, staff member, référent, aidant and
    `extra_aidants` more aidants; their logins are in the context's output."""
    structure = _ensure_structure()
    staff = _ensure_account(STAFF, None)
    members = {}
    extra_accounts = [extra_account(i) for i in range(1, extra_aidants + 1)]
    for account in [REFERENT, AIDANT, *extra_accounts]:
        user = _ensure_account(account, structure)
        _ensure_habilitation(user, structure, referent=account.referent, staff=staff)
        members[account.label] = user
    context = DemoContext(
        structure=structure,
        staff=staff,
        referent=members["referent"],
        aidant=members["aidant"],
        extra_aidants=[members[account.label] for account in extra_accounts],
        output={
            "url": settings.SITE_URL,
            "structure": {"name": structure.name, "siret": structure.siret},
            "staff": _login(STAFF),
            "referent": _login(REFERENT),
            "aidant": _login(AIDANT),
            "aidants": [_login(account) for account in extra_accounts],
            "client": None,
            "usagers": [],
        },
    )
    return context
