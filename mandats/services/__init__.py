"""Every write on usagers, mandates and autorisations: atomic and journaled."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import access as aidants_access
from aidants.demarches import Demarche
from aidants.emails import send_email_on_commit
from aidants.models import Aidant, Structure
from mandats import access
from mandats.attestation import verification_url
from mandats.exceptions import InvalidMandat, NotAllowed
from mandats.models import (
    IDENTITY_FIELDS,
    Autorisation,
    Duration,
    Mandat,
    RevokedBy,
    Usager,
)
from mandats.services.consent import (
    check_consent,
    consent_evidence,
    identification_evidence,
    sub_digest,
)
from mandats.services.revocation import (
    REASON_REPLACED,
    _set_revoked,
    revoke_autorisation,
    revoke_mandat,
)
from mandats.services.use import authorize_use
from mandats.signing import identity_snapshot, sign_mandat

__all__ = [
    "REASON_REPLACED",
    "authorize_use",
    "consent_evidence",
    "create_mandat",
    "identification_evidence",
    "identify_usager",
    "renew_mandat",
    "replaced_demarches",
    "revoke_autorisation",
    "revoke_mandat",
    "sub_digest",
]


def identify_usager(
    *, identity: dict[str, Any], issuer: str, actor: Any = None, request: Any = None
) -> Usager:
    """Create or update the usager FranceConnect just identified (by issuer + sub).

    `identity` is `mandats.franceconnect.Identity`-shaped (birthdate a date).
    Journals USAGER_IDENTIFIED (actor: the aidant in the wizard, else the usager).
    """
    values = {name: identity.get(name) or "" for name in IDENTITY_FIELDS}
    if not isinstance(values["birthdate"], date):
        values["birthdate"] = date.fromisoformat(str(values["birthdate"]))
    with transaction.atomic():
        usager, created = Usager.objects.select_for_update().get_or_create(
            fc_issuer=issuer, fc_sub=identity["sub"], defaults=values
        )
        changed = [k for k, v in values.items() if getattr(usager, k) != v]
        if changed and not created:
            for name in changed:
                setattr(usager, name, values[name])
            usager.purged_at = None
            usager.save()
        audit.record(
            audit.Action.USAGER_IDENTIFIED,
            actor=actor if actor is not None else usager,
            structure=getattr(actor, "current_structure", None),
            usager=usager,
            request=request,
            details={
                "created": created,
                "updated": sorted(changed) if not created else [],
            },
        )
    return usager


def _validate_grant(
    *,
    aidant: Aidant,
    structure: Structure,
    usager: Usager,
    demarches,
    duration_days,
    consent: dict[str, Any],
) -> list[str]:
    if not aidants_access.has_active_habilitation(aidant, structure):
        raise NotAllowed(access.MESSAGES[access.NO_ACTIVE_HABILITATION])
    if duration_days not in Duration.values:
        raise InvalidMandat(_("Cette durée de mandat n'est pas proposée."))
    codes = sorted(set(demarches or []))
    if not codes:
        raise InvalidMandat(_("Choisissez au moins une démarche."))
    if not set(codes) <= set(structure.demarches()):
        raise InvalidMandat(
            _("Une des démarches choisies n'est pas autorisée pour votre structure.")
        )
    if usager.purged_at is not None:
        raise InvalidMandat(_("Les données de cette personne ont été purgées."))
    check_consent(consent)
    return codes


def _replace_older(
    *, mandat: Mandat, codes: list[str], aidant: Aidant, request
) -> None:
    """Revoke the (usager, structure, démarche) autorisations the new mandate
    replaces, live or expired: the partial unique constraint needs the slot."""
    older = Autorisation.objects.select_for_update().filter(
        usager=mandat.usager,
        structure=mandat.structure,
        demarche__in=codes,
        revoked_at__isnull=True,
    )
    now = timezone.now()
    for autorisation in older.select_related("mandat"):
        _set_revoked(
            autorisation,
            at=now,
            by_type=RevokedBy.AIDANT,
            by_id=str(aidant.uuid),
            reason=REASON_REPLACED,
        )
        audit.record(
            audit.Action.AUTORISATION_REVOKED,
            actor=aidant,
            structure=mandat.structure,
            usager=mandat.usager,
            mandat=autorisation.mandat,
            demarche=autorisation.demarche,
            request=request,
            details={"reason": REASON_REPLACED, "replaced_by": str(mandat.uuid)},
        )


def replaced_demarches(*, usager: Usager, structure: Structure, demarches) -> list[str]:
    """The chosen démarches this usager already granted to the structure (live):
    the wizard warns that confirming replaces them."""
    return sorted(
        set(
            Autorisation.objects.live()
            .filter(usager=usager, structure=structure, demarche__in=list(demarches))
            .values_list("demarche", flat=True)
        )
    )


def _mail_usager_mandat_created(mandat: Mandat, codes: list[str]) -> None:
    """Tell the usager, at their FranceConnect e-mail, after the commit."""
    if not mandat.usager.email:
        return

    path = reverse("mandats:usager-attestation", kwargs={"uuid": mandat.uuid})
    send_email_on_commit(
        "mandat_created",
        to=[mandat.usager.email],
        subject=_("Relais : votre mandat à %(structure)s")
        % {"structure": mandat.structure.name},
        context={
            "mandat": mandat,
            "usager": mandat.usager,
            "demarches": [Demarche(code).label for code in codes],
            "attestation_url": f"{settings.SITE_URL}{path}",
            "verification_url": verification_url(mandat),
        },
    )


def create_mandat(
    *,
    aidant: Aidant,
    structure: Structure,
    usager: Usager,
    demarches: list[str],
    duration_days: int,
    consent: dict[str, Any],
    creation_key: str | None = None,
    renewed_from: Mandat | None = None,
    usager_identity: dict[str, str] | None = None,
    request: Any = None,
) -> Mandat:
    """Grant a signed mandate: revoke the older autorisations it replaces
    (AUTORISATION_REVOKED each, reason "remplacée"), create the mandate and one
    autorisation per démarche, sign, journal MANDAT_CREATED (MANDAT_RENEWED when
    `renewed_from`), all in one transaction.

    `creation_key` makes it idempotent: a second call with the same key returns
    the first mandate. `usager_identity` is the snapshot this grant's
    identification saw (default: the usager's current identity); it is kept with
    the mandate and signed. Raises NotAllowed or InvalidMandat, changing nothing.
    """
    codes = _validate_grant(
        aidant=aidant,
        structure=structure,
        usager=usager,
        demarches=demarches,
        duration_days=duration_days,
        consent=consent,
    )
    snapshot = dict(usager_identity or identity_snapshot(usager))
    if (snapshot.get("fc_issuer"), snapshot.get("fc_sub")) != (
        usager.fc_issuer,
        usager.fc_sub,
    ):
        raise InvalidMandat(_("L'identité confirmée n'est pas celle de la personne."))
    if creation_key:
        existing = Mandat.objects.filter(creation_key=creation_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            if renewed_from is not None:
                # Lock: a revocation racing with the renewal must win or wait.
                renewed_from = Mandat.objects.select_for_update().get(
                    pk=renewed_from.pk
                )
                renewal = access.can_renew(mandat=renewed_from)
                if not renewal.allowed:
                    raise InvalidMandat(renewal.message)
            now = timezone.now()
            mandat = Mandat.objects.create(
                usager=usager,
                structure=structure,
                created_by=aidant,
                created_at=now,
                expires_at=now + timedelta(days=duration_days),
                duration_days=duration_days,
                consent=dict(consent),
                usager_identity=snapshot,
                creation_key=creation_key or None,
                renewed_from=renewed_from,
            )
            _replace_older(mandat=mandat, codes=codes, aidant=aidant, request=request)
            Autorisation.objects.bulk_create(
                Autorisation(
                    mandat=mandat, usager=usager, structure=structure, demarche=code
                )
                for code in codes
            )
            mandat.signature, mandat.signing_kid = sign_mandat(mandat, codes)
            mandat.save(update_fields=["signature", "signing_kid"])
            details = {"demarches": codes, "duration_days": duration_days}
            if renewed_from is not None:
                details["renewed_from"] = str(renewed_from.uuid)
            audit.record(
                audit.Action.MANDAT_RENEWED
                if renewed_from
                else audit.Action.MANDAT_CREATED,
                actor=aidant,
                structure=structure,
                usager=usager,
                mandat=mandat,
                request=request,
                details={**details, "kid": mandat.signing_kid},
            )
            _mail_usager_mandat_created(mandat, codes)
    except IntegrityError:
        # A concurrent submit with the same key won the race (PostgreSQL waits on
        # the unique index, then fails here): return its mandate.
        if creation_key:
            existing = Mandat.objects.filter(creation_key=creation_key).first()
            if existing is not None:
                return existing
        # Another grant for the same usager and démarche committed meanwhile.
        raise InvalidMandat(
            _("Un autre mandat vient d'être créé pour cette personne. Recommencez.")
        ) from None
    return mandat


def renew_mandat(
    *,
    mandat: Mandat,
    aidant: Aidant,
    structure: Structure,
    usager: Usager,
    demarches: list[str],
    duration_days: int,
    consent: dict[str, Any],
    creation_key: str | None = None,
    usager_identity: dict[str, str] | None = None,
    request: Any = None,
) -> Mandat:
    """A new grant replacing `mandat` (new identification, consent, signature):
    never an extension. Refused (InvalidMandat) for a revoked mandate, another
    structure's, or when FranceConnect identified someone else. Journals
    MANDAT_RENEWED and the replaced autorisations."""
    if mandat.structure_id != structure.pk:
        raise NotAllowed(_("Ce mandat appartient à une autre structure."))
    renewal = access.can_renew(
        mandat=mandat, identified_as=(usager.fc_issuer, usager.fc_sub)
    )
    if not renewal.allowed:
        raise InvalidMandat(renewal.message)
    return create_mandat(
        aidant=aidant,
        structure=structure,
        usager=usager,
        demarches=demarches,
        duration_days=duration_days,
        consent=consent,
        creation_key=creation_key,
        renewed_from=mandat,
        usager_identity=usager_identity,
        request=request,
    )
