"""The consent evidence kept (and signed) with a mandate, assembled and checked
in one place: the usager's FranceConnect identification in the same session,
then both people's confirmation, in person."""

import hashlib
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from mandats.exceptions import InvalidMandat


def sub_digest(sub: str) -> str:
    return hashlib.sha256(sub.encode("utf-8")).hexdigest()


def identification_evidence(identity: dict[str, Any]) -> dict[str, Any]:
    """What the grant keeps of a FranceConnect identification (never the raw
    `sub`): its time, its level, the digest of `sub`, the issuer."""
    return {
        "fc_auth_time": identity["auth_time"],
        "acr": identity["acr"],
        "fc_sub_digest": sub_digest(identity["sub"]),
        "fc_issuer": identity["issuer"],
    }


def consent_evidence(
    *, identification: dict[str, Any], confirmed_at: datetime
) -> dict[str, Any]:
    """The consent of a grant: the identification's evidence, confirmed by the
    usager and by the aidant at `confirmed_at` (the same screen, in person)."""
    at = confirmed_at.isoformat()
    return {
        **identification,
        "confirmed_by_usager_at": at,
        "confirmed_by_aidant_at": at,
    }


def check_consent(consent: dict[str, Any]) -> None:
    """Raises InvalidMandat unless both people confirmed."""
    if not (
        consent.get("confirmed_by_usager_at") and consent.get("confirmed_by_aidant_at")
    ):
        raise InvalidMandat(
            _("La personne et l'aidant doivent tous deux confirmer le mandat.")
        )
