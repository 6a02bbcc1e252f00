"""Benchmark: complete OIDC flows from N concurrent aidants against gunicorn.

    .venv/bin/python -m bench.oidc_flow [--aidants 8[,16]] [--flows 20]
        [--workers 2] [--threads 4] [--worker-class gthread|sync]
        [--database-url URL] [--baseline REV]
        [--rounds 2] [--warmup 5] [--profile-dir DIR] [--json]

Builds a throwaway SQLite database (or uses the empty database given by
`--database-url`), runs `seed_demo --aidants N`, adds usagers with live mandates
in the demo structure, starts gunicorn on loopback (production settings, DEBUG
off) and drives, from N threads (one per aidant, each logged in with password and
a TOTP code computed from its secret), complete flows as a browser plus a
relying party would:

    authorize (usager list) -> pick (démarche page) -> approve (code)
    -> token (client_secret_basic + PKCE) -> userinfo

It reports flows per second, p50/p95 per step, the server's CPU time per flow
(gunicorn master and workers, from /proc), the driver's own (this process) and,
with PostgreSQL on this machine, the database server's (its processes).
The measured phases are driven by `bench/wire.py`, a light client (one
connection for the browser's three requests of a flow, one for the relying
party's two); login uses `requests`. The project's own database is never touched.

`--baseline REV` checks REV out into a temporary `git worktree`, prepares its own
database with REV's code (a second PostgreSQL database next to the given one) and
starts a second gunicorn from that tree (same venv, the tree first on PYTHONPATH
and as cwd). The measured phases alternate between the two servers, round after
round, and both are reported side by side. `--profile-dir` records a py-spy
flame graph (SVG) of each server's first phase at each concurrency.

Before the measured rounds, each server runs `--warmup` flows per aidant at the
highest concurrency, not measured: what a server does once (each thread's
database connection, PostgreSQL's caches in each new backend, a statement
prepared once a connection ran it 5 times) is not a cost per flow. 0 measures
from a cold start.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
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

from bench.wire import Wire, basic

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


def start_gunicorn(
    env, port, workers, threads, cwd=BASE_DIR, worker_class="gthread", app="config.wsgi"
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
        # Longer than any pause of a driver thread: a pooled connection closed
        # by the server at the moment it is reused is a reset, not a finding.
        "--keep-alive",
        "30",
    ]
    process = subprocess.Popen(command, cwd=cwd, env=env)  # noqa: S603
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


def database_cpu_seconds() -> float:
    """User + system CPU of this machine's PostgreSQL processes (0 when the
    server runs elsewhere): a flow's cost on the database's side."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(" (")[2].rpartition(")")
        if name == "postgres":
            # Its own time and that of its exited children (a backend whose
            # connection closed during the phase is counted by the postmaster).
            fields = rest.split()
            total += sum(int(value) for value in fields[11:15])
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


def authorization_request(rp: dict) -> tuple[str, str]:
    """A fresh authorization request of `rp` (PKCE S256, state, nonce): its code
    verifier and the authorize path with its query."""
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
    return verifier, "/oidc/authorize?" + urlencode(params)


def token_form(rp: dict, code: str, verifier: str) -> dict[str, str]:
    """The token request's body for `code` (client_secret_basic goes in a header)."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": rp["redirect_uri"],
        "code_verifier": verifier,
    }


def one_flow(browser: Wire, service: Wire, rp: dict, timings) -> None:
    """authorize -> pick -> approve as the aidant's browser, then token and
    userinfo as the relying party's back end."""
    verifier, url = authorization_request(rp)

    def timed(step, call):
        start = time.perf_counter()
        result = call()
        timings[step].append(time.perf_counter() - start)
        return result

    listing = timed("authorize", lambda: browser.get(url))
    check(listing.status == 200, f"authorize: {listing.status}")
    usagers = USAGER_LINK.findall(listing.text)
    picked = secrets.choice(usagers)
    page = timed("pick", lambda: browser.get(f"{url}&relais_usager={picked}"))
    check(page.status == 200, f"pick: {page.status}")
    form = fields_of(page.text)
    form.update(relais_usager=picked, relais_demarche="social")
    answer = timed("approve", lambda: browser.post("/oidc/authorize", form))
    check(answer.status == 302, f"approve: {answer.status}")
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    form = token_form(rp, code, verifier)
    credentials = basic(rp["client_id"], rp["client_secret"])
    token = timed("token", lambda: service.post("/oidc/token", form, credentials))
    check(token.status == 200, f"token: {token.status} {token.text}")
    bearer = {"Authorization": f"Bearer {json.loads(token.text)['access_token']}"}
    info = timed("userinfo", lambda: service.get("/oidc/userinfo", bearer))
    check(info.status == 200, f"userinfo: {info.status}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def tree_env(env: dict[str, str], tree: Path) -> dict[str, str]:
    """The environment of a process running the code of `tree`."""
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(tree), env.get("PYTHONPATH", "")) if p
    )
    return env


def prepare_tree(tree: Path, env: dict[str, str], aidants: int) -> dict:
    """`prepare` run by the code of `tree` (its models, migrations and seed)."""
    code = (
        "import json, os\n"
        "from bench.oidc_flow import prepare\n"
        f"print(json.dumps(prepare(dict(os.environ), {aidants})))\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=tree,
        env=tree_env(env, tree),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"prepare failed in {tree}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _pg_database(base_url: str, name: str) -> str:
    """A fresh database `name` on the server of `base_url`; its URL."""
    import psycopg

    parts = urlsplit(base_url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


class Target:
    """One server under test: a tree, its database, its gunicorn, logged-in
    browsers."""

    def __init__(self, name: str, tree: Path, database_url: str, args):
        self.name, self.tree = name, tree
        self.port = free_port()
        self.env = server_env(database_url, self.port)
        self.database = database_url.split(":", 1)[0]
        seed = prepare_tree(tree, self.env, max(args.aidants))
        self.rp = seed["client"]
        self.server = start_gunicorn(
            tree_env(self.env, tree),
            self.port,
            args.workers,
            args.threads,
            tree,
            args.worker_class,
        )
        self.browsers = []
        for account in seed["aidants"][: max(args.aidants)]:
            browser = Browser(f"http://127.0.0.1:{self.port}")
            login(browser, account)
            self.browsers.append(browser)

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=10)


def measure(target: Target, aidants: int, flows: int, profile: Path | None) -> dict:
    """One phase: `aidants` threads, `flows` complete flows each."""
    timings: dict[str, list[float]] = {step: [] for step in STEPS}
    errors: list[str] = []
    lock = threading.Lock()

    def worker(browser: Browser):
        local: dict[str, list[float]] = {step: [] for step in STEPS}
        cookies = {cookie.name: cookie.value for cookie in browser.session.cookies}
        aidant = Wire("127.0.0.1", target.port, cookies)
        service = Wire("127.0.0.1", target.port)
        for _ in range(flows):
            try:
                one_flow(aidant, service, target.rp, local)
            except (FlowError, OSError, http.client.HTTPException) as exc:
                errors.append(str(exc))
            # New connections for the next flow: a connection stays with the
            # worker that accepted it, and eight long-lived ones could leave a
            # worker with most of the load (nginx spreads its requests over idle
            # upstream connections; a fixed driver thread cannot).
            aidant.close()
            service.close()
        with lock:
            for step in STEPS:
                timings[step].extend(local[step])

    spy = _start_profile(target.server.pid, profile) if profile else None
    cpu_before = cpu_seconds(target.server.pid)
    client_before = time.process_time()
    database_before = database_cpu_seconds()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, args=(b,)) for b in target.browsers[:aidants]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(target.server.pid) - cpu_before
    client_cpu = time.process_time() - client_before
    database_cpu = database_cpu_seconds() - database_before
    if spy is not None:
        _stop_profile(spy)
    return {
        "flows": len(timings["userinfo"]),
        "errors": errors,
        "elapsed": elapsed,
        "cpu": cpu,
        "client_cpu": client_cpu,
        "database_cpu": database_cpu,
        "timings": timings,
    }


def _start_profile(pid: int, path: Path) -> subprocess.Popen:
    """py-spy (installed for profiling only) on the master and its workers."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--pid", str(pid), "--subprocesses"]
    kind = "raw" if path.suffix == ".txt" else "flamegraph"
    command += ["--rate", "100", "--format", kind, "--output", str(path)]
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(1.0)  # let it attach before the phase starts
    return process


def _stop_profile(process: subprocess.Popen) -> None:
    import signal

    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)


def summarize(phases: list[dict], target: Target, aidants: int, args) -> dict:
    flows = sum(p["flows"] for p in phases)
    elapsed = sum(p["elapsed"] for p in phases)
    cpu = sum(p["cpu"] for p in phases)
    client_cpu = sum(p["client_cpu"] for p in phases)
    database_cpu = sum(p["database_cpu"] for p in phases)
    errors = [e for p in phases for e in p["errors"]]
    timings = {s: [v for p in phases for v in p["timings"][s]] for s in STEPS}
    return {
        "target": target.name,
        "aidants": aidants,
        "flows": flows,
        "errors": len(errors),
        "first_errors": errors[:3],
        "elapsed_s": round(elapsed, 2),
        "flows_per_s": round(flows / elapsed, 2) if elapsed else 0,
        "server_cpu_ms_per_flow": round(1000 * cpu / flows, 1) if flows else None,
        "client_cpu_ms_per_flow": (
            round(1000 * client_cpu / flows, 1) if flows else None
        ),
        "database_cpu_ms_per_flow": (
            round(1000 * database_cpu / flows, 1) if flows and database_cpu else None
        ),
        "gunicorn": {
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
        },
        "database": target.database,
        "steps_ms": {
            step: {
                "p50": round(1000 * statistics.median(values), 1),
                "p95": round(1000 * percentile(values, 0.95), 1),
            }
            for step, values in timings.items()
            if values
        },
    }


def _baseline_tree(rev: str, workdir: Path) -> Path:
    tree = workdir / "baseline"
    subprocess.run(  # noqa: S603
        ["git", "worktree", "add", "--detach", str(tree), rev],  # noqa: S607
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )
    return tree


def _remove_tree(tree: Path) -> None:
    subprocess.run(  # noqa: S603
        ["git", "worktree", "remove", "--force", str(tree)],  # noqa: S607
        cwd=BASE_DIR,
        check=False,
        capture_output=True,
    )


def _database_url(args, workdir: Path, name: str) -> str:
    if not args.database_url:
        return f"sqlite:///{workdir / (name + '.sqlite3')}"
    if name == "new":
        return args.database_url
    base = urlsplit(args.database_url).path.lstrip("/") or "relais_bench"
    return _pg_database(args.database_url, f"{base}_{name}")


def run(args) -> list[dict]:
    """All phases, alternating targets round after round; one summary per
    (target, concurrency)."""
    workdir = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    targets: list[Target] = []
    tree = None
    try:
        targets.append(
            Target("new", BASE_DIR, _database_url(args, workdir, "new"), args)
        )
        if args.baseline:
            tree = _baseline_tree(args.baseline, workdir)
            url = _database_url(args, workdir, "baseline")
            targets.append(Target(f"baseline {args.baseline}", tree, url, args))
        for target in targets:
            if args.warmup:
                warm = measure(target, max(args.aidants), args.warmup, None)
                if warm["errors"]:
                    raise SystemExit(f"{target.name}, warm-up: {warm['errors'][:3]}")
        phases: dict[tuple[int, int], list[dict]] = {}
        for round_index in range(args.rounds):
            for aidants in args.aidants:
                order = targets if round_index % 2 == 0 else targets[::-1]
                for target in order:
                    target_index = targets.index(target)
                    profile = None
                    if args.profile_dir and round_index == 0:
                        tag = "new" if target_index == 0 else "baseline"
                        name = f"{tag}-c{aidants}.{args.profile_format}"
                        profile = Path(args.profile_dir) / name
                    phase = measure(target, aidants, args.flows, profile)
                    phases.setdefault((target_index, aidants), []).append(phase)
        return [
            summarize(phases[(i, a)], targets[i], a, args)
            for a in args.aidants
            for i in range(len(targets))
        ]
    finally:
        for target in targets:
            target.stop()
        if tree is not None:
            _remove_tree(tree)
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: list[dict], args) -> str:
    lines = [
        f"{results[0]['database']}, gunicorn {args.worker_class} "
        f"{args.workers}x{args.threads}, "
        f"{args.rounds} round(s) of {args.flows} flows per aidant "
        f"(after {args.warmup} unmeasured)",
        f"{'target':<22} {'aidants':>7} {'flows':>6} {'errors':>6} "
        f"{'flows/s':>8} {'CPU ms/flow':>11} {'driver CPU':>10} {'DB CPU':>7}  "
        + "  ".join(f"{s + ' p50':>13}" for s in STEPS),
    ]
    for r in results:
        lines.append(
            f"{r['target']:<22} {r['aidants']:>7} {r['flows']:>6} {r['errors']:>6} "
            f"{r['flows_per_s']:>8} {r['server_cpu_ms_per_flow']!s:>11} "
            f"{r['client_cpu_ms_per_flow']!s:>10} "
            f"{r['database_cpu_ms_per_flow'] or '-'!s:>7}  "
            + "  ".join(
                f"{r['steps_ms'].get(s, {}).get('p50', '-')!s:>13}" for s in STEPS
            )
        )
        if r["first_errors"]:
            lines.append(f"    errors: {r['first_errors']}")
    if args.baseline:
        for aidants in args.aidants:
            pair = [r for r in results if r["aidants"] == aidants]
            new, old = pair[0], pair[1]
            if old["flows_per_s"]:
                lines.append(
                    f"c={aidants}: {new['flows_per_s'] / old['flows_per_s']:.2f}x "
                    f"the baseline's flows/s, CPU per flow "
                    f"{old['server_cpu_ms_per_flow']} -> "
                    f"{new['server_cpu_ms_per_flow']} ms"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--aidants",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[8],
        help="concurrent aidants, one figure per value (e.g. 8,16)",
    )
    parser.add_argument("--flows", type=int, default=20, help="flows per aidant")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--worker-class",
        choices=("gthread", "sync"),
        default="gthread",
        help="gthread: deploy/gunicorn.conf.py's; sync: one request per process",
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--baseline", default="", help="git revision to compare")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--warmup",
        type=int,
        default=5,
        help="unmeasured flows per aidant, each server, before the rounds",
    )
    parser.add_argument("--profile-dir", default="")
    parser.add_argument(
        "--profile-format",
        choices=("svg", "txt"),
        default="svg",
        help="svg: flame graph; txt: collapsed stacks",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args)
    if args.json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
        return
    sys.stdout.write(report(results, args))


if __name__ == "__main__":
    main()
