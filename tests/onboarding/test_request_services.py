from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from aidants.access import can_log_in, is_referent
from aidants.models import Aidant, Habilitation, HabilitationStatus, Invitation
from onboarding import access, services
from onboarding.exceptions import OnboardingError
from onboarding.models import HabilitationRequest, RequestStatus
from tests.factories import (
    HabilitationRequestFactory,
    RequestedPersonFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def submitted(**kw):
    request = HabilitationRequestFactory(**kw)
    services.submit_request(request=request)
    request.refresh_from_db()
    mail.outbox.clear()
    return request


def test_create_request_emails_the_private_link(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.create_request(
            structure_name="Mairie de Tulle",
            siret="12345678000105",
            structure_type="mairie",
            address="1 rue Nationale",
            postcode="19000",
            commune="Tulle",
            manager_first_name="Anne",
            manager_last_name="Roux",
            manager_email="Anne.Roux@Tulle.test",
            manager_phone="",
            manager_role="Maire",
        )
    assert request.status == RequestStatus.DRAFT
    assert request.manager_email == "anne.roux@tulle.test"
    (message,) = mail.outbox
    assert message.to == ["anne.roux@tulle.test"]
    assert services.request_url(request) in message.body
    assert (
        message.alternatives
        and services.request_url(request) in (message.alternatives[0][0])
    )


def test_submit_needs_a_referent():
    request = HabilitationRequestFactory(referent=None)
    with pytest.raises(OnboardingError):
        services.submit_request(request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.DRAFT


def test_submit_is_journaled_and_acknowledged(
    assert_journaled, django_capture_on_commit_callbacks
):
    request = HabilitationRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_request(request=request, message="Bonjour")
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert request.messages.get().body == "Bonjour"
    assert_journaled("habilitation_request_submitted", actor_type="system")
    assert "bien reçu" in mail.outbox[0].subject


def test_submitted_request_can_no_longer_be_edited():
    request = submitted()
    with pytest.raises(OnboardingError):
        services.update_request(request=request, commune="Ailleurs")
    with pytest.raises(OnboardingError):
        services.add_person(
            request=request,
            role="aidant",
            first_name="A",
            last_name="B",
            email="a@b.test",
            profession="x",
        )


def test_staff_ask_changes_then_requester_resubmits(
    staff, assert_journaled, django_capture_on_commit_callbacks
):
    request = submitted()
    with django_capture_on_commit_callbacks(execute=True):
        services.ask_changes(request=request, by=staff, message="Le SIRET ?")
    request.refresh_from_db()
    assert request.status == RequestStatus.CHANGES_ASKED
    assert_journaled("habilitation_request_changes_asked", actor_type="staff")
    assert "Le SIRET ?" in mail.outbox[0].body
    assert services.request_url(request) in mail.outbox[0].body
    services.update_request(request=request, commune="Villeurbanne")
    services.submit_request(request=request, message="Corrigé")
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert request.commune == "Villeurbanne"
    assert list(request.messages.values_list("author_kind", flat=True)) == [
        "staff",
        "requester",
    ]


def test_non_staff_cannot_review(aidant):
    request = submitted()
    for action, extra in (
        (services.ask_changes, {"message": "x"}),
        (services.refuse_request, {"reason": "x"}),
        (services.accept_request, {}),
    ):
        with pytest.raises(OnboardingError):
            action(request=request, by=aidant, **extra)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_draft_cannot_be_decided(staff):
    request = HabilitationRequestFactory()
    with pytest.raises(OnboardingError):
        services.accept_request(request=request, by=staff)


def test_refuse_keeps_the_reason_and_tells_the_requester(
    staff, assert_journaled, django_capture_on_commit_callbacks
):
    request = submitted()
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse_request(request=request, by=staff, reason="Hors périmètre")
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert request.refusal_reason == "Hors périmètre"
    assert_journaled("habilitation_request_refused", actor_type="staff")
    assert "Hors périmètre" in mail.outbox[0].body
    with pytest.raises(OnboardingError):
        services.accept_request(request=request, by=staff)


def test_accept_creates_structure_accounts_habilitations_and_invitations(
    staff, assert_journaled, django_capture_on_commit_callbacks
):
    request = HabilitationRequestFactory(referent__email="ref@ccas.test")
    RequestedPersonFactory(request=request, role="aidant", email="ref@ccas.test")
    RequestedPersonFactory(
        request=request, role="aidant", email="nadia@ccas.test", profession="CESF"
    )
    services.submit_request(request=request)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        structure = services.accept_request(request=request, by=staff)
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert request.structure == structure
    assert structure.siret == request.siret
    referent = Habilitation.objects.get(aidant__email="ref@ccas.test")
    assert referent.is_referent and referent.status == HabilitationStatus.ACTIVE
    nadia = Habilitation.objects.get(aidant__email="nadia@ccas.test")
    assert not nadia.is_referent and nadia.status == HabilitationStatus.ACTIVE
    assert nadia.aidant.profession == "CESF"
    assert not nadia.aidant.has_usable_password()
    assert Invitation.objects.filter(structure=structure).count() == 2
    assert_journaled("habilitation_request_accepted", actor_type="staff")
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(
        ["ref@ccas.test", "nadia@ccas.test", request.manager_email]
    )


def test_accepted_referent_may_log_in_and_manage_the_structure(staff):
    # Référent powers exist only inside an active habilitation (issue 9): the
    # staff's acceptance is the référent's validation, or nobody could log in
    # to invite the structure's aidants.
    request = submitted()
    structure = services.accept_request(request=request, by=staff)
    hab = Habilitation.objects.get(structure=structure)
    assert hab.is_referent and hab.status == HabilitationStatus.ACTIVE
    assert can_log_in(hab.aidant)
    assert is_referent(hab.aidant, structure)


def test_accept_is_all_or_nothing_when_the_siret_exists(staff):
    request = submitted()
    StructureFactory(siret=request.siret)
    count = Aidant.objects.count()
    with pytest.raises(OnboardingError):
        services.accept_request(request=request, by=staff)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert Aidant.objects.count() == count


def test_requester_messages_only_while_under_review():
    request = HabilitationRequestFactory()
    with pytest.raises(OnboardingError):
        services.write_requester_message(request=request, body="Allô ?")
    services.submit_request(request=request)
    services.write_requester_message(request=request, body="Allô ?")
    assert request.messages.get().body == "Allô ?"


def test_link_expires_after_the_decision(staff, settings):
    settings.ONBOARDING_REQUEST_LINK_DAYS = 30
    request = submitted()
    assert not access.link_expired(request)
    services.refuse_request(request=request, by=staff, reason="Non")
    request.refresh_from_db()
    assert not access.link_expired(request)
    later = timezone.now() + timedelta(days=31)
    assert access.link_expired(request, at=later)


def test_draft_link_expires():
    request = HabilitationRequestFactory()
    HabilitationRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    request.refresh_from_db()
    assert access.link_expired(request)


def test_link_token_is_bound_to_the_request():
    one, two = HabilitationRequestFactory(), HabilitationRequestFactory()
    assert access.link_matches(one, access.request_link_token(one))
    assert not access.link_matches(one, access.request_link_token(two))
    assert not access.link_matches(one, "")


def test_invitation_from_an_accepted_request_expires(
    staff, client, django_capture_on_commit_callbacks, settings
):
    import re

    import time_machine

    request = submitted()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_request(request=request, by=staff)
    invitation_mail = next(m for m in mail.outbox if "Invitation" in m.subject)
    path = re.search(r"/invitation/\S+", invitation_mail.body).group(0)
    # The link swaps its token for a session value, then shows the clean URL.
    assert client.get(path, follow=True).status_code == 200
    later = timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS + 1)
    with time_machine.travel(later):
        assert client.get(path, follow=True).status_code == 410
