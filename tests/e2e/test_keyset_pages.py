"""Lists paged by keyset (issue 16): the aidant's usagers and the structure's
journal, paged forward and back through the real links, each page audited
(axe-core, layout at 1280 and 375 px)."""

import pytest

import audit
from tests.factories import PASSWORD, TOTP_SECRET_B32, MandatFactory

pytestmark = pytest.mark.e2e


def test_usager_list_and_journal_page_forward_and_back(ui, referent, structure):
    for index in range(27):
        MandatFactory(structure=structure, usager__family_name=f"Nom{index:02d}")
    for _ in range(55):
        audit.record(audit.Action.MANDAT_USED, actor=referent, structure=structure)
    ui.login(referent.email, PASSWORD, TOTP_SECRET_B32)

    ui.goto("/usagers/", "usagers-page-1")
    assert "Nom00" in ui.text() and "Nom26" not in ui.text()
    ui.follow("Page suivante", "usagers-page-2")
    assert "Nom26" in ui.text() and "Nom00" not in ui.text()
    ui.follow("Page précédente", "usagers-back-to-page-1")
    assert "Nom00" in ui.text() and "Page précédente" not in ui.text()

    ui.goto("/usagers/?q=nom2", "usagers-search")
    assert "Nom26" in ui.text() and "Nom19" not in ui.text()

    ui.goto("/referent/journal/", "journal-page-1")
    ui.follow("Page suivante", "journal-page-2")
    assert "Page précédente" in ui.text() and "Page suivante" not in ui.text()
    ui.follow("Page précédente", "journal-back-to-page-1")
