"""Benchmark: the server CPU of a request that does no work, under load.

    .venv/bin/python -m bench.request_floor [--clients 8] [--requests 300]
        [--rounds 2] [--workers 2] [--threads 4] [--worker-class gthread|sync]

What every request of a flow costs before the flow's own work, measured the way
`bench/oidc_flow.py` measures a flow (same gunicorn flags, same driver: one
thread per client, `bench/wire.py`, a new connection every three requests as a
flow's browser does), on two servers, alternating round after round:

- `gunicorn`: gunicorn alone, serving a WSGI application that answers "ok";
- `relais`: Relais (production settings, a throwaway SQLite database) answering
  `GET /oidc/userinfo` without a token: 401 from the whole middleware stack, the
  URL resolver and authlib, no query.

It prints each server's CPU per request (user + system of the gunicorn master
and workers, from /proc) and that figure times five, the requests of a flow.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.oidc_flow import BASE_DIR, cpu_seconds, free_port, server_env, start_gunicorn
from bench.wire import Wire

FLOW_REQUESTS = 5
PER_CONNECTION = 3


def bare(environ, start_response):
    """gunicorn's share alone: the smallest complete WSGI answer."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def drive(port: int, path: str, clients: int, requests: int) -> tuple[int, float]:
    """`clients` threads, `requests` GETs each; (answers, seconds of wall time).
    Every answer must have the same status: a failure is not a cheap request."""
    statuses: set[int] = set()

    def client():
        wire = Wire("127.0.0.1", port)
        for n in range(requests):
            statuses.add(wire.get(path).status)
            if n % PER_CONNECTION == PER_CONNECTION - 1:
                wire.close()
        wire.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(statuses) != 1:
        raise SystemExit(f"{path}: mixed statuses {sorted(statuses)}")
    return clients * requests, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300, help="per client")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--worker-class", choices=("gthread", "sync"), default="gthread"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="relais-floor-"))
    port = free_port()
    env = server_env(f"sqlite:///{workdir / 'floor.sqlite3'}", port)
    flags = (args.workers, args.threads, BASE_DIR, args.worker_class)
    servers = {}
    try:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        servers["gunicorn"] = (
            start_gunicorn(env, port, *flags, app="bench.request_floor:bare"),
            port,
            "/",
        )
        other = free_port()
        servers["relais"] = (
            start_gunicorn(server_env(env["DATABASE_URL"], other), other, *flags),
            other,
            "/oidc/userinfo",
        )
        totals = {name: [0, 0.0, 0.0] for name in servers}
        for round_index in range(args.rounds):
            order = list(servers) if round_index % 2 == 0 else list(servers)[::-1]
            for name in order:
                process, server_port, path = servers[name]
                before = cpu_seconds(process.pid)
                answers, elapsed = drive(server_port, path, args.clients, args.requests)
                totals[name][0] += answers
                totals[name][1] += elapsed
                totals[name][2] += cpu_seconds(process.pid) - before
        lines = [
            f"gunicorn {args.worker_class} {args.workers}x{args.threads}, "
            f"{args.clients} clients, {args.rounds} round(s) of {args.requests} "
            "requests each",
            f"{'server':<10} {'requests/s':>10} {'CPU ms/request':>14} "
            f"{'x5 (a flow)':>11}",
        ]
        for name, (answers, elapsed, cpu) in totals.items():
            per_request = 1000 * cpu / answers
            lines.append(
                f"{name:<10} {answers / elapsed:>10.0f} {per_request:>14.3f} "
                f"{FLOW_REQUESTS * per_request:>11.2f}"
            )
        sys.stdout.write("\n".join(lines) + "\n")
    finally:
        for process, _, _ in servers.values():
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
