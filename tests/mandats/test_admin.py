from tests.factories import MandatFactory


def test_staff_see_mandates_read_only(staff_client, usager_with_mandat):
    mandat = usager_with_mandat.mandats.get()
    assert staff_client.get("/admin/mandats/mandat/").status_code == 200
    page = staff_client.get(f"/admin/mandats/mandat/{mandat.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert staff_client.get("/admin/mandats/usager/").status_code == 200
    assert staff_client.get("/admin/mandats/mandat/add/").status_code == 403


def test_staff_cannot_unrevoke_through_the_admin(staff_client, db):
    mandat = MandatFactory()
    response = staff_client.post(
        f"/admin/mandats/mandat/{mandat.pk}/change/", {"revoked_at": ""}
    )
    assert response.status_code == 403


def test_aidant_cannot_reach_the_admin(aidant_client):
    response = aidant_client.get("/admin/mandats/mandat/")
    assert response.status_code == 302
