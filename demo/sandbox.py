"""The embedded FranceConnect sandbox: `oidc-provider-mock` on loopback.

`python -m demo.sandbox --port 9400` (or `sandbox_command(port)` from a dev
runner or the tests) starts an OpenID Provider whose login page lists the demo
identities below, in FranceConnect's formats. Its pages are styled offline
(`styled_app`: a local copy of the CSS the mock would fetch from a CDN).
Notes on the mock (0.3):
- it accepts any client_id/secret and redirect URI (no registration needed);
- it knows the scopes openid/profile/email/address/phone and silently drops
  others (FranceConnect's "birth"); non-standard claims such as birthplace and
  birthcountry are always returned, so requesting "openid profile email birth"
  works against both the mock and the real FranceConnect;
- it signs id_tokens RS256 and sends no `acr` or `auth_time` claim: the client
  keeps the id_token's `iat` as authentication time and an empty `acr`.
"""

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

DEMO_IDENTITIES: list[dict[str, str]] = [
    {
        "sub": "demo-angela-dubois",
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "preferred_username": "",
        "birthdate": "1962-08-24",
        "gender": "female",
        "birthplace": "75107",
        "birthcountry": "99100",
        "email": "angela.dubois@exemple.fr",
    },
    {
        "sub": "demo-jean-pierre-martin",
        "given_name": "Jean-Pierre",
        "family_name": "MARTIN",
        "preferred_username": "",
        "birthdate": "1948-03-12",
        "gender": "male",
        "birthplace": "62108",
        "birthcountry": "99100",
        "email": "jp.martin@exemple.fr",
    },
    {
        "sub": "demo-marie-lefebvre",
        "given_name": "Marie Thérèse",
        "family_name": "LEFEBVRE",
        "preferred_username": "ROUSSEAU",
        "birthdate": "1939-06-30",
        "gender": "female",
        "birthplace": "59350",
        "birthcountry": "99100",
        "email": "marie.rousseau@exemple.fr",
    },
    {
        # Born abroad: no birthplace, birthcountry = Sénégal (INSEE 99341).
        "sub": "demo-fatou-diallo",
        "given_name": "Fatou",
        "family_name": "DIALLO",
        "preferred_username": "",
        "birthdate": "1985-11-02",
        "gender": "female",
        "birthplace": "",
        "birthcountry": "99341",
        "email": "fatou.diallo@exemple.fr",
    },
]

DEFAULT_PORT = 9400
TOKEN_MAX_AGE = timedelta(seconds=300)
SITE_DIR = Path(__file__).resolve().parent / "sandbox_site"
CSS_URL = "/sandbox-static/pico.min.css"


def demo_identity(sub: str) -> dict[str, str]:
    """The demo identity with this `sub` (KeyError if unknown)."""
    for identity in DEMO_IDENTITIES:
        if identity["sub"] == sub:
            return dict(identity)
    raise KeyError(sub)


def sandbox_command(
    port: int = DEFAULT_PORT,
    identities: list[dict[str, str]] | None = None,
    host: str = "127.0.0.1",
) -> list[str]:
    """The command line starting the sandbox on `host:port` (loopback only)."""
    command = [sys.executable, "-m", "demo.sandbox", "--host", host]
    command += ["--port", str(port)]
    for identity in DEMO_IDENTITIES if identities is None else identities:
        command += ["--user-claims", json.dumps(identity, ensure_ascii=False)]
    return command


def styled_app(identities: list[dict[str, str]]):
    """The mock's Flask app (nonce required, no refresh token, 5-minute tokens)
    with its pages styled from sandbox_site/ instead of a CDN."""
    # The FranceConnect sandbox's libraries are in the dev extra only.
    import flask
    import jinja2  # same reason
    from oidc_provider_mock import User, app  # same reason

    users = [
        User(sub=i["sub"], claims={k: v for k, v in i.items() if k != "sub"})
        for i in identities
    ]
    application = app(
        require_nonce=True,
        issue_refresh_token=False,
        access_token_max_age=TOKEN_MAX_AGE,
        user_claims=users,
    )
    # Ours first: same templates, the stylesheet linked locally.
    application.jinja_loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(SITE_DIR / "templates"),
            application.jinja_loader,
        ]
    )
    application.add_url_rule(
        CSS_URL,
        "relais-sandbox-css",
        lambda: flask.send_from_directory(SITE_DIR / "static", "pico.min.css"),
    )
    return application


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - subprocess
    parser = argparse.ArgumentParser(description="Bac à sable FranceConnect local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--user-claims", action="append", default=[], type=json.loads)
    options = parser.parse_args(argv)
    # The FranceConnect sandbox's libraries are in the dev extra only.
    import logging
    import os  # same reason

    # The FranceConnect sandbox's libraries are in the dev extra only.
    import uvicorn

    # The mock serves plain http on loopback; authlib refuses it unless told.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    application = styled_app(options.user_claims or DEMO_IDENTITIES)
    uvicorn.run(
        application,
        interface="wsgi",
        host=options.host,
        port=options.port,
        log_config=None,
    )


def dev_sidecar(env: dict[str, str], port: int = DEFAULT_PORT) -> list[str] | None:
    """For `make run`: the sandbox command line, after pointing FC_ISSUER in
    `env` at it; None when FC_ISSUER already names another provider (the real
    FranceConnect), which then needs no local process."""
    issuer = f"http://127.0.0.1:{port}"
    if env.setdefault("FC_ISSUER", issuer).rstrip("/") != issuer:
        return None
    return sandbox_command(port)


if __name__ == "__main__":  # pragma: no cover - manual use
    main()
