"""`{% once %}` (aidants/templatetags/layout.py): the layout's fixed parts are
rendered once per language and never carry a visitor's data."""

from django.template import engines
from django.test import RequestFactory
from django.utils import translation

SOURCE = (
    "{% load i18n layout %}"
    "{% once %}[{% translate 'January' %}|{{ secret }}|"
    "{% url 'aidants:home' %}]{% endonce %}"
    "({{ secret }})"
)


def test_once_renders_its_content_once_per_language():
    template = engines["django"].from_string(SOURCE)
    request = RequestFactory().get("/")
    with translation.override("fr"):
        first = template.render({"secret": "alice"}, request)
        second = template.render({"secret": "bob"}, request)
    assert first == "[janvier||/](alice)"
    assert second == "[janvier||/](bob)"
    with translation.override("de"):
        german = template.render({"secret": "carol"}, request)
    assert german == "[Januar||/](carol)"


def test_once_content_never_sees_the_page_variables(db, aidant_client):
    """A page's own data (the aidant's structure, the CSRF token) stays out of
    the parts served to everyone."""
    body = aidant_client.get("/").content.decode()
    header_end = body.index('<div class="fr-header__tools">')
    fixed = body[body.index('<div class="fr-header__brand') : header_end]
    assert "csrfmiddlewaretoken" not in fixed
    assert "Relais" in fixed and "fr-header__service-title" in fixed
    assert 'id="footer"' in body and "fr-skiplinks" in body
