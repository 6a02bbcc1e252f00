"""config/prepared.py's PreparedInsert and PreparedUpdate on the flow's own rows
(the service session here): what Django's `create` and `save(update_fields=…)`
write, without rebuilding the statement."""

import uuid

import pytest
from django.db import DatabaseError
from django.db.models.signals import post_save
from django.utils import timezone

from config.prepared import PreparedInsert, PreparedUpdate
from oidc.models import ServiceSession


def test_a_prepared_insert_writes_what_django_would(db, aidant, usager_with_mandat, rp):
    """PreparedInsert (the flow's code, token and service session rows): the
    same columns as `objects.create`, defaults included, the new key read back,
    on the second run as on the first (the compiled statement)."""
    autorisation = usager_with_mandat.autorisations.first()
    insert = PreparedInsert(ServiceSession)
    made = []
    for _ in range(2):
        values = dict(
            sid=uuid.uuid4(),
            client=rp,
            aidant=aidant,
            usager=usager_with_mandat,
            autorisation=autorisation,
            session_key="k",
        )
        row = insert.create(**values)
        made.append(row)
        stored = ServiceSession.objects.get(pk=row.pk)
        assert stored.sid == values["sid"] and stored.client_id == rp.pk
        assert stored.created_at == row.created_at  # the default, as saved
        assert stored.ended_at is None and stored.end_reason == ""
        assert not row._state.adding and row._state.db == "default"
    assert made[0].pk != made[1].pk
    assert insert._compiled["default"] is not None  # the statement was reused


def test_a_prepared_insert_is_djangos_own_while_someone_listens(
    db, aidant, usager_with_mandat, rp
):
    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append(created)

    post_save.connect(listener, sender=ServiceSession)
    try:
        PreparedInsert(ServiceSession).create(
            sid=uuid.uuid4(),
            client=rp,
            aidant=aidant,
            usager=usager_with_mandat,
            autorisation=usager_with_mandat.autorisations.first(),
        )
    finally:
        post_save.disconnect(listener, sender=ServiceSession)
    assert heard == [True]


def _session(rp, aidant, usager_with_mandat) -> ServiceSession:
    return ServiceSession.objects.create(
        sid=uuid.uuid4(),
        client=rp,
        aidant=aidant,
        usager=usager_with_mandat,
        autorisation=usager_with_mandat.autorisations.first(),
    )


def test_a_prepared_update_writes_its_fields_of_that_row_only(
    db, aidant, usager_with_mandat, rp
):
    """PreparedUpdate (the token step's consumed code): the named fields of
    that row, no other column, no other row."""
    first = _session(rp, aidant, usager_with_mandat)
    other = _session(rp, aidant, usager_with_mandat)
    update = PreparedUpdate(ServiceSession, ["ended_at", "end_reason"])
    first.ended_at = timezone.now()
    first.end_reason = "logout"
    first.session_key = "not-saved"
    update.save(first)
    stored = ServiceSession.objects.get(pk=first.pk)
    assert stored.ended_at == first.ended_at and stored.end_reason == "logout"
    assert stored.session_key == ""  # not a field of the update
    untouched = ServiceSession.objects.get(pk=other.pk)
    assert untouched.ended_at is None and untouched.end_reason == ""


def test_a_prepared_update_of_a_row_gone_fails_as_django_does(
    db, aidant, usager_with_mandat, rp
):
    row = _session(rp, aidant, usager_with_mandat)
    ServiceSession.objects.filter(pk=row.pk).delete()
    row.end_reason = "logout"
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        PreparedUpdate(ServiceSession, ["end_reason"]).save(row)


def test_a_prepared_update_is_djangos_own_while_someone_listens(
    db, aidant, usager_with_mandat, rp
):
    row = _session(rp, aidant, usager_with_mandat)
    heard = []

    def listener(sender, instance, update_fields, **kwargs):
        heard.append(set(update_fields))

    post_save.connect(listener, sender=ServiceSession)
    try:
        row.end_reason = "logout"
        PreparedUpdate(ServiceSession, ["end_reason"]).save(row)
    finally:
        post_save.disconnect(listener, sender=ServiceSession)
    assert heard == [{"end_reason"}]
    assert ServiceSession.objects.get(pk=row.pk).end_reason == "logout"
