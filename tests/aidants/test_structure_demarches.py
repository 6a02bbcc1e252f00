import pytest
from django.urls import reverse

from aidants.demarches import Demarche
from aidants.exceptions import AidantsError, NotAllowed
from aidants.services.structures import set_allowed_demarches
from audit import Action
from audit.models import JournalEntry

URL = "/referent/demarches/"


def test_url_name():
    assert reverse("aidants:referent-demarches") == URL


def test_page_lists_each_demarche_with_its_description(referent_client):
    page = referent_client.get(URL).content.decode()
    for code in Demarche.values:
        assert f'value="{code}"' in page
    assert "CAF, CPAM, RSA" in page
    assert page.count(" checked") == len(Demarche.values)


def test_referent_restricts_demarches(
    referent_client, referent, structure, assert_journaled
):
    response = referent_client.post(URL, {"demarches": ["social", "papiers"]})
    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.allowed_demarches == ["papiers", "social"]
    assert structure.demarches() == ["papiers", "social"]
    entry = assert_journaled(
        Action.STRUCTURE_DEMARCHES_CHANGED,
        actor_id=str(referent.uuid),
        structure_id=str(structure.uuid),
    )
    assert entry.details["after"] == ["papiers", "social"]
    page = referent_client.get(URL).content.decode()
    assert page.count(" checked") == 2


def test_selecting_everything_means_no_restriction(referent, structure):
    structure.allowed_demarches = ["social"]
    structure.save()
    set_allowed_demarches(structure=structure, by=referent, demarches=Demarche.values)
    structure.refresh_from_db()
    assert structure.allowed_demarches == []
    assert structure.demarches() == list(Demarche.values)


@pytest.mark.parametrize(
    ("data", "message"),
    [({}, "au moins une démarche"), ({"demarches": ["vacances"]}, "Démarche")],
)
def test_bad_selection_changes_nothing(referent_client, structure, data, message):
    count = JournalEntry.objects.count()
    response = referent_client.post(URL, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    structure.refresh_from_db()
    assert structure.allowed_demarches == []
    assert JournalEntry.objects.count() == count


def test_service_refuses_empty_and_foreign_referents(
    structure, referent, other_referent
):
    with pytest.raises(AidantsError):
        set_allowed_demarches(structure=structure, by=referent, demarches=[])
    with pytest.raises(NotAllowed):
        set_allowed_demarches(
            structure=structure, by=other_referent, demarches=["social"]
        )
    structure.refresh_from_db()
    assert structure.allowed_demarches == []
