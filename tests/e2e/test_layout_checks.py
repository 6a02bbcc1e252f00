"""The layout checks that every journey runs on every page (`layout_problems` in
conftest) catch the consent page as it was before its fix: the attestation card
painted over the footer, the consent button below it, a stepper h2 before the h1.
The old page is kept as the HTML the browser received
(fixtures/consent_page_before_fix.html), served on the live site so that it gets
the same DSFR files."""

from pathlib import Path

import pytest

from tests.e2e.conftest import SCREENSHOTS, layout_problems

pytestmark = pytest.mark.e2e

BEFORE_FIX = Path(__file__).parent / "fixtures" / "consent_page_before_fix.html"


def show_fixture(page, url: str, html: str) -> None:
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(url)
    page.wait_for_load_state("load")


def test_layout_checks_fail_on_the_consent_page_before_its_fix(chromium, site):
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 800}
    )
    try:
        page = context.new_page()
        show_fixture(page, f"{site.url}/old-consent-page", BEFORE_FIX.read_text())
        page.screenshot(
            path=str(SCREENSHOTS / "consent-page-before-fix.png"), full_page=True
        )
        problems = "\n".join(layout_problems(page))
    finally:
        context.close()
    for width in (1280, 375):
        assert f"at {width} px: <div#attestation.fr-card" in problems
        assert f'at {width} px: <button.fr-btn> "Créer le mandat" below' in problems
        assert f"at {width} px: first heading is <h2.fr-stepper__title>" in problems


def test_layout_checks_see_a_page_wider_than_the_screen(chromium, site):
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 800}
    )
    try:
        page = context.new_page()
        html = BEFORE_FIX.read_text().replace(
            '<main id="content" role="main">',
            '<main id="content" role="main"><div style="width: 600px">wide</div>'
            "<h1>Titre</h1><h3>Skipped</h3>",
        )
        show_fixture(page, f"{site.url}/wide-page", html)
        problems = "\n".join(layout_problems(page))
    finally:
        context.close()
    assert "at 375 px: horizontal scroll" in problems
    assert "at 1280 px: horizontal scroll" not in problems
    assert 'heading <h3> "Skipped" skips a level' in problems
