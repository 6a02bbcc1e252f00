"""The one presenter of mandate rows, for the aidant's pages and the usager's
space: what a row shows and which actions it offers, each decided by
`mandats.access` (templates only display it)."""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _

from mandats import access
from mandats.attestation import demarche_rows, revocations
from mandats.models import Mandat

Audience = Literal["aidant", "usager"]

# URL names of each audience's pages (the usager's are in their own space).
URLS = {
    "aidant": {
        "autorisation-revoke": "mandats:autorisation-revoke",
        "mandat-revoke": "mandats:mandat-revoke",
    },
    "usager": {
        "autorisation-revoke": "mandats:usager-autorisation-revoke",
        "mandat-revoke": "mandats:usager-mandat-revoke",
        "attestation": "mandats:usager-attestation",
        "attestation-pdf": "mandats:usager-attestation-pdf",
        "revocation-attestation": "mandats:usager-revocation-attestation",
    },
}


def _url(audience: Audience, name: str, uuid) -> str:
    return reverse(URLS[audience][name], kwargs={"uuid": uuid})


def mandat_row(mandat: Mandat, at: datetime, *, audience: Audience) -> dict:
    """One mandate as its card, table row or detail page shows it: status,
    démarches (each with its revoke URL when it may still be revoked), and the
    links the `audience` is offered."""
    demarches = demarche_rows(mandat, at)
    for demarche in demarches:
        autorisation = demarche["autorisation"]
        demarche["can_revoke"] = access.can_revoke(
            mandat=mandat, autorisation=autorisation, at=at
        ).allowed
        demarche["revoke_url"] = (
            _url(audience, "autorisation-revoke", autorisation.uuid)
            if demarche["can_revoke"]
            else ""
        )
    can_revoke = access.can_revoke(mandat=mandat, at=at).allowed
    has_revocations = bool(revocations(mandat))
    return {
        "mandat": mandat,
        "audience": audience,
        "status": mandat.status(at),
        "status_label": mandat.get_status_display(at),
        "demarches": demarches,
        "live_labels": [d["label"] for d in demarches if d["status"] == "live"],
        "can_revoke": can_revoke,
        "can_renew": audience == "aidant" and access.can_renew(mandat=mandat).allowed,
        "has_revocations": has_revocations,
        "links": _links(mandat, audience, can_revoke, has_revocations),
    }


def _links(
    mandat: Mandat, audience: Audience, can_revoke: bool, has_revocations: bool
) -> list[dict]:
    """The card's footer: the aidant opens the mandate's page (every action is
    there); the usager gets the attestations and the revocation at once."""
    if audience == "aidant":
        url = reverse("mandats:mandat-detail", kwargs={"uuid": mandat.uuid})
        return [{"label": _("Détail et actions"), "url": url, "style": "secondary"}]
    links = [
        {
            "label": _("Attestation"),
            "url": _url(audience, "attestation", mandat.uuid),
            "style": "secondary",
        },
        {
            "label": _("Attestation (PDF)"),
            "url": _url(audience, "attestation-pdf", mandat.uuid),
            "style": "secondary",
        },
    ]
    if has_revocations:
        links.append(
            {
                "label": _("Attestation de révocation"),
                "url": _url(audience, "revocation-attestation", mandat.uuid),
                "style": "secondary",
            }
        )
    if can_revoke:
        links.append(
            {
                "label": _("Révoquer tout le mandat"),
                "url": _url(audience, "mandat-revoke", mandat.uuid),
                "style": "tertiary",
            }
        )
    return links


def mandat_rows(mandats, at: datetime, *, audience: Audience) -> list[dict]:
    """`mandat_row` for each mandate (prefetch their autorisations)."""
    return [mandat_row(mandat, at, audience=audience) for mandat in mandats]
