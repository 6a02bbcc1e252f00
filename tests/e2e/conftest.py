"""Browser journeys: Debian's Chromium driven by Playwright against a live server.

Every test here is marked `e2e` and skipped when /usr/bin/chromium is absent
(`apt-get install chromium`; `.ci/run` installs it). `playwright install` is never
needed: Playwright drives the system Chromium.

The `ui` fixture gives a fresh browser context on a live Relais (SITE_URL = the
live server, FranceConnect = the local sandbox, mails in django.core.mail.outbox).
`ui.audit(name)` checks the page in the browser (axe-core, title, one main
landmark, labelled fields, errors linked to their field, no CSP violation), then
its layout at 1280 px and at 375 px wide (`layout_problems`: footer below the
content, nothing of `main` under the header or the footer, headings in order, no
horizontal scroll, submit buttons inside `main` and above the footer), and saves
a full-page screenshot in test-artifacts/screenshots/. At the end of each test, every
Relais page the browser displayed must have been audited.
"""

import base64
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail

from tests.e2e.smtp import smtp  # noqa: F401 (fixture: SMTP server on loopback)

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "static" / "vendor" / "axe" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots also copied to docs/screenshots/ (shown in the README) when the
# suite runs with RELAIS_DOCS_SCREENSHOTS=1: "<test>--<name>" -> file name.
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
DOCS_SHOTS = {
    "test_public_pages_pass_the_audit--home": "home.png",
    "test_invited_aidant_activates_account_and_logs_in--referent-invited": (
        "referent-space.png"
    ),
    "test_aidant_creates_mandate_and_its_qr_code_verifies--wizard-recap": (
        "mandate-wizard-recap.png"
    ),
    "test_aidant_acts_for_usager_in_demo_service--demo-service-acting": (
        "demo-service.png"
    ),
    "test_usager_sees_use_and_revokes_one_demarche--usager--usager-space": (
        "usager-space.png"
    ),
}
BLOCKING_IMPACTS = ("critical", "serious")
# The widths every page is laid out at: a desktop and a small phone.
LAYOUT_WIDTHS = (1280, 375)
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Browser tests skip on a machine without Chromium (plain `make test`)."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="needs Chromium at /usr/bin/chromium")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module (Playwright gives it a temporary profile);
    stopped after the module, so that its event loop never outlives the browser
    tests in a worker that runs other tests afterwards."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, and
    # Django refuses ORM calls under a running loop: the tests (and the flush
    # after each one) use the ORM from this thread while the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, started without the https redirect.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server thread
    builds its handler: the override must be active at that moment (the
    function-scoped `settings` fixture comes too late for this session server).
    """
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture
def site(live_server, franceconnect, settings):
    """The live server as the public site: links in mails and QR codes, the OIDC
    issuer and the demo online service all use its URL."""
    settings.SITE_URL = live_server.url
    settings.OIDC_ISSUER = ""
    settings.DEMO_SERVICE_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The client posts plain http to the live server: no https redirect. Secure
    # cookies stay on (Chromium treats http://localhost as a secure context).
    settings.SECURE_SSL_REDIRECT = False
    mail.outbox = []
    return live_server


def totp_code(secret_b32: str, offset_steps: int = 0) -> str:
    """The code an authenticator app shows for this base32 secret, computed with
    django-otp's algorithm (30 s steps, 6 digits, like the devices Relais makes)."""
    from django_otp.oath import TOTP

    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    totp = TOTP(base64.b32decode(padded.upper()), step=30, t0=0, digits=6)
    totp.time = time.time() + offset_steps * 30
    return f"{totp.token():06d}"


def next_totp_code(email: str, secret_b32: str) -> str:
    """The code an authenticator app shows next that the server will accept: the
    device remembers its last used step (a code is single-use) and its drift,
    so a login right after another one, or right after enrolment near a step
    boundary, needs the following step rather than "now"."""
    from django_otp.oath import hotp

    from aidants.models import TOTPDevice

    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    key = base64.b32decode(padded.upper())
    devices = TOTPDevice.objects.filter(user__email=email, confirmed=True)
    device = next(d for d in devices if d.bin_key == key)
    while True:
        now_step = int(time.time() - device.t0) // device.step + device.drift
        target = max(now_step, device.last_t + 1)
        if target <= now_step + device.tolerance:
            return f"{hotp(key, target, device.digits):0{device.digits}d}"
        time.sleep(1)  # the last code used was ahead of the clock: wait for it


DSFR_READY_JS = """
() => document.documentElement.getAttribute("data-fr-js") === "true"
  && [...document.querySelectorAll(".fr-modal")].every(
       // DSFR drops the static aria-labelledby of a closed modal, or makes it
       // a named dialog when it opens: either way it has processed it.
       // A hidden one (a closed menu on a small screen) is out of axe's reach.
       (modal) => modal.getAttribute("role") === "dialog"
         || !modal.hasAttribute("aria-labelledby")
         || !modal.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
"""

AUDIT_PAGE_JS = """
() => {
  const problems = [];
  const title = document.title.trim();
  if (!title || /untitled/i.test(title) || title.startsWith("—"))
    problems.push(`page without a proper title: "${title}"`);
  if (!document.documentElement.lang) problems.push("<html> without lang");
  const mains = document.querySelectorAll("main, [role=main]");
  if (mains.length !== 1) problems.push(`${mains.length} main landmarks`);
  if (document.querySelectorAll("h1").length < 1) problems.push("no <h1>");
  const fields = document.querySelectorAll(
    "input:not([type=hidden]):not([hidden]), select, textarea");
  for (const el of fields) {
    const labelled = (el.labels && el.labels.length) ||
      el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`field without label: ${el.outerHTML.slice(0, 120)}`);
  }
  const errors = document.querySelectorAll(
    ".fr-error-text, .fr-message--error, .errorlist:not(.nonfield)");
  for (const el of errors) {
    let node = el, linked = false;
    while (node && node !== document.body && !linked) {
      if (node.id) {
        const id = CSS.escape(node.id);
        linked = !!document.querySelector(
          `[aria-describedby~="${id}"], [aria-labelledby~="${id}"]`);
      }
      node = node.parentElement;
    }
    if (!linked) problems.push(`error not linked to a field: ${el.textContent.trim()}`);
  }
  // DSFR shows only the icon of a button inside a group without the group's
  // icon class: sighted users lose the text that the author meant them to see.
  const iconButtons = ".fr-btn--icon-left, .fr-btn--icon-right";
  for (const el of document.querySelectorAll(iconButtons)) {
    if (el.offsetParent !== null && el.scrollWidth > el.clientWidth + 2)
      problems.push(`button text hidden behind its icon: ${el.textContent.trim()}`);
  }
  return problems;
}
"""

LAYOUT_JS = (Path(__file__).parent / "layout.js").read_text(encoding="utf-8")

AXE_RUN_JS = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}
"""


def layout_problems(page, widths=LAYOUT_WIDTHS) -> list[str]:
    """The layout checks (LAYOUT_JS) at each width, then the viewport as it was.
    A page with an open DSFR dialog (the small-screen menu) is checked at its
    own width only: a resize closes the dialog under the journey's feet."""
    size = page.viewport_size
    if page.locator(".fr-modal--opened").count():
        widths = (size["width"],)
    problems = []
    try:
        for width in widths:
            if width != page.viewport_size["width"]:
                page.set_viewport_size({"width": width, "height": size["height"]})
                # One frame for layout and DSFR's resize handlers.
                page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => r()))"
                )
            problems += [f"at {width} px: {p}" for p in page.evaluate(LAYOUT_JS)]
    finally:
        if page.viewport_size != size:
            page.set_viewport_size(size)
    return problems


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"accessibility violations on {url}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    at {node['target']}: {summary[:300]}")
    return "\n".join(lines)


@dataclass
class Ui:
    """One browser tab on the live site, with the checks every page must pass."""

    page: object
    base_url: str
    test_name: str
    displayed: list[str] = field(default_factory=list)
    audited: set[str] = field(default_factory=set)
    csp_errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}{path}"

    def is_relais(self, url: str) -> bool:
        return url.startswith(self.base_url + "/")

    def goto(self, path: str, name: str | None = None):
        response = self.page.goto(self.url(path))
        self.audit(name)
        return response

    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path

    def audit(self, name: str | None = None) -> None:
        """Run the accessibility checks on the current page; save a screenshot
        (test-artifacts/screenshots/<test>--<name>.png) when `name` is given."""
        page = self.page
        page.wait_for_load_state("load")
        url = page.url
        if self.is_relais(url):
            # Audit the page as people get it: after DSFR's script has set up its
            # components (the header menu's ARIA attributes, for one).
            page.wait_for_function(DSFR_READY_JS, timeout=5000)
            problems = page.evaluate(AUDIT_PAGE_JS)
            assert not problems, f"{url}: " + "; ".join(problems)
            # add_script_tag would inline the script, which the CSP (nonces only)
            # rightly blocks: evaluate the same file through the DevTools protocol.
            page.evaluate(AXE_JS.read_text(encoding="utf-8"))
            found = page.evaluate(AXE_RUN_JS)
            minor = [v for v in found if v["impact"] not in BLOCKING_IMPACTS]
            if minor:
                # Not blocking, kept for review in test-artifacts/.
                with (SCREENSHOTS.parent / "axe-minor.txt").open("a") as report:
                    report.write(format_violations(urlsplit(url).path, minor) + "\n")
            violations = [v for v in found if v["impact"] in BLOCKING_IMPACTS]
            assert not violations, format_violations(url, violations)
            layout = layout_problems(page)
            if layout:  # the picture that explains the failure
                failed = SCREENSHOTS / f"{self.test_name}--layout-failure.png"
                page.screenshot(path=str(failed), full_page=True)
            assert not layout, f"layout of {url}:\n" + "\n".join(layout)
            self.audited.add(url)
        if name:
            shot = f"{self.test_name}--{name}"
            # The whole page, not the viewport: what lies below the fold is
            # what a cropped screenshot hides.
            page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
            if shot in DOCS_SHOTS and os.environ.get("RELAIS_DOCS_SCREENSHOTS"):
                page.screenshot(
                    path=str(DOCS_SCREENSHOTS / DOCS_SHOTS[shot]), full_page=True
                )

    def submit(self, button: str, name: str | None = None) -> None:
        """Click the button named `button` and audit the page it leads to."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button).click()
        self.audit(name)

    def follow(self, link: str, name: str | None = None) -> None:
        """Click the (first) link named `link` and audit the page it leads to."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link).first.click()
        self.audit(name)

    def field(self, label: str):
        """The field whose label starts with `label` (then a required mark, a
        hint or nothing)."""
        return self.page.get_by_label(re.compile(rf"^\s*{re.escape(label)}(?![\w'’])"))

    def tick(self, label: str) -> None:
        """Tick a DSFR checkbox or radio by clicking its label, as people do (the
        styled label covers the input)."""
        box = self.field(label)
        self.page.locator(f'label[for="{box.get_attribute("id")}"]').click()
        assert box.is_checked(), label

    def fill(self, label: str, value: str) -> None:
        self.field(label).fill(value)

    def text(self) -> str:
        return self.page.locator("body").inner_text()

    def login(
        self,
        email: str,
        password: str,
        secret_b32: str,
        name: str | None = None,
    ) -> None:
        """Password then OTP through the real pages; ends on the page after login."""
        self.goto("/connexion/", "login")
        self.fill("Adresse électronique", email)
        self.fill("Mot de passe", password)
        self.submit("Se connecter", "otp")
        self.otp(next_totp_code(email, secret_b32), name)

    def otp(self, code: str, name: str | None = None) -> None:
        """The second factor; a first login (or a new version of the terms of
        use) then goes through the terms page, accepted here."""
        self.fill("Code à usage unique", code)
        self.submit("Valider", None if name is None else name)
        if self.path() == "/conditions-d-utilisation/":
            self.tick("J'ai lu et j'accepte les conditions d'utilisation")
            self.submit("Accepter et continuer", name)


@contextmanager
def browsing(chromium, base_url: str, name: str):
    """A fresh browser context (one person, one device) and its Ui; on exit,
    fails on CSP violations, JS errors and displayed pages left unaudited."""
    context = chromium.new_context(
        locale="fr-FR",
        viewport={"width": 1280, "height": 800},
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    state = Ui(page=page, base_url=base_url, test_name=name)

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            state.csp_errors.append(f"{page.url}: {message.text}")

    def on_navigated(frame):
        if frame == page.main_frame and state.is_relais(frame.url):
            state.displayed.append(frame.url)

    def on_error(error):
        state.csp_errors.append(f"JS error on {page.url}: {error}\n{error.stack}")

    page.on("console", on_console)
    page.on("framenavigated", on_navigated)
    page.on("pageerror", on_error)
    try:
        yield state
        assert not state.csp_errors, "\n".join(state.csp_errors)
        missed = [url for url in state.displayed if url not in state.audited]
        assert not missed, f"pages displayed but not audited: {missed}"
    finally:
        context.close()


def _test_name(request) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower()).strip("-")


@pytest.fixture
def ui(chromium, site, request):
    """The browser of the journey's main person (an aidant, usually)."""
    with browsing(chromium, site.url, _test_name(request)) as state:
        yield state


@pytest.fixture
def usager_ui(chromium, site, request):
    """A second browser, on the usager's own device."""
    with browsing(chromium, site.url, _test_name(request) + "--usager") as state:
        yield state
