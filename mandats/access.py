"""The one decision: may this aidant act for this usager on this démarche now?

Pure: reads only, never writes. The web pages and the OIDC bridge reach it through
`mandats.services.authorize_use` (journaled), or directly for re-checks whose
own action the caller journals (the OIDC token and userinfo).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidants.access import has_active_habilitation
from aidants.models import Aidant, Structure
from mandats.models import Autorisation, Mandat, Usager

OK = "ok"
ACCOUNT_INACTIVE = "account_inactive"
NO_ACTIVE_HABILITATION = "no_active_habilitation"
SESSION_NOT_VERIFIED = "session_not_verified"
NOT_IN_STRUCTURE = "not_in_structure"
MANDAT_EXPIRED = "mandat_expired"
MANDAT_REVOKED = "mandat_revoked"
AUTORISATION_REVOKED = "autorisation_revoked"
DEMARCHE_NOT_COVERED = "demarche_not_covered"
DEMARCHE_NOT_ALLOWED_FOR_STRUCTURE = "demarche_not_allowed_for_structure"
NO_MANDAT = "no_mandat"
RENEWAL_OF_REVOKED = "renewal_of_revoked"
RENEWAL_OF_ANOTHER_USAGER = "renewal_of_another_usager"

MESSAGES = {
    OK: _("Vous pouvez agir pour cette personne sur cette démarche."),
    ACCOUNT_INACTIVE: _("Ce compte est désactivé."),
    NO_ACTIVE_HABILITATION: _(
        "Vous n'avez pas d'habilitation active dans cette structure."
    ),
    SESSION_NOT_VERIFIED: _(
        "Votre session n'est pas vérifiée : saisissez votre code à usage unique."
    ),
    NOT_IN_STRUCTURE: _(
        "Le mandat de cette personne est détenu par une autre structure que la vôtre."
    ),
    MANDAT_EXPIRED: _("Le mandat pour cette démarche a expiré."),
    MANDAT_REVOKED: _("Le mandat pour cette démarche a été révoqué."),
    AUTORISATION_REVOKED: _("L'autorisation pour cette démarche a été révoquée."),
    DEMARCHE_NOT_COVERED: _(
        "Le mandat de cette personne ne couvre pas cette démarche."
    ),
    DEMARCHE_NOT_ALLOWED_FOR_STRUCTURE: _(
        "Votre structure n'est pas autorisée à réaliser cette démarche."
    ),
    NO_MANDAT: _("Cette personne ne vous a confié aucun mandat."),
    RENEWAL_OF_REVOKED: _("Un mandat révoqué ne peut pas être renouvelé."),
    RENEWAL_OF_ANOTHER_USAGER: _(
        "La personne identifiée avec FranceConnect n'est pas celle du mandat à "
        "renouveler."
    ),
}


@dataclass(frozen=True)
class Decision:
    """`autorisation` is the live autorisation used, set only when allowed."""

    allowed: bool
    reason: str
    autorisation: Autorisation | None = None

    @property
    def message(self) -> str:
        return str(MESSAGES[self.reason])

    @property
    def mandat(self) -> Mandat | None:
        return self.autorisation.mandat if self.autorisation else None

    def __bool__(self) -> bool:
        return self.allowed


def _deny(reason: str) -> Decision:
    return Decision(allowed=False, reason=reason)


def _why_not_live(latest: Autorisation, at: datetime) -> str:
    # The mandate's revocation wins: it also revokes its autorisations.
    if latest.mandat.revoked_at is not None:
        return MANDAT_REVOKED
    if latest.revoked_at is not None:
        return AUTORISATION_REVOKED
    return MANDAT_EXPIRED


def _preconditions(
    aidant: Aidant, structure: Structure | None, demarche: str, session_verified: bool
) -> str | None:
    """The reasons to refuse that do not depend on the mandate, or None."""
    # A deactivated account decides nothing, whatever its habilitations say
    # (and whatever session or code it still holds).
    if not aidant.is_active:
        return ACCOUNT_INACTIVE
    if structure is None or not has_active_habilitation(aidant, structure):
        return NO_ACTIVE_HABILITATION
    if not session_verified:
        return SESSION_NOT_VERIFIED
    if demarche not in structure.demarches():
        return DEMARCHE_NOT_ALLOWED_FOR_STRUCTURE
    return None


def can_act(
    *,
    aidant: Aidant,
    usager: Usager,
    demarche: str,
    structure: Structure | None,
    session_verified: bool,
    at: datetime | None = None,
    live: Autorisation | None = None,
) -> Decision:
    """Decide whether `aidant`, acting in `structure`, may act for `usager` on
    `demarche` at `at` (now by default). Returns a Decision with the reason.
    `live`: that usager's autorisation for that démarche, already read with
    its mandate (used only if it is theirs and live at `at`)."""
    at = at or timezone.now()
    refused = _preconditions(aidant, structure, demarche, session_verified)
    if refused:
        return _deny(refused)
    if usager.purged_at is not None:
        return _deny(NO_MANDAT)
    if (
        live is not None
        and structure is not None
        and (live.usager_id, live.structure_id) == (usager.pk, structure.pk)
        and live.demarche == demarche
        and live.is_live(at)
    ):
        return Decision(allowed=True, reason=OK, autorisation=live)
    mine = Autorisation.objects.filter(usager=usager, structure=structure)
    live = (
        mine.live(at)
        .filter(demarche=demarche)
        .select_related("mandat", "mandat__usager", "mandat__structure")
        .first()
    )
    if live is not None:
        return Decision(allowed=True, reason=OK, autorisation=live)
    latest = (
        mine.filter(demarche=demarche)
        .select_related("mandat")
        .order_by("-mandat__created_at", "-pk")
        .first()
    )
    if latest is not None:
        return _deny(_why_not_live(latest, at))
    if mine.exists():
        return _deny(DEMARCHE_NOT_COVERED)
    elsewhere = Autorisation.objects.live(at).filter(usager=usager, demarche=demarche)
    if elsewhere.exists():
        return _deny(NOT_IN_STRUCTURE)
    return _deny(NO_MANDAT)


def still_allows(
    *,
    aidant: Aidant,
    autorisation: Autorisation,
    session_verified: bool,
    at: datetime | None = None,
) -> Decision:
    """`can_act` for a use already decided on `autorisation` (an OIDC code or
    token re-checked): allowed only while that very autorisation is live, with
    its mandate, usager and structure loaded with it (no query but the
    habilitation's, when the aidant does not carry it). A replaced autorisation
    is revoked, so it refuses even if a newer one covers the same démarche."""
    at = at or timezone.now()
    structure = autorisation.structure
    refused = _preconditions(aidant, structure, autorisation.demarche, session_verified)
    if refused:
        return _deny(refused)
    if autorisation.usager.purged_at is not None:
        return _deny(NO_MANDAT)
    if autorisation.is_live(at):
        return Decision(allowed=True, reason=OK, autorisation=autorisation)
    return _deny(_why_not_live(autorisation, at))


def can_revoke(
    *,
    mandat: Mandat,
    autorisation: Autorisation | None = None,
    at: datetime | None = None,
) -> Decision:
    """Whether `mandat` (or its `autorisation`) can still be revoked: only while
    live. Who may revoke is settled before, by the scoped querysets (the holding
    structure's verified aidants, or the usager in their own space)."""
    at = at or timezone.now()
    if mandat.revoked_at is not None:
        return _deny(MANDAT_REVOKED)
    if autorisation is not None and autorisation.revoked_at is not None:
        return _deny(AUTORISATION_REVOKED)
    if mandat.is_expired(at):
        return _deny(MANDAT_EXPIRED)
    return Decision(allowed=True, reason=OK, autorisation=autorisation)


def can_renew(
    *, mandat: Mandat, identified_as: tuple[str, str] | None = None
) -> Decision:
    """Whether `mandat` may be renewed: never once revoked (expired is fine), and
    only for its own usager, when FranceConnect identified someone
    (`identified_as` = issuer, sub). The wizard, the aidant's pages and the
    renewal service all ask here; the service asks again under its row lock."""
    if mandat.revoked_at is not None:
        return _deny(RENEWAL_OF_REVOKED)
    if identified_as is not None and identified_as != (
        mandat.usager.fc_issuer,
        mandat.usager.fc_sub,
    ):
        return _deny(RENEWAL_OF_ANOTHER_USAGER)
    return Decision(allowed=True, reason=OK)
