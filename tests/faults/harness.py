"""The fault suite's machinery: a throwaway database on the PostgreSQL cluster of
DATABASE_URL, gunicorn instances started with deploy/gunicorn.conf.py, complete
OIDC flows as load (bench/oidc_flow.py), and the cluster's pg_ctl."""

import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
import requests

from bench import oidc_flow

BASE_DIR = Path(__file__).resolve().parents[2]
JOURNALED_STEPS = {
    "approve": "mandat_used",
    "token": "token_issued",
    "userinfo": "userinfo_served",
}


def free_port() -> int:
    return oidc_flow.free_port()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(base_url: str) -> tuple[str, str]:
    """Create an empty database next to DATABASE_URL's; return (name, url)."""
    name = f"relais_fault_{secrets.token_hex(4)}"
    with psycopg.connect(_with_database(base_url, "postgres"), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return name, _with_database(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    with psycopg.connect(_with_database(base_url, "postgres"), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, port: int) -> dict[str, str]:
    env = oidc_flow.server_env(database_url, port)
    env.update(
        DJANGO_LOG_LEVEL="INFO",
        DJANGO_LOG_FORMAT="json",
        RELAIS_JOURNAL_LOCK_LOG_LEVEL="DEBUG",
        RELAIS_GUNICORN_BIND=f"127.0.0.1:{port}",
        RELAIS_GUNICORN_WORKERS="2",
        RELAIS_GUNICORN_THREADS="4",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


def prepare(env: dict[str, str], aidants: int) -> dict:
    """Migrate, seed and add usagers (bench.oidc_flow.prepare) in a subprocess."""
    code = (
        "import json, os, sys\n"
        "from bench.oidc_flow import prepare\n"
        f"print(json.dumps(prepare(dict(os.environ), {aidants})))\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Instance:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def journal_lock_ms(self, key: str = "journal_lock_ms") -> list[float]:
        values = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if f'"{key}"' in line:
                try:
                    values.append(json.loads(line)[key])
                except (ValueError, KeyError):
                    continue
        return values

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines


def start_instance(name: str, env: dict[str, str], port: int, workdir: Path):
    log_path = workdir / f"{name}.log"
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(BASE_DIR / "deploy" / "gunicorn.conf.py"),
            "config.wsgi",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    instance = Instance(name, port, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{instance.base}/healthz", timeout=1).ok:
                return instance
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {name} did not start: {log_path.read_text()[-2000:]}")


def stop_instance(instance: Instance) -> None:
    instance.process.send_signal(signal.SIGTERM)
    try:
        instance.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        instance.process.kill()
        instance.process.wait(timeout=10)


@dataclass
class Outcome:
    at: float
    instance: str
    step: str
    status: int | str  # HTTP status, or "error:<exception>"
    elapsed: float


@dataclass
class Load:
    """Complete flows from logged-in aidants, spread over the instances, until
    stopped; every step's outcome is kept."""

    browsers: list
    rp: dict
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> "Load":
        self.stop.clear()
        self.threads = [
            threading.Thread(target=self._run, args=(pair,), daemon=True)
            for pair in self.browsers
        ]
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> list[Outcome]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        return self.outcomes

    def _run(self, pair) -> None:
        instance, browser = pair
        while not self.stop.is_set():
            flow(instance, browser, self.rp, self.outcomes)
            time.sleep(0.05)


def _timed(outcomes, instance, step, call):
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException as exc:
        outcomes.append(
            Outcome(
                started,
                instance.name,
                step,
                f"error:{type(exc).__name__}",
                time.monotonic() - started,
            )
        )
        return None
    outcomes.append(
        Outcome(
            started,
            instance.name,
            step,
            response.status_code,
            time.monotonic() - started,
        )
    )
    return response


def flow(instance: Instance, browser, rp: dict, outcomes: list[Outcome]) -> bool:
    """authorize -> pick -> approve -> token -> userinfo; False at the first
    failed step (a failed flow is abandoned, as a user would start again)."""
    verifier, path = oidc_flow.authorization_request(rp)
    url = instance.base + path
    listing = _timed(
        outcomes, instance, "authorize", lambda: browser.get(url, timeout=10)
    )
    if listing is None or listing.status_code != 200:
        return False
    usagers = oidc_flow.USAGER_LINK.findall(listing.text)
    if not usagers:
        return False
    picked = secrets.choice(usagers)
    page = _timed(
        outcomes,
        instance,
        "pick",
        lambda: browser.get(f"{url}&relais_usager={picked}", timeout=10),
    )
    if page is None or page.status_code != 200:
        return False
    form = oidc_flow.fields_of(page.text)
    form.update(relais_usager=picked, relais_demarche="social")
    answer = _timed(
        outcomes,
        instance,
        "approve",
        lambda: browser.post(f"{instance.base}/oidc/authorize", form, timeout=10),
    )
    if answer is None or answer.status_code != 302:
        return False
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    if "code" not in query:
        return False
    token = _timed(
        outcomes,
        instance,
        "token",
        lambda: requests.post(
            f"{instance.base}/oidc/token",
            data=oidc_flow.token_form(rp, query["code"][0], verifier),
            auth=(rp["client_id"], rp["client_secret"]),
            timeout=10,
        ),
    )
    if token is None or token.status_code != 200:
        return False
    access = token.json()["access_token"]
    info = _timed(
        outcomes,
        instance,
        "userinfo",
        lambda: requests.get(
            f"{instance.base}/oidc/userinfo",
            headers={"Authorization": f"Bearer {access}"},
            timeout=10,
        ),
    )
    return info is not None and info.status_code == 200


SUCCESS = {"authorize": 200, "pick": 200, "approve": 302, "token": 200, "userinfo": 200}


def successes(outcomes: list[Outcome], step: str) -> int:
    return sum(1 for o in outcomes if o.step == step and o.status == SUCCESS[step])


def failures(outcomes: list[Outcome], step: str) -> int:
    return sum(1 for o in outcomes if o.step == step and o.status != SUCCESS[step])


def statuses(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[str(outcome.status)] = counts.get(str(outcome.status), 0) + 1
    return counts


def percentile(values: list[float], fraction: float) -> float:
    return oidc_flow.percentile(values, fraction) if values else 0.0


@dataclass
class Cluster:
    """pg_ctl on DATABASE_URL's cluster (paths given by .ci/run)."""

    bindir: str
    datadir: str
    logfile: str
    user: str

    @classmethod
    def from_env(cls) -> "Cluster | None":
        datadir = os.environ.get("RELAIS_FAULT_PGDATA", "")
        if not datadir:
            return None
        return cls(
            bindir=os.environ["RELAIS_FAULT_PG_BIN"],
            datadir=datadir,
            logfile=os.environ["RELAIS_FAULT_PG_LOG"],
            user=os.environ.get("RELAIS_FAULT_PG_USER", ""),
        )

    def pg_ctl(self, *args: str) -> None:
        command = [f"{self.bindir}/pg_ctl", "-D", self.datadir, "-l", self.logfile]
        command += list(args)
        if os.geteuid() == 0 and self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(  # noqa: S603
            command, check=True, capture_output=True, timeout=120
        )

    def stop(self) -> list[str]:
        """Stop the server; return its options, for `start`."""
        opts = shlex.split(Path(self.datadir, "postmaster.opts").read_text())
        options = []
        skip = False
        for token in opts[1:]:
            if skip:
                skip = False
            elif token == "-D":
                skip = True
            else:
                options.append(token)
        self.pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        return options

    def start(self, options: list[str]) -> None:
        self.pg_ctl("start", "-w", "-t", "60", "-o", shlex.join(options))

    def pids(self) -> list[int]:
        """The postmaster and its children (every backend)."""
        postmaster = int(
            Path(self.datadir, "postmaster.pid").read_text().splitlines()[0]
        )
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(stat.parent.name))
        return pids


def journal_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT action, count(*) FROM audit_journalentry GROUP BY action"
        ).fetchall()
    return dict(rows)


LOCK_HOLDER = """
import sys, time
import django
django.setup()
from django.db import transaction
from audit.journal import lock_head
with transaction.atomic():
    lock_head()
    print("locked", flush=True)
    time.sleep(600)
"""


def start_lock_holder(env: dict[str, str]) -> subprocess.Popen:
    """A process of the application (same settings, hence same session timeouts)
    holding the journal head lock; the caller freezes it with SIGSTOP."""
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", LOCK_HOLDER],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    if line.strip() != "locked":
        process.kill()
        raise RuntimeError("the lock holder did not lock the journal head")
    return process


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _inode_of_local_port(port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                return fields[9]
    return None


def worker_in_transaction(
    instance: Instance, database_url: str, seconds: float
) -> int | None:
    """A worker of `instance` caught inside an open transaction (its PostgreSQL
    session has `xact_start` set), found through the session's client port."""
    name = urlsplit(database_url).path.lstrip("/")
    deadline = time.monotonic() + seconds
    with psycopg.connect(database_url, autocommit=True) as db:
        while time.monotonic() < deadline:
            ports = db.execute(
                "SELECT client_port FROM pg_stat_activity WHERE datname = %s"
                " AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
                " AND client_port IS NOT NULL",
                [name],
            ).fetchall()
            workers = {pid: _socket_inodes(pid) for pid in instance.worker_pids()}
            for (port,) in ports:
                inode = _inode_of_local_port(port)
                for pid, inodes in workers.items():
                    if inode and inode in inodes:
                        return pid
            time.sleep(0.002)
    return None
