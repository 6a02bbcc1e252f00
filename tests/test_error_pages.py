"""404 and 403 pages in French, in development too (no technical page listing
every URL), and each 403 logged once, without a traceback."""

import logging
import uuid

import pytest


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_unknown_page_is_the_french_404_not_the_url_list(client, debug):
    response = client.get("/cette-page-n-existe-pas/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in page and "Retour à l'accueil" in page
    assert "URLconf" not in page and "oidc/authorize" not in page


def test_missing_object_is_the_french_404(aidant_client, debug):
    response = aidant_client.get(f"/mandats/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    assert "Raised by" not in response.content.decode()


def test_unknown_path_without_slash_still_redirects(client, debug):
    response = client.get("/connexion")
    assert response.status_code == 301
    assert response["Location"] == "/connexion/"


def test_403_is_the_french_page_and_logged_once_without_traceback(
    aidant_client, debug, caplog
):
    caplog.set_level(logging.INFO)
    response = aidant_client.get("/referent/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accès refusé" in page and "réservée aux référents" in page
    # Once: the request line (ops.middleware), never a second warning with a
    # traceback from Django's request logger.
    about = [r for r in caplog.records if "/referent/" in r.getMessage()]
    assert [(r.name, r.getMessage().split()[2]) for r in about] == [
        ("relais.request", "403")
    ]
    assert about[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
