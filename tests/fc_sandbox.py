"""The FranceConnect sandbox for tests: a real OIDC server over HTTP.

`fc_sandbox` (session) starts `oidc-provider-mock` on a free loopback port;
`franceconnect` (function) points FC_ISSUER at it. `fc_login(url, sub=...)`
does what the usager's browser does on the sandbox and returns the query of the
redirect back to Relais, to pass to the Django test client.
"""

import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from demo.sandbox import sandbox_command


@dataclass
class Sandbox:
    issuer: str
    process: subprocess.Popen

    def set_identity(self, identity: dict) -> None:
        """Register (or replace) an identity the sandbox can log in."""
        sub = identity["sub"]
        claims = {k: v for k, v in identity.items() if k != "sub"}
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port_issuer() -> str:
    """An issuer URL on a loopback port where nothing listens."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture(scope="session")
def fc_sandbox():
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - fixed argv built by us
        sandbox_command(port), stdout=log, stderr=subprocess.STDOUT
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                raise RuntimeError(
                    "FranceConnect sandbox did not start: " + log.read().decode()
                ) from None
            time.sleep(0.1)
    try:
        yield Sandbox(issuer=issuer, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def franceconnect(fc_sandbox, settings):
    """FC_ISSUER points at the running sandbox for this test."""
    settings.FC_ISSUER = fc_sandbox.issuer
    return fc_sandbox


def fc_login(authorize_url: str, *, sub: str = "", deny: bool = False) -> dict:
    """Log in on the sandbox as `sub` (or press "Deny") like a browser, and return
    the query parameters of the redirect back to Relais (one value each)."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=5)
        page.raise_for_status()
        assert 'name="sub"' in page.text, page.text[:500]
        form = {"action": "deny"} if deny else {"sub": sub}
        response = browser.post(
            authorize_url, data=form, allow_redirects=False, timeout=5
        )
    assert response.status_code in (302, 303), response.text[:500]
    location = response.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    return {key: values[0] for key, values in query.items()} | {"_location": location}


def callback_path(params: dict) -> str:
    """The callback URL (path and query) of an `fc_login` result."""
    parts = urlsplit(params["_location"])
    return f"{parts.path}?{parts.query}"
