import pytest
from django.core import mail
from django.urls import reverse

from aidants.models import HabilitationStatus
from onboarding import services
from onboarding.models import RequestStatus
from tests.conftest import verified_client
from tests.factories import HabilitationFactory, HabilitationRequestFactory

pytestmark = pytest.mark.django_db

PAGES = ["staff-home", "staff-requests", "staff-habilitations", "staff-end-dates"]


def submitted():
    request = HabilitationRequestFactory()
    services.submit_request(request=request)
    request.refresh_from_db()
    return request


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_goes_to_login(client, name):
    response = client.get(reverse(f"onboarding:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("aidants:login"))


@pytest.mark.parametrize("name", PAGES)
def test_staff_without_second_factor_goes_to_otp(client, staff, name):
    client.force_login(staff)
    response = client.get(reverse(f"onboarding:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("aidants:otp"))


@pytest.mark.parametrize("name", PAGES)
def test_referent_is_forbidden(referent_client, name):
    assert referent_client.get(reverse(f"onboarding:{name}")).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_staff_sees_the_pages(staff_client, name):
    assert staff_client.get(reverse(f"onboarding:{name}")).status_code == 200


def test_referent_cannot_decide_by_posting(referent_client):
    request = submitted()
    url = reverse("onboarding:staff-request-accept", args=[request.uuid])
    assert referent_client.post(url).status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_drafts_are_not_shown_to_staff(staff_client):
    draft = HabilitationRequestFactory()
    url = reverse("onboarding:staff-request", args=[draft.uuid])
    assert staff_client.get(url).status_code == 404


def test_staff_list_shows_submitted_requests(staff_client):
    request = submitted()
    page = staff_client.get(reverse("onboarding:staff-requests")).content.decode()
    assert request.structure_name in page


def test_staff_asks_changes(staff_client, assert_journaled):
    request = submitted()
    url = reverse("onboarding:staff-request-changes", args=[request.uuid])
    assert staff_client.post(url, {"body": ""}).status_code == 200
    response = staff_client.post(url, {"body": "Précisez l'adresse"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.CHANGES_ASKED
    assert_journaled("habilitation_request_changes_asked")


def test_staff_refuses_after_confirmation(staff_client):
    request = submitted()
    url = reverse("onboarding:staff-request-refuse", args=[request.uuid])
    assert "Confirmer le refus" in staff_client.get(url).content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    staff_client.post(url, {"reason": "Structure hors du département"})
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED


def test_staff_accepts_after_confirmation(staff_client):
    request = submitted()
    url = reverse("onboarding:staff-request-accept", args=[request.uuid])
    assert "Confirmer l'acceptation" in staff_client.get(url).content.decode()
    staff_client.post(url)
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    # Accepting twice is refused with a message, nothing changes.
    response = staff_client.post(url, follow=True)
    assert "pas en attente" in response.content.decode()


def test_staff_validates_an_awaiting_aidant(
    staff_client, structure, assert_journaled, django_capture_on_commit_callbacks
):
    hab = HabilitationFactory(structure=structure, status=HabilitationStatus.REQUESTED)
    listing = staff_client.get(reverse("onboarding:staff-habilitations")).content
    assert hab.aidant.email in listing.decode()
    url = reverse("onboarding:staff-habilitation-activate", args=[hab.uuid])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"valid_until": "2099-12-31"})
    assert response.status_code == 302
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.ACTIVE
    assert str(hab.valid_until) == "2099-12-31"
    assert_journaled("habilitation_activated", actor_type="staff")
    assert [m.to for m in mail.outbox] == [[hab.aidant.email]]


def test_staff_reactivates_a_suspended_aidant(staff_client, structure):
    hab = HabilitationFactory(structure=structure, status=HabilitationStatus.SUSPENDED)
    listing = staff_client.get(
        reverse("onboarding:staff-habilitations") + "?statut=suspended"
    )
    assert hab.aidant.email in listing.content.decode()
    url = reverse("onboarding:staff-habilitation-activate", args=[hab.uuid])
    staff_client.post(url, {"valid_until": ""})
    hab.refresh_from_db()
    assert hab.status == HabilitationStatus.ACTIVE


def test_end_dates_lists_habilitations_with_an_end(staff_client, structure):
    hab = HabilitationFactory(structure=structure, valid_until="2099-01-31")
    page = staff_client.get(reverse("onboarding:staff-end-dates")).content.decode()
    assert hab.aidant.get_full_name() in page


def test_verified_client_helper_is_used(staff, client):
    assert verified_client(client, staff).get("/equipe/").status_code == 200
