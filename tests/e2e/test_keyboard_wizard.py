"""The mandate wizard completed with the keyboard only (Tab, Space, Enter)."""

import pytest

from mandats.models import Mandat
from tests.factories import PASSWORD, TOTP_SECRET_B32

pytestmark = pytest.mark.e2e


# A focus ring on the element itself, or (DSFR checkboxes and radios, whose
# input is transparent) on its label's ::before box.
FOCUS_VISIBLE_JS = """
() => {
  const el = document.activeElement;
  const own = getComputedStyle(el);
  if (own.opacity !== "0" && own.outlineStyle !== "none" &&
      parseFloat(own.outlineWidth) > 0) return true;
  const label = el.labels && el.labels[0];
  if (!label) return false;
  const mark = getComputedStyle(label, "::before");
  return mark.outlineStyle !== "none" && parseFloat(mark.outlineWidth) > 0;
}
"""


def tab_to(ui, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`; its focus must
    be visible."""
    for _ in range(limit):
        ui.page.keyboard.press("Tab")
        if ui.page.evaluate("s => document.activeElement.matches(s)", selector):
            if ui.is_relais(ui.page.url):
                assert ui.page.evaluate(FOCUS_VISIBLE_JS), (
                    f"no visible focus: {selector}"
                )
            return
    raise AssertionError(f"{selector} is not reachable with Tab on {ui.page.url}")


def press_and_audit(ui, key: str, name: str | None = None) -> None:
    with ui.page.expect_navigation():
        ui.page.keyboard.press(key)
    ui.audit(name)


def test_mandate_wizard_with_the_keyboard_only(ui, aidant):
    ui.login(aidant.email, PASSWORD, TOTP_SECRET_B32)
    ui.goto("/mandats/nouveau/")

    tab_to(ui, "#demarche-social")
    ui.page.keyboard.press("Space")
    tab_to(ui, "#demarche-famille")
    ui.page.keyboard.press("Space")
    tab_to(ui, "input[name=duration_days]")
    ui.page.keyboard.press("Space")
    duration = ui.page.evaluate("() => document.activeElement.value")
    tab_to(ui, "button[type=submit]:not(header *)")
    ui.page.keyboard.press("Enter")

    # On the FranceConnect sandbox too.
    ui.page.get_by_role("button", name="demo-jean-pierre-martin").wait_for()
    tab_to(ui, 'button[value="demo-jean-pierre-martin"]')
    press_and_audit(ui, "Enter", "keyboard-recap")
    assert ui.path() == "/mandats/nouveau/confirmation"

    tab_to(ui, "#id_confirm_usager")
    ui.page.keyboard.press("Space")
    tab_to(ui, "#id_confirm_aidant")
    ui.page.keyboard.press("Space")
    tab_to(ui, "main button[type=submit]")
    press_and_audit(ui, "Enter", "keyboard-done")

    mandat = Mandat.objects.get(usager__fc_sub="demo-jean-pierre-martin")
    assert sorted(mandat.demarches()) == ["famille", "social"]
    assert str(mandat.duration_days) == duration
    assert ui.path() == f"/mandats/{mandat.uuid}/"
