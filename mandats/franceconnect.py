"""FranceConnect client (OpenID Connect, authorization code flow) with Authlib.

Discovery-based: FC_ISSUER/.well-known/openid-configuration (cached briefly).
`begin()` keeps state + nonce in the Django session and returns the authorization
URL; `complete()` checks the state, exchanges the code, verifies the id_token
(signature against the provider's JWKS, iss, aud, exp, nonce) with joserfc,
reads userinfo and returns an `Identity`. Every failure raises FranceConnectError
with a French message; the one-time flow data is consumed either way.
"""

import re
import secrets
import time
from datetime import date
from typing import Any, TypedDict, cast

import requests
from authlib.common.security import is_secure_transport
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from mandats.exceptions import FranceConnectError

SESSION_PREFIX = "franceconnect:"
CACHE_SECONDS = 300
FLOW_MAX_AGE_SECONDS = 15 * 60
ID_TOKEN_ALGS = ["RS256", "ES256"]
INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


class Identity(TypedDict):
    """The FranceConnect identity pivot, plus what the consent evidence keeps."""

    sub: str
    issuer: str
    given_name: str
    family_name: str
    preferred_username: str
    birthdate: date
    gender: str
    birthplace: str
    birthcountry: str
    email: str
    acr: str
    auth_time: int
    id_token: str


def _down() -> FranceConnectError:
    return FranceConnectError(
        _(
            "FranceConnect ne répond pas pour le moment. "
            "Réessayez dans quelques minutes."
        )
    )


def _unverifiable() -> FranceConnectError:
    return FranceConnectError(
        _("La réponse de FranceConnect n'a pas pu être vérifiée. Recommencez.")
    )


def _timeout() -> float:
    return float(getattr(settings, "FC_TIMEOUT_SECONDS", 5))


def _get_json(url: str) -> dict[str, Any]:
    if not is_secure_transport(url):
        raise FranceConnectError(_("FranceConnect doit être joint en HTTPS."))
    try:
        response = requests.get(url, timeout=_timeout())
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise _down() from exc
    if not isinstance(data, dict):
        raise _down()
    return data


def discovery() -> dict[str, Any]:
    """The provider metadata of FC_ISSUER, cached CACHE_SECONDS."""
    issuer = settings.FC_ISSUER.rstrip("/")
    key = f"franceconnect:discovery:{issuer}"
    metadata = cache.get(key)
    if metadata is None:
        metadata = _get_json(f"{issuer}/.well-known/openid-configuration")
        # OpenID Connect Discovery §4.3: the issuer must be exactly the one asked.
        if metadata.get("issuer", "").rstrip("/") != issuer:
            raise _unverifiable()
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(name), str):
                raise _down()
        cache.set(key, metadata, CACHE_SECONDS)
    return metadata


def _jwks(metadata: dict[str, Any], *, refresh: bool = False) -> KeySet:
    key = f"franceconnect:jwks:{metadata['jwks_uri']}"
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(metadata["jwks_uri"])
        cache.set(key, data, CACHE_SECONDS)
    try:
        return KeySet.import_key_set(cast("KeySetSerialization", data))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _unverifiable() from exc


def _session(redirect_uri: str, state: str | None = None) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.FC_CLIENT_ID,
        client_secret=settings.FC_CLIENT_SECRET,
        scope=settings.FC_SCOPES,
        redirect_uri=redirect_uri,
        state=state,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
    )


def begin(request, *, redirect_uri: str, purpose: str) -> str:
    """Start a FranceConnect login for `purpose` ("mandat", "usager", ...):
    keep state and nonce in the session, return the authorization URL.
    Raises FranceConnectError when FranceConnect is unreachable."""
    metadata = discovery()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    url, _state = _session(redirect_uri, state).create_authorization_url(
        metadata["authorization_endpoint"],
        state=state,
        nonce=nonce,
        acr_values=settings.FC_ACR_VALUES,
        prompt="login",
    )
    request.session[SESSION_PREFIX + purpose] = {
        "state": state,
        "nonce": nonce,
        "redirect_uri": redirect_uri,
        "started_at": int(time.time()),
    }
    return url


def _flow(request, purpose: str) -> dict[str, Any]:
    # Popped: a callback URL replayed later finds no flow and fails.
    flow = request.session.pop(SESSION_PREFIX + purpose, None)
    if not isinstance(flow, dict) or not flow.get("state"):
        raise FranceConnectError(
            _("Aucune identification FranceConnect n'est en cours. Recommencez.")
        )
    if time.time() - flow.get("started_at", 0) > FLOW_MAX_AGE_SECONDS:
        raise FranceConnectError(
            _("L'identification FranceConnect a expiré. Recommencez.")
        )
    return flow


def _check_callback(params, flow: dict[str, Any]) -> str:
    if params.get("error"):
        if params.get("error") == "access_denied":
            raise FranceConnectError(
                _(
                    "L'identification FranceConnect a été annulée. Recommencez "
                    "quand la personne est prête à s'identifier."
                )
            )
        raise FranceConnectError(
            _(
                "FranceConnect a refusé l'identification. Recommencez ; si le refus "
                "se répète, la personne peut vérifier son compte auprès du service "
                "avec lequel elle s'identifie (impots.gouv, l'Assurance maladie…)."
            )
        )
    state = params.get("state") or ""
    # Constant-time comparison of the CSRF state (RFC 6749 §10.12).
    if not secrets.compare_digest(state.encode(), flow["state"].encode()):
        raise FranceConnectError(
            _(
                "La réponse de FranceConnect ne correspond pas à votre demande. "
                "Recommencez."
            )
        )
    code = params.get("code") or ""
    if not code:
        raise _unverifiable()
    return code


def _verify_id_token(token: str, metadata: dict[str, Any], nonce: str) -> dict:
    keys = _jwks(metadata)
    try:
        try:
            decoded = jwt.decode(token, keys, algorithms=ID_TOKEN_ALGS)
        except JoseError:
            # Unknown kid after a provider key rotation: refetch the JWKS once.
            decoded = jwt.decode(
                token, _jwks(metadata, refresh=True), algorithms=ID_TOKEN_ALGS
            )
        registry = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": metadata["issuer"]},
            aud={"essential": True, "value": settings.FC_CLIENT_ID},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise _unverifiable() from exc
    claims = decoded.claims
    aud = claims["aud"]
    if (
        isinstance(aud, list)
        and len(aud) > 1
        and claims.get("azp") != settings.FC_CLIENT_ID
    ):
        raise _unverifiable()
    return claims


def _userinfo(client: OAuth2Session, metadata: dict[str, Any]) -> dict[str, Any]:
    endpoint = metadata.get("userinfo_endpoint")
    if not endpoint:
        return {}
    response = client.get(endpoint, timeout=_timeout())
    response.raise_for_status()
    if response.headers.get("Content-Type", "").startswith("application/jwt"):
        # FranceConnect v2 signs userinfo: verify like the id_token.
        decoded = jwt.decode(response.text.strip(), _jwks(metadata), ID_TOKEN_ALGS)
        return dict(decoded.claims)
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("userinfo is not an object")
    return data


def _identity(claims: dict, info: dict, id_token: str, issuer: str) -> Identity:
    merged = {**claims, **info}
    try:
        birthdate = date.fromisoformat(str(merged.get("birthdate", "")))
    except ValueError as exc:
        raise _incomplete() from exc
    identity = Identity(
        sub=str(claims["sub"]),
        issuer=issuer,
        given_name=str(merged.get("given_name") or "").strip(),
        family_name=str(merged.get("family_name") or "").strip(),
        preferred_username=str(merged.get("preferred_username") or "").strip(),
        birthdate=birthdate,
        gender=str(merged.get("gender") or ""),
        birthplace=str(merged.get("birthplace") or ""),
        birthcountry=str(merged.get("birthcountry") or ""),
        email=str(merged.get("email") or ""),
        acr=str(claims.get("acr") or ""),
        auth_time=int(claims.get("auth_time") or claims.get("iat") or time.time()),
        id_token=id_token,
    )
    if (
        not identity["given_name"]
        or not identity["family_name"]
        or identity["gender"] not in ("male", "female")
        or not INSEE.match(identity["birthcountry"])
        or not (identity["birthplace"] == "" or INSEE.match(identity["birthplace"]))
        or (identity["birthcountry"] == "99100" and not identity["birthplace"])
    ):
        raise _incomplete()
    return identity


def _incomplete() -> FranceConnectError:
    return FranceConnectError(
        _(
            "L'identité transmise par FranceConnect est incomplète ou mal formée. "
            "Recommencez avec un autre compte de la personne (impots.gouv, "
            "l'Assurance maladie…), ou plus tard."
        )
    )


def complete(request, *, purpose: str) -> Identity:
    """Finish the login started by `begin(purpose)` from the callback request.

    Raises FranceConnectError (cancelled, bad state, bad id_token, unreachable,
    incomplete identity). The flow's state and nonce are single-use.
    """
    flow = _flow(request, purpose)
    code = _check_callback(request.GET, flow)
    metadata = discovery()
    client = _session(flow["redirect_uri"], flow["state"])
    try:
        token = client.fetch_token(
            metadata["token_endpoint"],
            code=code,
            grant_type="authorization_code",
            timeout=_timeout(),
        )
        id_token = token.get("id_token")
        if not id_token:
            raise _unverifiable()
        claims = _verify_id_token(id_token, metadata, flow["nonce"])
        info = _userinfo(client, metadata)
    except requests.RequestException as exc:
        raise _down() from exc
    except (OAuthError, JoseError, ValueError) as exc:
        raise _unverifiable() from exc
    finally:
        client.close()
    if info and str(info.get("sub", "")) != str(claims["sub"]):
        # OIDC Core §5.3.2: userinfo sub must match the id_token's.
        raise _unverifiable()
    return _identity(claims, info, id_token, metadata["issuer"].rstrip("/"))
