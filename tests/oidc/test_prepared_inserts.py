"""config/prepared.py's PreparedInsert on the flow's own rows (the service
session here): what Django's `create` writes, without rebuilding the INSERT."""

import uuid

from django.db.models.signals import post_save

from config.prepared import PreparedInsert
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
