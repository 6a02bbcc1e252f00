"""A light HTTP/1.1 client for the benchmark's measured phases.

`requests` costs the driver about as much CPU per flow as the server it
measures spends on half of it (cookie policy, pooling, hooks, redirect
machinery), and on two cores the driver's CPU is taken from the server's. This
client is what a load generator needs and nothing more: one keep-alive
connection to the server on loopback, cookies kept by name, a body read whole.
Both servers of a comparison are driven by it in the same run.

A connection is kept alive until `close()`; the next request opens a new one.
"""

import base64
import http.client
from dataclasses import dataclass
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str


class Wire:
    """One keep-alive connection to `host:port`, with its own cookie jar."""

    def __init__(self, host: str, port: int, cookies: dict[str, str] | None = None):
        self.connection = http.client.HTTPConnection(host, port, timeout=30)
        self.host = f"{host}:{port}"
        self.cookies = dict(cookies or {})

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, None, headers)

    def post(
        self,
        path: str,
        form: dict[str, str],
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = urlencode(form).encode()
        sent = {"Content-Type": "application/x-www-form-urlencoded"}
        sent.update(headers or {})
        return self.request("POST", path, body, sent)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str] | None,
    ) -> Answer:
        sent = {"Host": self.host}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        self.connection.request(method, path, body, sent)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        received = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status, received, text)

    def close(self) -> None:
        self.connection.close()


def basic(user: str, password: str) -> dict[str, str]:
    """The Authorization header of client_secret_basic (RFC 6749, 2.3.1)."""
    pair = f"{quote(user, safe='')}:{quote(password, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
