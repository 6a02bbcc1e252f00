"""Attestations for the holding structure's aidants (the usager has their own
copies in the usager space). Another structure's mandate is a 404."""

from django.shortcuts import get_object_or_404
from django.urls import reverse

from aidants.decorators import verified_aidant_required
from mandats import attestation
from mandats.models import Mandat


def _mandat(request, uuid) -> Mandat:
    return get_object_or_404(Mandat.objects.for_aidant(request.user), uuid=uuid)


def _links(mandat: Mandat, pdf_name: str) -> dict:
    return {
        "pdf_url": reverse(pdf_name, kwargs={"uuid": mandat.uuid}),
        "back_url": reverse("mandats:mandat-detail", kwargs={"uuid": mandat.uuid}),
    }


@verified_aidant_required
def mandat_attestation(request, uuid):
    mandat = _mandat(request, uuid)
    links = _links(mandat, "mandats:attestation-pdf")
    return attestation.response(request, mandat, kind="mandat", pdf=False, links=links)


@verified_aidant_required
def mandat_attestation_pdf(request, uuid):
    return attestation.response(
        request, _mandat(request, uuid), kind="mandat", pdf=True
    )


@verified_aidant_required
def revocation_attestation(request, uuid):
    mandat = _mandat(request, uuid)
    links = _links(mandat, "mandats:revocation-attestation-pdf")
    return attestation.response(
        request, mandat, kind="revocation", pdf=False, links=links
    )


@verified_aidant_required
def revocation_attestation_pdf(request, uuid):
    mandat = _mandat(request, uuid)
    return attestation.response(request, mandat, kind="revocation", pdf=True)
