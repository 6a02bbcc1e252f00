from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding import access, services
from onboarding.models import HabilitationRequest, RequestStatus
from tests.factories import HabilitationRequestFactory

pytestmark = pytest.mark.django_db

VALID = {
    "structure_name": "France Services de Tulle",
    "siret": "12345678000105",
    "structure_type": "france_services",
    "address": "2 quai de Rigny",
    "postcode": "19000",
    "commune": "Tulle",
    "manager_first_name": "Anne",
    "manager_last_name": "Roux",
    "manager_role": "Directrice",
    "manager_email": "anne.roux@tulle.test",
    "manager_phone": "",
}


def url(name, request, **kw):
    token = access.request_link_token(request)
    return reverse(
        f"onboarding:{name}",
        kwargs={"request_uuid": request.uuid, "token": token, **kw},
    )


def test_anyone_files_a_draft(client, mailoutbox):
    response = client.post(reverse("onboarding:request-new"), VALID)
    request = HabilitationRequest.objects.get()
    assert response.status_code == 302
    assert response.url == url("request-detail", request)
    assert request.status == RequestStatus.DRAFT


def test_bad_siret_is_refused_with_a_french_error(client):
    response = client.post(
        reverse("onboarding:request-new"), {**VALID, "siret": "12345678000106"}
    )
    assert response.status_code == 200
    assert "clé de contrôle incorrecte" in response.content.decode()
    assert not HabilitationRequest.objects.exists()


def test_wrong_token_is_not_found_and_expired_link_is_gone(client):
    request = HabilitationRequestFactory()
    other = HabilitationRequestFactory()
    wrong = reverse(
        "onboarding:request-detail",
        kwargs={
            "request_uuid": request.uuid,
            "token": access.request_link_token(other),
        },
    )
    assert client.get(wrong).status_code == 404
    HabilitationRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    assert client.get(url("request-detail", request)).status_code == 410


def test_requester_adds_removes_people_and_submits(client):
    request = HabilitationRequestFactory()
    response = client.post(
        url("request-person-add", request),
        {
            "role": "aidant",
            "first_name": "Nadia",
            "last_name": "Haddad",
            "email": "nadia@ccas.test",
            "profession": "CESF",
        },
    )
    assert response.status_code == 302
    nadia = request.people.get(role="aidant")
    remove = url("request-person-remove", request, person_uuid=nadia.uuid)
    assert "Confirmer le retrait" in client.get(remove).content.decode()
    assert request.people.filter(role="aidant").exists()
    client.post(remove)
    assert not request.people.filter(role="aidant").exists()
    client.post(url("request-submit", request), {"message": "Merci"})
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    # Under review: the edit page sends back to the request, unchanged.
    response = client.post(url("request-edit", request), {**VALID, "commune": "X"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.commune == "Lyon"


def test_submitting_without_referent_shows_the_error(client):
    request = HabilitationRequestFactory(referent=None)
    response = client.post(url("request-submit", request), {"message": ""})
    assert response.status_code == 200
    assert "au moins un futur référent" in response.content.decode()


def test_requester_writes_to_staff_under_review(client):
    request = HabilitationRequestFactory()
    services.submit_request(request=request)
    client.post(url("request-message", request), {"body": "Une question"})
    assert request.messages.get().body == "Une question"
    page = client.get(url("request-detail", request)).content.decode()
    assert "Une question" in page


def test_a_refused_private_link_never_writes_its_token_to_the_logs(client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    request = HabilitationRequestFactory()
    token = access.request_link_token(request)
    HabilitationRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    assert client.get(url("request-detail", request)).status_code == 410
    assert caplog.records  # the request itself is logged (ops.middleware)
    assert not [r for r in caplog.records if token in r.getMessage()]
