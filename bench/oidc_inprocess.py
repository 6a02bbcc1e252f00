"""Benchmark: the CPU of each step of the delegated OIDC flow, in-process.

    .venv/bin/python -m bench.oidc_inprocess [--flows 100] [--batches 3]
        [--database-url URL] [--profile FILE]

The flow of `bench/oidc_flow.py` (authorize -> pick -> approve -> token ->
userinfo), driven through Django's test client in this process: no HTTP server,
no threads, no other process on the CPU. It prints the CPU time (process time)
of each step, per flow, for the best of `--batches` batches of `--flows` flows
(the least disturbed by the rest of the machine). What `bench/oidc_flow.py`
measures on top of this is the HTTP server's own work (gunicorn: parsing,
threads, sockets).

Builds a throwaway SQLite database (or uses the empty database given by
`--database-url`) and seeds it as `bench/oidc_flow.py` does. `--profile FILE`
writes a cProfile of the measured batches (`python -m pstats FILE`).
"""

import argparse
import base64
import cProfile
import hashlib
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.oidc_flow import STEPS, USAGER_LINK, fields_of, prepare, server_env, totp

FORM = "application/x-www-form-urlencoded"
HOST = "127.0.0.1:8000"  # loopback http: authlib accepts it as a secure transport


def _login(client, account: dict) -> None:
    page = client.get("/connexion/")
    data = fields_of(page.content.decode())
    data.update(email=account["email"], password=account["password"])
    answer = client.post("/connexion/", urlencode(data), content_type=FORM)
    if answer.status_code != 302:
        raise SystemExit(f"login: {answer.status_code}")
    page = client.get(answer["Location"])
    data = fields_of(page.content.decode())
    data["otp_token"] = totp(account["totp_secret"])
    answer = client.post(answer["Location"], urlencode(data), content_type=FORM)
    if answer.status_code != 302:
        raise SystemExit(f"otp: {answer.status_code}")


class Flow:
    """The five steps, each timed in process CPU time into `cpu`."""

    def __init__(self, seed: dict) -> None:
        from django.test import Client

        self.rp = seed["client"]
        self.browser = Client(HTTP_HOST=HOST)
        self.service = Client(HTTP_HOST=HOST)
        _login(self.browser, seed["aidants"][0])
        secret = f"{self.rp['client_id']}:{self.rp['client_secret']}"
        self.basic = "Basic " + base64.b64encode(secret.encode()).decode()
        self.cpu: dict[str, float] = defaultdict(float)

    def _timed(self, step, call):
        started = time.process_time()
        response = call()
        self.cpu[step] += time.process_time() - started
        return response

    def run(self) -> None:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        url = "/oidc/authorize?" + urlencode(
            {
                "response_type": "code",
                "client_id": self.rp["client_id"],
                "redirect_uri": self.rp["redirect_uri"],
                "scope": "openid profile email birth",
                "state": secrets.token_urlsafe(16),
                "nonce": secrets.token_urlsafe(16),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        browser, service = self.browser, self.service
        listing = self._timed("authorize", lambda: browser.get(url))
        _expect(listing, 200, "authorize")
        picked = secrets.choice(USAGER_LINK.findall(listing.content.decode()))
        page = self._timed("pick", lambda: browser.get(f"{url}&relais_usager={picked}"))
        _expect(page, 200, "pick")
        form = fields_of(page.content.decode())
        form.update(relais_usager=picked, relais_demarche="social")
        body = urlencode(form)
        answer = self._timed(
            "approve",
            lambda: browser.post("/oidc/authorize", body, content_type=FORM),
        )
        _expect(answer, 302, "approve")
        code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
        exchange = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.rp["redirect_uri"],
                "code_verifier": verifier,
            }
        )
        tokens = self._timed(
            "token",
            lambda: service.post(
                "/oidc/token",
                exchange,
                content_type=FORM,
                HTTP_AUTHORIZATION=self.basic,
            ),
        )
        _expect(tokens, 200, "token")
        bearer = "Bearer " + tokens.json()["access_token"]
        info = self._timed(
            "userinfo",
            lambda: service.get("/oidc/userinfo", HTTP_AUTHORIZATION=bearer),
        )
        _expect(info, 200, "userinfo")


def _expect(response, status: int, step: str) -> None:
    if response.status_code != status:
        raise SystemExit(f"{step}: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=100, help="flows per batch")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", default="", help="cProfile output file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="relais-inprocess-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = server_env(url, int(HOST.split(":")[1]))
    seed = prepare(env, 1)  # this process now runs Django on that database
    flow = Flow(seed)
    for _ in range(30):  # warm: compiled queries, templates, signing key
        flow.run()
    profiler = cProfile.Profile() if args.profile else None
    best: tuple[float, dict[str, float]] = (float("inf"), {})
    for _ in range(max(1, args.batches)):
        flow.cpu.clear()
        if profiler:
            profiler.enable()
        started = time.process_time()
        for _ in range(args.flows):
            flow.run()
        total = time.process_time() - started
        if profiler:
            profiler.disable()
        if total < best[0]:
            best = (total, dict(flow.cpu))
    total, cpu = best
    per_step = ", ".join(f"{s} {1000 * cpu[s] / args.flows:.2f}" for s in STEPS)
    sys.stdout.write(
        f"{env['DATABASE_URL'].split(':', 1)[0]}: {1000 * total / args.flows:.2f} ms "
        f"of CPU per flow (best of {args.batches} x {args.flows}); {per_step}\n"
    )
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
