"""Benchmark: complete OIDC flows from N concurrent aidants against gunicorn.

    .venv/bin/python -m bench.oidc_flow [--aidants 8] [--flows 20] [--workers 2]
        [--threads 4] [--database-url URL] [--json]

Builds a throwaway SQLite database (or uses the empty database given by
`--database-url`), runs `seed_demo --aidants N`, adds usagers with live mandates
in the demo structure, starts gunicorn on loopback (production settings, DEBUG
off) and drives, from N threads (one per aidant, each logged in with password and
a TOTP code computed from its secret), complete flows as a browser plus a
relying party would:

    authorize (usager list) -> pick (démarche page) -> approve (code)
    -> token (client_secret_basic + PKCE) -> userinfo

It reports flows per second, p50/p95 per step, and the server's CPU time per flow
(gunicorn master and workers, from /proc). The project's own database is never
touched.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
STEPS = ("authorize", "pick", "approve", "token", "userinfo")
USAGERS = 20
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
USAGER_LINK = re.compile(r"relais_usager=([0-9a-f-]{36})")


class FlowError(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise FlowError(message)


def totp(secret_b32: str, at: float | None = None) -> str:
    """RFC 6238 code (SHA-1, 30 s, 6 digits), as the aidant's app computes it."""
    key = base64.b32decode(secret_b32)
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="bench-only-" + "k" * 40,
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        RELAIS_SITE_URL=f"http://127.0.0.1:{port}",
        RELAIS_LOGIN_FAILURE_LIMIT="1000",
        RELAIS_DEMO_SERVICE="0",
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def prepare(env: dict[str, str], aidants: int) -> dict:
    """Migrate, seed, add usagers with live mandates; return the seed output.
    This process installs the demo app for `seed_demo` (RELAIS_DEMO=1); the
    measured gunicorn runs production's settings, without it."""
    os.environ.update(env, RELAIS_DEMO="1")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    out = _call_json("seed_demo", "--aidants", str(aidants), "--json")
    _ensure_usagers(out["structure"]["siret"])
    return out


def _call_json(*args: str) -> dict:
    from io import StringIO

    from django.core.management import call_command

    buffer = StringIO()
    call_command(*args, stdout=buffer)
    return json.loads(buffer.getvalue())


def _ensure_usagers(siret: str) -> None:
    """Bench data: usagers with a live 'social' mandate in the demo structure
    (the demo seed's own usagers are used too when present)."""
    from datetime import date

    from django.utils import timezone

    from aidants.models import Aidant, Structure
    from mandats.models import Autorisation, Mandat, Usager

    structure = Structure.objects.get(siret=siret)
    creator = Aidant.objects.filter(current_structure=structure).first()
    now = timezone.now()
    for index in range(USAGERS):
        usager, _ = Usager.objects.get_or_create(
            fc_issuer="bench",
            fc_sub=f"bench-{index}",
            defaults={
                "given_name": f"Camille{index}",
                "family_name": "Banc",
                "birthdate": date(1950, 1, 1) + timedelta(days=index * 97),
                "gender": "female",
                "birthplace": "75107",
                "birthcountry": "99100",
            },
        )
        if Autorisation.objects.live().filter(
            usager=usager, structure=structure, demarche="social"
        ):
            continue
        mandat = Mandat.objects.create(
            usager=usager,
            structure=structure,
            created_by=creator,
            created_at=now,
            expires_at=now + timedelta(days=365),
            duration_days=365,
        )
        Autorisation.objects.create(
            mandat=mandat, usager=usager, structure=structure, demarche="social"
        )


def start_gunicorn(env, port, workers, threads) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)  # noqa: S603
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU of `root_pid` and its children (gunicorn workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


class Browser:
    """A browser for plain-http loopback: production cookies are Secure, so the
    flag is dropped here (the server cannot tell)."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def _unsecure(self):
        for cookie in self.session.cookies:
            cookie.secure = False

    def get(self, url, **kw):
        response = self.session.get(self._abs(url), allow_redirects=False, **kw)
        self._unsecure()
        return response

    def post(self, url, data, **kw):
        response = self.session.post(
            self._abs(url), data=data, allow_redirects=False, **kw
        )
        self._unsecure()
        return response

    def _abs(self, url):
        return url if url.startswith("http") else self.base + url


def fields_of(page: str) -> dict[str, str]:
    import html

    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def login(browser: Browser, account: dict) -> None:
    page = browser.get("/connexion/")
    data = fields_of(page.text)
    data.update(email=account["email"], password=account["password"])
    response = browser.post("/connexion/", data)
    check(response.status_code == 302, f"login: {response.status_code}")
    page = browser.get(response.headers["Location"])
    data = fields_of(page.text)
    data["otp_token"] = totp(account["totp_secret"])
    response = browser.post(urlsplit(page.url).path, data)
    check(response.status_code == 302, f"otp: {response.status_code}")


def one_flow(browser: Browser, rp: dict, timings: dict[str, list[float]]) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    params = {
        "response_type": "code",
        "client_id": rp["client_id"],
        "redirect_uri": rp["redirect_uri"],
        "scope": "openid profile email birth",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = "/oidc/authorize?" + urlencode(params)

    def timed(step, call):
        start = time.perf_counter()
        result = call()
        timings[step].append(time.perf_counter() - start)
        return result

    listing = timed("authorize", lambda: browser.get(url))
    check(listing.status_code == 200, f"authorize: {listing.status_code}")
    usagers = USAGER_LINK.findall(listing.text)
    picked = secrets.choice(usagers)
    page = timed("pick", lambda: browser.get(f"{url}&relais_usager={picked}"))
    form = fields_of(page.text)
    form.update(relais_usager=picked, relais_demarche="social")
    answer = timed("approve", lambda: browser.post("/oidc/authorize", form))
    check(answer.status_code == 302, f"approve: {answer.status_code}")
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = timed(
        "token",
        lambda: requests.post(
            browser.base + "/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": rp["redirect_uri"],
                "code_verifier": verifier,
            },
            auth=(rp["client_id"], rp["client_secret"]),
            timeout=30,
        ),
    )
    check(token.status_code == 200, f"token: {token.status_code} {token.text}")
    access = token.json()["access_token"]
    info = timed(
        "userinfo",
        lambda: requests.get(
            browser.base + "/oidc/userinfo",
            headers={"Authorization": f"Bearer {access}"},
            timeout=30,
        ),
    )
    check(info.status_code == 200, f"userinfo: {info.status_code}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    port = free_port()
    env = server_env(database_url, port)
    seed = prepare(env, args.aidants)
    accounts = seed["aidants"][: args.aidants]
    rp = seed["client"]
    server = start_gunicorn(env, port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    try:
        browsers = []
        for account in accounts:
            browser = Browser(base)
            login(browser, account)
            browsers.append(browser)
        timings: dict[str, list[float]] = {step: [] for step in STEPS}
        errors: list[str] = []
        lock = threading.Lock()

        def worker(browser):
            local = {step: [] for step in STEPS}
            for _ in range(args.flows):
                try:
                    one_flow(browser, rp, local)
                except (FlowError, requests.RequestException) as exc:
                    errors.append(str(exc))
            with lock:
                for step in STEPS:
                    timings[step].extend(local[step])

        cpu_before = cpu_seconds(server.pid)
        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(b,)) for b in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    flows = len(timings["userinfo"])
    return {
        "aidants": len(browsers),
        "flows": flows,
        "errors": len(errors),
        "first_errors": errors[:3],
        "elapsed_s": round(elapsed, 2),
        "flows_per_s": round(flows / elapsed, 2) if elapsed else 0,
        "server_cpu_ms_per_flow": round(1000 * cpu / flows, 1) if flows else None,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "database": database_url.split(":", 1)[0],
        "steps_ms": {
            step: {
                "p50": round(1000 * statistics.median(values), 1),
                "p95": round(1000 * percentile(values, 0.95), 1),
            }
            for step, values in timings.items()
            if values
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aidants", type=int, default=8)
    parser.add_argument("--flows", type=int, default=20, help="flows per aidant")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    lines = [
        f"{result['aidants']} aidants, {result['flows']} flows "
        f"({result['errors']} errors) in {result['elapsed_s']} s "
        f"on {result['database']}, gunicorn {args.workers}x{args.threads}",
        f"throughput: {result['flows_per_s']} flows/s; "
        f"server CPU: {result['server_cpu_ms_per_flow']} ms per flow",
    ]
    for step, figures in result["steps_ms"].items():
        lines.append(
            f"  {step:<10} p50 {figures['p50']:>7} ms  p95 {figures['p95']:>7} ms"
        )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
