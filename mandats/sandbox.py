"""The embedded FranceConnect sandbox: `oidc-provider-mock` on loopback.

`python -m mandats.sandbox [port]` (or `sandbox_command(port)` from a dev runner
or the tests) starts an OpenID Provider whose login page lists the demo
identities below, in FranceConnect's formats. Notes on the mock (0.3):
- it accepts any client_id/secret and redirect URI (no registration needed);
- it knows the scopes openid/profile/email/address/phone and silently drops
  others (FranceConnect's "birth"); non-standard claims such as birthplace and
  birthcountry are always returned, so requesting "openid profile email birth"
  works against both the mock and the real FranceConnect;
- it signs id_tokens RS256 and sends no `acr` or `auth_time` claim: the client
  keeps the id_token's `iat` as authentication time and an empty `acr`.
"""

import json
import sys

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
    command = [
        sys.executable,
        "-m",
        "oidc_provider_mock",
        "--host",
        host,
        "--port",
        str(port),
        "--require-nonce",
        "true",
        "--no-refresh-token",
        "true",
        "--token-max-age",
        "300",
    ]
    for identity in DEMO_IDENTITIES if identities is None else identities:
        command += ["--user-claims", json.dumps(identity, ensure_ascii=False)]
    return command


def dev_sidecar(env: dict[str, str], port: int = DEFAULT_PORT) -> list[str] | None:
    """For `make run`: the sandbox command line, after pointing FC_ISSUER in
    `env` at it; None when FC_ISSUER already names another provider (the real
    FranceConnect), which then needs no local process."""
    issuer = f"http://127.0.0.1:{port}"
    if env.setdefault("FC_ISSUER", issuer).rstrip("/") != issuer:
        return None
    return sandbox_command(port)


if __name__ == "__main__":  # pragma: no cover - manual use
    import os

    port = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PORT
    command = sandbox_command(port)
    os.execv(command[0], command)  # noqa: S606 - fixed argv, no shell
