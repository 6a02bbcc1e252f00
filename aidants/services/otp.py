"""OTP devices: backup codes (hashed), TOTP apps and physical cards."""

import hashlib

from django.db import transaction

from aidants.models import BackupCode, BackupCodeDevice


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().replace(" ", "").encode("utf-8")).hexdigest()


def consume_backup_code(device: BackupCodeDevice, code: str) -> bool:
    """Delete the matching backup code of `device`; True when one matched.

    The lookup is on the SHA-256 of a random code, so no timing leak of the code.
    """
    with transaction.atomic():
        deleted, _ = BackupCode.objects.filter(
            device=device, code_hash=hash_code(code)
        ).delete()
    return deleted > 0
