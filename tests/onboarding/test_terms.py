import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from aidants.models import Aidant
from demo.aidants import AIDANT, REFERENT
from onboarding import terms
from onboarding.models import TermsAcceptance
from tests.conftest import verified_client
from tests.factories import AidantFactory, HabilitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(structure):
    aidant = AidantFactory(terms_accepted=False, current_structure=structure)
    HabilitationFactory(aidant=aidant, structure=structure)
    from tests.factories import totp_device_for

    totp_device_for(aidant)
    return aidant


def test_first_page_after_login_asks_for_the_terms(client, newcomer):
    verified_client(client, newcomer)
    response = client.get(reverse("mandats:usager-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("onboarding:terms"))
    assert "next=%2Fusagers%2F" in response.url


def test_accepting_stores_version_and_time_and_goes_on(
    client, newcomer, assert_journaled
):
    verified_client(client, newcomer)
    url = reverse("onboarding:terms") + "?next=/usagers/"
    refused = client.post(url, {"version": terms.current_version()})
    assert refused.status_code == 200
    assert not TermsAcceptance.objects.filter(aidant=newcomer).exists()
    response = client.post(
        url, {"version": terms.current_version(), "accept": "on", "next": "/usagers/"}
    )
    assert response.status_code == 302 and response.url == "/usagers/"
    acceptance = TermsAcceptance.objects.get(aidant=newcomer)
    assert acceptance.version == terms.current_version()
    assert acceptance.accepted_at is not None
    assert_journaled("terms_accepted", actor_type="aidant")
    assert client.get("/usagers/").status_code == 200


def test_accepting_a_stale_version_is_refused(aidant_client, aidant):
    response = aidant_client.post(
        reverse("onboarding:terms"), {"version": "2025-01", "accept": "on"}
    )
    assert response.status_code == 302
    assert TermsAcceptance.objects.filter(aidant=aidant).count() == 1


def test_new_version_sends_back_to_the_terms(aidant_client, settings):
    assert aidant_client.get("/usagers/").status_code == 200
    settings.TERMS_VERSION = "2099-01"
    response = aidant_client.get("/usagers/")
    assert response.url.startswith(reverse("onboarding:terms"))


def test_terms_page_is_public_and_next_must_stay_on_site(client):
    page = client.get(reverse("onboarding:terms") + "?next=https://evil.test/")
    assert page.status_code == 200
    assert "evil.test" not in page.content.decode()


def test_logout_is_never_blocked(client, newcomer):
    verified_client(client, newcomer)
    response = client.post(reverse("aidants:logout"))
    assert not response.url.startswith(reverse("onboarding:terms"))


def test_seed_demo_accounts_have_accepted_the_terms():
    call_command("seed_demo", "--json", stdout=io.StringIO())
    for account in (AIDANT, REFERENT):
        assert terms.has_accepted(Aidant.objects.get(email=account.email))
