"""Server-side time of every page and endpoint on a database filled by
`bench.scale.load`, and the figures of the set-based jobs.

    .venv/bin/python -m bench.scale.report --database-url postgres://… --out large.json
    .venv/bin/python -m bench.scale.report --compare s1.json,s2.json l1.json,l2.json

Each request runs in-process through Django's test client (the whole middleware
stack, the view, the template; no network), one at a time, `--repeat` times
after two warm-up runs; the report gives the median and the 95th percentile in
ms and the number of SQL queries of one run. The same method at both scales.
The aidant is aidant 1 (structure 1, the large one; also its référent), the
service is `bench-scale-client`; a complete OIDC flow (list, pick, approve,
token, userinfo) is run per repetition. Ends with `purge_expired` (ms per purged
usager) unless `--no-purge`: that run changes the database (it purges).
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.scale.compare import compare
from bench.scale.shape import CLIENT_ID, uid

REDIRECT_URI = "https://service.bench.example/callback"
SECRET = "bench-scale-secret-" + "s" * 40


def _Browser():  # noqa: N802 - a class, built once Django is set up
    from django.test import Client

    class Browser(Client):
        """Every request as if over TLS (OAuth 2 refuses plain HTTP)."""

        def generic(self, *args, **kwargs):
            kwargs["secure"] = True
            return super().generic(*args, **kwargs)

    return Browser()


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-scale-not-secret")
    os.environ.setdefault("RELAIS_JOURNAL_WITNESS_DIR", "/tmp/relais-scale-witness")  # noqa: S108
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_LOG_LEVEL="WARNING",
        RELAIS_DEMO_SERVICE="0",
        RELAIS_RATELIMIT_VERIFY="1000000/h",
    )
    import django

    django.setup()


def _service():
    from oidc.models import Client

    client = Client.objects.filter(name=CLIENT_ID).first()
    if client is None:
        client = Client(
            name=CLIENT_ID,
            redirect_uris=[REDIRECT_URI],
            allowed_demarches=["social"],
        )
    client.set_secret(SECRET)
    client.save()
    return client


def _browser(aidant):
    from django_otp import DEVICE_ID_SESSION_KEY

    from aidants.models import TOTPDevice
    from onboarding.terms import accept_terms, current_version

    accept_terms(aidant=aidant, version=current_version())
    device = TOTPDevice.objects.filter(user=aidant).first()
    if device is None:
        key = secrets.token_bytes(20).hex()
        device = TOTPDevice.objects.create(
            user=aidant, name="bench", key=key, confirmed=True
        )
    browser = _Browser()
    browser.force_login(aidant)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return browser


def _usager_browser(usager):
    from mandats.usager_session import SESSION_KEY

    browser = _Browser()
    session = browser.session
    now = int(time.time())
    session[SESSION_KEY] = {"usager": str(usager.uuid), "since": now, "seen": now}
    session.save()
    return browser


def _context() -> dict:
    """The objects every measurement uses, read once (not timed)."""
    from aidants.models import Aidant, Structure
    from audit.models import JournalEntry
    from mandats.models import Mandat, Usager
    from mandats.signing import identity_snapshot, sign_mandat

    structure = Structure.objects.get(uuid=uid("structure", 1))
    aidant = Aidant.objects.get(uuid=uid("aidant", 1))
    listed = Usager.objects.with_live_autorisations(structure, ["social"])
    count = listed.count()
    middle = listed.order_by("family_name", "given_name", "pk")[count // 2]
    usager = Usager.objects.get(uuid=uid("usager", 5))
    mandat = Mandat.objects.filter(usager=usager).order_by("-created_at").first()
    if not mandat.signature:
        # The loader signs no mandate: sign this one as create_mandat does.
        mandat.usager_identity = identity_snapshot(usager)
        mandat.signature, mandat.signing_kid = sign_mandat(mandat, mandat.demarches())
        mandat.save(update_fields=["usager_identity", "signature", "signing_kid"])
    newest = JournalEntry.objects.order_by("-seq").values_list("created_at", flat=True)
    month_end = newest.first() - timedelta(days=365)
    month_start = month_end - timedelta(days=30)
    return {
        "structure": structure,
        "aidant": aidant,
        "middle": middle,
        "usager": usager,
        "usager_with_uses": Usager.objects.get(uuid=uid("usager", 1)),
        "mandat": mandat,
        "name": middle.family_name,
        "prefix": middle.family_name[:3],
        "birthdate": middle.birthdate.strftime("%d/%m/%Y"),
        "month": (month_start.date().isoformat(), month_end.date().isoformat()),
        "middle_seq": JournalEntry.objects.for_structure(structure.uuid)
        .filter(created_at__lt=month_end)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first(),
    }


def _pkce():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_url(service, challenge: str, **extra) -> str:
    params = {
        "response_type": "code",
        "client_id": service.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email birth",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oidc/authorize?" + urlencode(params)


class Timer:
    """Times calls into `samples`; a warm-up timer (`warming`) instead counts
    each call's SQL queries into `queries` (shared), untimed: a call is never
    repeated, since some are single-use (a code, a nonce)."""

    def __init__(self, repeat: int, queries: dict[str, int] | None = None):
        self.repeat = repeat
        self.samples: dict[str, list[float]] = {}
        self.warming = queries is not None
        self.queries: dict[str, int] = {} if queries is None else queries

    def time(self, name: str, call: Callable, expect: int = 200):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if self.warming:
            with CaptureQueriesContext(connection) as captured:
                response = _consume(call())
            self.queries[name] = len(captured)
        else:
            start = time.perf_counter()
            response = _consume(call())
            self.samples.setdefault(name, []).append(
                (time.perf_counter() - start) * 1000
            )
        if response.status_code != expect:
            where = response.get("Location", "")
            raise SystemExit(f"{name}: {response.status_code} {where}, not {expect}")
        return response

    def pages(self, name: str, call: Callable, expect: int = 200) -> None:
        Timer(1, self.queries).time(name, call, expect)
        call()
        for _ in range(self.repeat):
            self.time(name, call, expect)


def _consume(response):
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response


def _flow(timer: Timer, browser, service, ctx) -> None:
    """One complete OIDC flow, each step timed (fresh state, nonce, PKCE)."""
    verifier, challenge = _pkce()
    url = _authorize_url(service, challenge)
    timer.time("OIDC authorize: usager list, page 1", lambda: browser.get(url))
    picked = ctx["usager"].uuid
    timer.time(
        "OIDC démarche page (pick)",
        lambda: browser.get(f"{url}&relais_usager={picked}"),
    )
    form = parse_qs(urlsplit(url).query)
    form = {k: v[0] for k, v in form.items()}
    form.update(relais_usager=str(picked), relais_demarche="social")
    answer = timer.time(
        "OIDC approve (code issued)",
        lambda: browser.post("/oidc/authorize", form),
        expect=302,
    )
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{service.client_id}:{SECRET}".encode()).decode()
    token = timer.time(
        "OIDC token",
        lambda: browser.post(
            "/oidc/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            HTTP_AUTHORIZATION=f"Basic {basic}",
        ),
    )
    access = token.json()["access_token"]
    timer.time(
        "OIDC userinfo",
        lambda: browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}"),
    )


def _aidant_pages(timer: Timer, browser, service, ctx) -> None:
    _, challenge = _pkce()
    after = ctx["middle"].uuid
    for name, extra in (
        ("OIDC authorize: name search", {"relais_q": ctx["name"]}),
        ("OIDC authorize: 3-letter search", {"relais_q": ctx["prefix"]}),
        ("OIDC authorize: birthdate search", {"relais_q": ctx["birthdate"]}),
        ("OIDC authorize: deep page", {"relais_after": after}),
    ):
        url = _authorize_url(service, challenge, **extra)
        timer.pages(name, lambda url=url: browser.get(url))
    for name, params in (
        ("aidant /usagers/ page 1", {}),
        ("aidant /usagers/ name search", {"q": ctx["name"]}),
        ("aidant /usagers/ 3-letter search", {"q": ctx["prefix"]}),
        ("aidant /usagers/ birthdate search", {"q": ctx["birthdate"]}),
        ("aidant /usagers/ deep page", {"after": after}),
    ):
        timer.pages(name, lambda params=params: browser.get("/usagers/", params))
    usager, mandat = ctx["usager"], ctx["mandat"]
    timer.pages("aidant usager page", lambda: browser.get(f"/usagers/{usager.uuid}/"))
    timer.pages("aidant mandate page", lambda: browser.get(f"/mandats/{mandat.uuid}/"))
    timer.pages("aidant own journal page 1", lambda: browser.get("/journal/"))


def _referent_pages(timer: Timer, browser, ctx) -> None:
    since, until = ctx["month"]
    for name, params in (
        ("référent home", None),
        ("structure journal page 1", {}),
        ("structure journal by action", {"action": "token_issued"}),
        ("structure journal by month", {"date_from": since, "date_to": until}),
        ("structure journal deep page", {"after": ctx["middle_seq"]}),
    ):
        path = "/referent/" if params is None else "/referent/journal/"
        timer.pages(name, lambda path=path, params=params: browser.get(path, params))


def _export(browser, ctx, repeat: int) -> dict:
    """The one-month export `repeat` times: median and best rows/s, and the
    body's SHA-256 (the same bytes whatever the code that formats them)."""
    since, until = ctx["month"]
    params = {"format": "csv", "date_from": since, "date_to": until}
    runs = []
    for _ in range(repeat):
        digest = hashlib.sha256()
        start = time.perf_counter()
        response = browser.get("/referent/journal/export/", params)
        lines = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            digest.update(chunk)
        runs.append(time.perf_counter() - start)
    rows = lines - 1
    median = statistics.median(runs)
    return {
        "rows": rows,
        "runs": repeat,
        "seconds": round(median, 3),
        "rows_per_s": int(rows / median),
        "best_rows_per_s": int(rows / min(runs)),
        "sha256": digest.hexdigest(),
    }


def _purge() -> dict:
    from mandats.purge import purge_expired

    start = time.perf_counter()
    report = purge_expired()
    elapsed = time.perf_counter() - start
    purged = len(report.purged)
    return {
        "purged": purged,
        "seconds": round(elapsed, 3),
        "ms_per_usager": round(1000 * elapsed / purged, 2) if purged else None,
    }


def run(repeat: int, purge: bool) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    ctx = _context()
    service = _service()
    browser = _browser(ctx["aidant"])
    timer = Timer(repeat)
    for _ in range(2):
        _flow(Timer(1, timer.queries), browser, service, ctx)
    for _ in range(repeat):
        _flow(timer, browser, service, ctx)
    _aidant_pages(timer, browser, service, ctx)
    _referent_pages(timer, browser, ctx)
    verify = f"/verifier/{ctx['mandat'].public_id}"
    timer.pages("public /verifier/ page", lambda: _anonymous().get(verify))
    usager_browser = _usager_browser(ctx["usager"])
    timer.pages("usager space", lambda: usager_browser.get("/mon-espace/"))
    # Usager 1 has 50 uses at both scales: the page lists 20 of them.
    user_browser = _usager_browser(ctx["usager_with_uses"])
    timer.pages("usager space, 50 uses", lambda: user_browser.get("/mon-espace/"))
    rows = {}
    for name, samples in timer.samples.items():
        ordered = sorted(samples)
        rows[name] = {
            "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(
                ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1
            ),
            "queries": timer.queries[name],
        }
    result = {"rows": rows, "export": _export(browser, ctx, 7)}
    if purge:
        result["purge"] = _purge()
    return result


def _anonymous():
    return _Browser()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out")
    parser.add_argument("--no-purge", action="store_true")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("SMALL", "LARGE"),
        help="JSON reports to compare; several runs each as a,b,c: best of them",
    )
    args = parser.parse_args()
    if args.compare:
        print(compare(*args.compare))  # noqa: T201
        return
    _setup(args.database_url)
    result = run(args.repeat, purge=not args.no_purge)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text)
    print(text)  # noqa: T201


if __name__ == "__main__":
    main()
