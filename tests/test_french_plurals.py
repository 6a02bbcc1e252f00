"""Counts shown in French: every plural message (ngettext, blocktranslate count)
has its entry in the French catalog (locale/fr), so that zero takes the
singular ("0 personne"), as French writes it; lists are joined as prose."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from aidants.templatetags.french import list_fr

BASE_DIR = Path(__file__).resolve().parent.parent
SOURCES = (
    "aidants",
    "mandats",
    "oidc",
    "audit",
    "onboarding",
    "ops",
    "demo",
    "config",
    "templates",
)
BLOCK = re.compile(
    r"{%\s*blocktrans(?:late)?\s+count\s+(\w+)\s*=[^%]*%}(.*?)"
    r"{%\s*plural\s*%}(.*?){%\s*endblocktrans(?:late)?\s*%}",
    re.DOTALL,
)
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
NGETTEXT = {"ngettext", "ngettext_lazy", "ngettext_noop"}


def _msgid(text: str) -> str:
    # As Django's blocktranslate builds it: {{ x }} becomes %(x)s.
    return VARIABLE.sub(r"%(\1)s", text.replace("%", "%%"))


def plural_messages() -> list[tuple[str, str, str]]:
    """(where, singular, plural) for every plural message of the project."""
    found = []
    for top in SOURCES:
        for path in sorted((BASE_DIR / top).rglob("*")):
            if "migrations" in path.parts or not path.is_file():
                continue
            where = str(path.relative_to(BASE_DIR))
            if path.suffix in (".html", ".txt"):
                for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
                    found.append((where, _msgid(match[2]), _msgid(match[3])))
            elif path.suffix == ".py":
                tree = ast.parse(path.read_text(encoding="utf-8"))
                for node in ast.walk(tree):
                    name = getattr(getattr(node, "func", None), "id", None)
                    if isinstance(node, ast.Call) and name in NGETTEXT:
                        singular, plural = (ast.literal_eval(a) for a in node.args[:2])
                        found.append((where, singular, plural))
    return found


def test_the_project_has_plural_messages():
    assert len(plural_messages()) >= 8


@pytest.mark.parametrize(
    ("where", "singular", "plural"), plural_messages(), ids=lambda v: v[:40]
)
def test_zero_and_one_take_the_singular_in_french(where, singular, plural):
    with translation.override("fr"):
        assert translation.ngettext(singular, plural, 0) == singular, (
            f"{where}: add this message to locale/fr/LC_MESSAGES/django.po "
            "(msgstr[0] singular, msgstr[1] plural), then compile it"
        )
        assert translation.ngettext(singular, plural, 1) == singular
        assert translation.ngettext(singular, plural, 2) == plural


def test_an_empty_list_page_says_zero_in_the_singular(aidant_client):
    # The usager lists show no count any more (keyset pages, issue 16).
    page = aidant_client.get("/mandats/expirant-bientot/").content.decode()
    assert "0 mandat<" in page or "0 mandat " in page
    assert "0 mandats" not in page


def test_lists_are_joined_as_french_prose():
    assert list_fr([]) == ""
    assert list_fr(["Logement"]) == "Logement"
    assert list_fr(["Logement", "Social"]) == "Logement et Social"
    assert list_fr(["A", "B", "C"]) == "A, B et C"
