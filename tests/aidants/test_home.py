from django.urls import reverse


def test_habilitated_aidant_home_links_to_the_daily_work(aidant_client):
    content = aidant_client.get(reverse("aidants:home")).content.decode()
    for name in ("mandats:new", "mandats:usager-list", "mandats:expiring"):
        assert f'href="{reverse(name)}"' in content
    assert f'href="{reverse("aidants:my-journal")}"' in content
    assert f'href="{reverse("aidants:journal")}"' not in content
    assert f'href="{reverse("aidants:referent-home")}"' not in content


def test_referent_home_links_to_the_structure_journal(referent_client):
    content = referent_client.get(reverse("aidants:home")).content.decode()
    assert f'href="{reverse("aidants:referent-home")}"' in content
    assert f'href="{reverse("aidants:journal")}"' in content


def test_anonymous_home_offers_aidant_login_and_usager_space(client, db):
    content = client.get(reverse("aidants:home")).content.decode()
    assert f'href="{reverse("aidants:login")}"' in content
    assert f'href="{reverse("mandats:usager-space")}"' in content
    assert f'href="{reverse("mandats:new")}"' not in content
