import pytest
from django.core import mail

from mandats.services import create_mandat
from tests.factories import UsagerFactory

CONSENT = {
    "confirmed_by_usager_at": "2026-11-23T09:00:00Z",
    "confirmed_by_aidant_at": "2026-11-23T09:00:01Z",
}


def grant(aidant, usager):
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager,
        demarches=["social", "papiers"],
        duration_days=365,
        consent=CONSENT,
    )


@pytest.mark.django_db
def test_usager_gets_the_attestation_link_at_their_franceconnect_email(
    aidant, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://relais.example.fr"
    usager = UsagerFactory(email="angela.dubois@fc.test")
    with django_capture_on_commit_callbacks(execute=True):
        mandat = grant(aidant, usager)
    (message,) = mail.outbox
    assert message.to == ["angela.dubois@fc.test"]
    link = f"https://relais.example.fr/mon-espace/mandats/{mandat.uuid}/attestation/"
    assert link in message.body
    assert link in message.alternatives[0][0]
    assert "Social - Santé" in message.body


@pytest.mark.django_db
def test_no_email_no_mail_and_a_rolled_back_mandate_sends_nothing(
    aidant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        grant(aidant, UsagerFactory(email=""))
    assert mail.outbox == []
