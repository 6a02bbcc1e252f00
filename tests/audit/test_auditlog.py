from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from aidants.models import Aidant, Structure


def _entries(obj):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)
    )


def test_admin_change_of_a_structure_is_kept_with_its_author(
    staff_client, staff, structure
):
    url = reverse("admin:aidants_structure_change", args=[structure.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    data = {
        "name": "France Services de Montreuil-Centre",
        "siret": structure.siret,
        "type": structure.type,
        "commune": structure.commune,
        "active": "on",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = (
        _entries(structure).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    )
    assert entry.changes_dict["name"] == [
        "France Services de Montreuil",
        "France Services de Montreuil-Centre",
    ]
    assert entry.actor == staff


def test_aidant_changes_are_kept_without_the_password(aidant):
    aidant.phone = "0102030405"
    aidant.set_password("un-autre-mot-de-passe-long")
    aidant.save()
    entry = _entries(aidant).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert "phone" in entry.changes_dict
    assert "password" not in entry.changes_dict
    assert "last_login" not in entry.changes_dict


def test_habilitation_creation_is_kept(aidant):
    habilitation = aidant.habilitations.get()
    assert _entries(habilitation).filter(action=LogEntry.Action.CREATE).exists()


def test_otp_devices_are_not_registered():
    from auditlog.registry import auditlog

    from aidants.models import TOTPDevice

    assert not auditlog.contains(TOTPDevice)
    assert auditlog.contains(Aidant) and auditlog.contains(Structure)
