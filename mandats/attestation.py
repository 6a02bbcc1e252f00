"""Attestations of a mandate and of its revocations: HTML page, PDF, QR code.

Reads only. Who may see them is settled by the views (the holding structure's
verified aidants through scoped querysets, or the usager in their own space).
The PDF is rendered by WeasyPrint with every external fetch refused: the
document embeds its QR code (SVG) and its styles.
"""

from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidants.demarches import Demarche, describe
from mandats.models import Mandat, RevokedBy, Status

REPLACED = "remplacée"


def verification_url(mandat: Mandat) -> str:
    """Absolute URL of the public verification page (what the QR code encodes)."""
    path = reverse("mandats:verify", kwargs={"public_id": mandat.public_id})
    return settings.SITE_URL.rstrip("/") + path


def qr_svg(url: str) -> str:
    """An inline SVG QR code for `url` (safe: built by segno from our own URL)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=3, title=_("Code QR de vérification du mandat"))
    return mark_safe(svg)  # noqa: S308 - segno's own markup, no user input


@dataclass(frozen=True)
class Revocation:
    label: str
    revoked_at: datetime
    by: str
    reason: str


def _by_label(by_type: str) -> str:
    try:
        return str(RevokedBy(by_type).label)
    except ValueError:
        return by_type


def _reason_label(reason: str) -> str:
    if reason == REPLACED:
        return _("remplacée par un nouveau mandat")
    return reason


def revocations(mandat: Mandat) -> list[Revocation]:
    """What was revoked in this mandate: the whole mandate, or démarches alone."""
    if mandat.revoked_at is not None:
        return [
            Revocation(
                label=_("Mandat entier"),
                revoked_at=mandat.revoked_at,
                by=_by_label(mandat.revoked_by_type),
                reason=_reason_label(mandat.revocation_reason),
            )
        ]
    return [
        Revocation(
            label=a.get_demarche_display(),
            revoked_at=a.revoked_at,
            by=_by_label(a.revoked_by_type),
            reason=_reason_label(a.revocation_reason),
        )
        for a in mandat.autorisations.all()
        if a.revoked_at is not None
    ]


def demarche_rows(mandat: Mandat, at: datetime | None = None) -> list[dict]:
    """The mandate's démarches with label, description and own status."""
    rows = []
    for autorisation in mandat.autorisations.all():
        status = autorisation.status(at)
        rows.append(
            {
                "autorisation": autorisation,
                "code": autorisation.demarche,
                "label": Demarche(autorisation.demarche).label,
                "description": describe(autorisation.demarche),
                "status": status,
                "status_label": Status(status).label,
            }
        )
    return rows


def load(mandat: Mandat) -> Mandat:
    """The mandate with what an attestation shows, in a few queries."""
    return (
        Mandat.objects.select_related("usager", "structure", "created_by")
        .prefetch_related("autorisations")
        .get(pk=mandat.pk)
    )


def context(mandat: Mandat, *, at: datetime | None = None) -> dict:
    """Everything the attestation templates show."""
    at = at or timezone.now()
    url = verification_url(mandat)
    return {
        "mandat": mandat,
        "usager": mandat.usager,
        "structure": mandat.structure,
        "aidant": mandat.created_by,
        "demarches": demarche_rows(mandat, at),
        "status": mandat.status(at),
        "status_label": mandat.get_status_display(at),
        "revocations": revocations(mandat),
        "verification_url": url,
        "qr_svg": qr_svg(url),
        "generated_at": at,
    }


def _refuse_fetch(url: str, *args, **kwargs):
    # The PDF embeds everything it needs: no file, network or data: fetches.
    raise ValueError(f"external resource refused: {url[:80]}")


def render_pdf(html: str) -> bytes:
    """PDF bytes of a standalone HTML document (WeasyPrint, no external fetch),
    tagged PDF/UA-1: its structure (headings, lists, tables) and language reach
    screen readers, and its text stays selectable."""
    # WeasyPrint is heavy (cairo, pango): loaded only when a PDF is drawn.
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_refuse_fetch)
    return document.write_pdf(pdf_variant="pdf/ua-1")


# kind: (page title, page body, PDF document, file name); one page template.
TEMPLATES = {
    "mandat": (
        gettext_lazy("Attestation de mandat"),
        "mandats/attestation/_mandat_body.html",
        "mandats/attestation/mandat_pdf.html",
        "attestation-mandat",
    ),
    "revocation": (
        gettext_lazy("Attestation de révocation"),
        "mandats/attestation/_revocation_body.html",
        "mandats/attestation/revocation_pdf.html",
        "attestation-revocation",
    ),
}


def response(
    request, mandat: Mandat, *, kind: str, pdf: bool, links: dict | None = None
) -> HttpResponse:
    """The attestation (`kind` "mandat" or "revocation") as a page or a PDF;
    `links` (pdf_url, back_url) go to the page. A revocation attestation of a
    mandate with nothing revoked is a 404."""
    mandat = load(mandat)
    data = context(mandat)
    if kind == "revocation" and not data["revocations"]:
        raise Http404(_("Rien n'a été révoqué dans ce mandat."))
    title, body, document, filename = TEMPLATES[kind]
    if not pdf:
        page = {**data, **(links or {}), "title": title, "body": body}
        return render(request, "mandats/attestation/page.html", page)
    html = render_to_string(document, data, request=request)
    result = HttpResponse(render_pdf(html), content_type="application/pdf")
    result["Content-Disposition"] = (
        f'attachment; filename="{filename}-{mandat.uuid}.pdf"'
    )
    result["Cache-Control"] = "no-store"
    return result
