"""The aidants app's models, by topic; every name stays importable from
`aidants.models` (migrations and the rest of the tree rely on it)."""

from aidants.models.devices import (
    BackupCode,
    BackupCodeDevice,
    CardUnlinkReason,
    CarteTOTP,
    DeviceKind,
    EnrolmentLink,
    TOTPDevice,
    device_kind,
    new_sealed_totp_key,
)
from aidants.models.login import LoginDelay
from aidants.models.people import (
    Aidant,
    AidantManager,
    Habilitation,
    HabilitationQuerySet,
    HabilitationStatus,
    Invitation,
)
from aidants.models.structures import Structure, StructureType

__all__ = [
    "Aidant",
    "AidantManager",
    "BackupCode",
    "BackupCodeDevice",
    "CardUnlinkReason",
    "CarteTOTP",
    "DeviceKind",
    "EnrolmentLink",
    "Habilitation",
    "HabilitationQuerySet",
    "HabilitationStatus",
    "Invitation",
    "LoginDelay",
    "Structure",
    "StructureType",
    "TOTPDevice",
    "device_kind",
    "new_sealed_totp_key",
]
