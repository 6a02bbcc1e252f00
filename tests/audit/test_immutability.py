import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

import audit
from audit.models import JournalCheckpoint, JournalEntry
from audit.triggers import drop_triggers


@pytest.fixture
def entry(db):
    return audit.record(audit.Action.LOGIN_FAILED, actor=None, details={"n": 1})


def _refused(run):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run()


def test_orm_update_is_refused(entry):
    entry.action = audit.Action.LOGIN_SUCCEEDED
    _refused(entry.save)
    _refused(lambda: JournalEntry.objects.update(details={}))
    entry.refresh_from_db()
    assert entry.action == audit.Action.LOGIN_FAILED


def test_orm_delete_is_refused(entry):
    _refused(entry.delete)
    _refused(lambda: JournalEntry.objects.all().delete())
    assert JournalEntry.objects.count() == 1


def test_raw_sql_update_and_delete_are_refused(entry):
    def update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_journalentry SET action = 'x'")

    def delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_journalentry")

    _refused(update)
    _refused(delete)
    assert JournalEntry.objects.get().action == audit.Action.LOGIN_FAILED


def test_checkpoints_are_append_only_too(entry):
    checkpoint = JournalCheckpoint.objects.create(
        seq=1,
        entry_hash=entry.entry_hash,
        created_at=entry.created_at,
        kid="k",
        signature="s",
    )
    checkpoint.signature = "forged"
    _refused(checkpoint.save)
    _refused(checkpoint.delete)


def test_appends_still_work(entry):
    assert audit.record(audit.Action.LOGIN_FAILED, actor=None).seq == 2


def test_without_triggers_a_change_goes_through(entry):
    # The triggers are what refuses: this test fails if they stop mattering.
    drop_triggers(connection)
    JournalEntry.objects.update(action="tampered")
    assert JournalEntry.objects.get().action == "tampered"


@pytest.mark.django_db(transaction=True)
def test_triggers_are_back_after_a_flush():
    audit.record(audit.Action.LOGIN_FAILED, actor=None)
    with pytest.raises(DatabaseError, match="append-only"):
        JournalEntry.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_journal_head_is_back_after_a_flush():
    # Runs after the previous transactional test's flush emptied every table.
    assert audit.record(audit.Action.LOGIN_FAILED, actor=None).seq == 1


def test_admin_is_read_only(staff_client, entry):
    model_admin = site._registry[JournalEntry]
    request = type("R", (), {"user": None})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert {"action", "actor_type"} <= set(model_admin.list_filter)

    changelist = reverse("admin:audit_journalentry_changelist")
    response = staff_client.get(changelist, {"q": entry.entry_hash[:10]})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [entry]
    response = staff_client.get(changelist, {"q": "someone-else"})
    assert list(response.context["cl"].result_list) == []
    detail = staff_client.get(
        reverse("admin:audit_journalentry_change", args=[entry.pk])
    )
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert staff_client.get(reverse("admin:audit_journalentry_add")).status_code == 403
    delete_url = reverse("admin:audit_journalentry_delete", args=[entry.pk])
    assert staff_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_only_retired_keys_can_be_deleted_in_the_admin(staff_client):
    from audit.keys import current_key, rotate_key
    from audit.models import ServiceKey

    old = current_key(purpose="mandat")
    new = rotate_key(purpose="mandat")
    active_url = reverse("admin:audit_servicekey_delete", args=[new.pk])
    assert staff_client.post(active_url, {"post": "yes"}).status_code == 403
    change = staff_client.get(reverse("admin:audit_servicekey_change", args=[old.pk]))
    assert b"BEGIN PRIVATE KEY" not in change.content
    retired_url = reverse("admin:audit_servicekey_delete", args=[old.pk])
    assert staff_client.post(retired_url, {"post": "yes"}).status_code == 302
    assert list(ServiceKey.objects.all()) == [new]
