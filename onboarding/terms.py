"""Terms of use: a versioned text (templates/onboarding/terms/<version>.html),
accepted at the first login and again at each new version.

The version in force is settings.TERMS_VERSION; publishing a new text means
adding its template and changing that setting: everybody accepts again."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from aidants.models import Aidant
from onboarding.models import TermsAcceptance

SESSION_KEY = "relais_terms_version"


def current_version() -> str:
    return settings.TERMS_VERSION


def template_name(version: str | None = None) -> str:
    return f"onboarding/terms/{version or current_version()}.html"


def has_accepted(aidant: Aidant, version: str | None = None) -> bool:
    return TermsAcceptance.objects.filter(
        aidant=aidant, version=version or current_version()
    ).exists()


def accept_terms(*, aidant: Aidant, version: str) -> TermsAcceptance:
    """Record that `aidant` accepted `version` now (idempotent). Journals
    TERMS_ACCEPTED. Raises ValueError when `version` is not the one in force
    (a stale page posted after a new version was published)."""
    if version != current_version():
        raise ValueError("not the current version of the terms of use")
    existing = TermsAcceptance.objects.filter(aidant=aidant, version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            acceptance = TermsAcceptance.objects.create(
                aidant=aidant, version=version, accepted_at=timezone.now()
            )
            audit.record(
                audit.Action.TERMS_ACCEPTED,
                actor=aidant,
                structure=aidant.current_structure,
                details={"version": version},
            )
    except IntegrityError:  # two tabs accepting at once
        return TermsAcceptance.objects.get(aidant=aidant, version=version)
    return acceptance
