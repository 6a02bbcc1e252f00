"""The habilitation request's and the staff space's pages that the journey does
not cross, audited at 1280 px and at 375 px (axe-core, labels, linked errors,
and no horizontal scrolling on a small screen)."""

import pytest
from django.urls import reverse

from aidants.models import HabilitationStatus
from aidants.services import card_stock
from onboarding import access, services
from tests.factories import (
    PASSWORD,
    TOTP_SECRET_B32,
    HabilitationFactory,
    HabilitationRequestFactory,
    RequestedPersonFactory,
)

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 375)
NO_SIDEWAYS_SCROLL_JS = (
    "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
)


def visit(ui, pages: dict[str, str]) -> None:
    for width in WIDTHS:
        ui.page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            ui.goto(path, f"{name}-{width}")
            assert ui.page.evaluate(NO_SIDEWAYS_SCROLL_JS), f"{name} scrolls at {width}"


def link(name: str, request, **kw) -> str:
    token = access.request_link_token(request)
    return reverse(
        f"onboarding:{name}",
        kwargs={"request_uuid": request.uuid, "token": token, **kw},
    )


def test_request_pages_pass_the_audit(ui):
    draft = HabilitationRequestFactory()
    person = RequestedPersonFactory(request=draft, role="aidant")
    refused = HabilitationRequestFactory()
    services.submit_request(request=refused)
    visit(
        ui,
        {
            "request-new": reverse("onboarding:request-new"),
            "request-draft": link("request-detail", draft),
            "request-edit": link("request-edit", draft),
            "person-add": link("request-person-add", draft),
            "person-remove": link(
                "request-person-remove", draft, person_uuid=person.uuid
            ),
            "request-submit": link("request-submit", draft),
            "request-under-review": link("request-detail", refused),
            "request-unknown": link("request-detail", draft)[:-3] + "00/",
        },
    )
    ui.goto(link("request-person-add", draft))
    ui.submit("Ajouter", "person-add-errors")
    ui.goto(reverse("onboarding:request-new"))
    ui.submit("Enregistrer le brouillon", "request-new-errors")


def test_staff_pages_pass_the_audit(ui, staff, structure):
    requested = HabilitationFactory(
        structure=structure, status=HabilitationStatus.REQUESTED
    )
    HabilitationFactory(structure=structure, valid_until="2099-06-30")
    submitted = HabilitationRequestFactory()
    RequestedPersonFactory(request=submitted, role="aidant", profession="CESF")
    services.submit_request(request=submitted, message="Bonjour")
    ui.login(staff.email, PASSWORD, TOTP_SECRET_B32)
    visit(
        ui,
        {
            "staff-home": reverse("onboarding:staff-home"),
            "staff-requests": reverse("onboarding:staff-requests"),
            "staff-request": reverse("onboarding:staff-request", args=[submitted.uuid]),
            "staff-refuse": reverse(
                "onboarding:staff-request-refuse", args=[submitted.uuid]
            ),
            "staff-accept": reverse(
                "onboarding:staff-request-accept", args=[submitted.uuid]
            ),
            "staff-habilitations": reverse("onboarding:staff-habilitations"),
            "staff-suspended": reverse("onboarding:staff-habilitations")
            + "?statut=suspended",
            "staff-activate": reverse(
                "onboarding:staff-habilitation-activate", args=[requested.uuid]
            ),
            "staff-end-dates": reverse("onboarding:staff-end-dates"),
            "staff-cards": reverse("onboarding:staff-cards"),
            "staff-cards-import": reverse("onboarding:staff-cards-import"),
            "staff-cards-assign": reverse("onboarding:staff-cards-assign"),
        },
    )
    ui.goto(reverse("onboarding:staff-cards-import"))
    ui.submit("Importer", "staff-cards-import-errors")
    ui.goto(reverse("onboarding:staff-request-refuse", args=[submitted.uuid]))
    ui.submit("Confirmer le refus", "staff-refuse-errors")
    ui.goto(reverse("onboarding:staff-request-changes", args=[submitted.uuid]))
    ui.submit("Envoyer la demande de modifications", "staff-changes-errors")


def test_referent_pages_pass_the_audit(ui, referent, structure, staff):
    suspended = HabilitationFactory(
        structure=structure, status=HabilitationStatus.SUSPENDED
    )
    rows = card_stock.parse_card_csv(f"C-1,{TOTP_SECRET_B32}\n")
    card_stock.import_cards(rows=rows, by=staff)
    card_stock.assign_cards(serials=["C-1"], structure=structure, by=staff)
    ui.login(referent.email, PASSWORD, TOTP_SECRET_B32)
    args = [suspended.uuid]
    visit(
        ui,
        {
            "aidant": reverse("aidants:referent-aidant", args=args),
            "reactivate": reverse(
                "aidants:referent-habilitation-reactivate", args=args
            ),
            "end-date": reverse("aidants:referent-habilitation-end-date", args=args),
            "card-pick": reverse("aidants:referent-card-pick", args=args),
            "terms": reverse("onboarding:terms"),
        },
    )
    ui.goto(reverse("aidants:referent-card-pick", args=args))
    ui.submit("Associer la carte", "card-pick-errors")

    # The backup codes, as a sheet to print: no site header, no buttons on paper.
    ui.page.set_viewport_size({"width": 375, "height": 900})
    ui.goto(reverse("aidants:backup-codes"))
    ui.submit("Générer de nouveaux codes", "backup-codes-sheet")
    assert ui.page.get_by_test_id("backup-codes").locator("li").count() >= 8
    assert ui.page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    assert ui.page.get_by_role("button", name="Imprimer cette feuille").is_visible()
    ui.page.emulate_media(media="print")
    assert not ui.page.locator("header.fr-header").is_visible()
    assert not ui.page.get_by_role("button", name="Imprimer cette feuille").is_visible()
    assert ui.page.get_by_test_id("backup-codes").is_visible()
