"""A demo online service ("Mon espace CAF (démo)") that logs people in through
Relais exactly as a real relying party would: discovery, PKCE S256, state,
nonce, code exchange, id_token verification against the JWKS, userinfo.

It talks to Relais over HTTP only (never imports the provider's code) and keeps
its own state in a signed cookie, separate from the aidant's Relais session.
Enabled only when settings.DEMO_SERVICE_ENABLED (RELAIS_DEMO_SERVICE=1).
"""

import hmac
from datetime import date
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from django.conf import settings
from django.core import signing
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from demo.rp import config, sessions

COOKIE = "relais_demo_service"
COOKIE_SALT = "demo_rp.state"
COOKIE_PATH = "/demo-service/"
TIMEOUT = 10
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class DemoLoginError(Exception):
    pass


def _require_enabled() -> None:
    if not settings.DEMO_SERVICE_ENABLED:
        raise Http404


def _read_cookie(request) -> dict[str, Any]:
    value = request.COOKIES.get(COOKIE, "")
    try:
        data = signing.loads(value, salt=COOKIE_SALT, max_age=3600)
    except signing.BadSignature:
        return {}
    return data if isinstance(data, dict) else {}


def _write_cookie(response, data: dict[str, Any]):
    # URL-safe signed value: no cookie quoting surprises in any browser.
    response.set_cookie(
        COOKIE,
        signing.dumps(data, salt=COOKIE_SALT, compress=True),
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=config.site_url().startswith("https://"),
    )
    return response


def _metadata() -> dict[str, Any]:
    url = f"{config.issuer()}/.well-known/openid-configuration"
    response = requests.get(url, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def _oauth_session(**kwargs) -> OAuth2Session:
    return OAuth2Session(
        client_id=config.CLIENT_ID,
        client_secret=config.CLIENT_SECRET,
        scope=config.SCOPE,
        redirect_uri=config.redirect_uri(),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106
        **kwargs,
    )


def _verify_id_token(
    id_token: str, metadata: dict[str, Any], nonce: str
) -> dict[str, Any]:
    jwks = requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json()
    decoded = jwt.decode(
        id_token, KeySet.import_key_set(jwks), algorithms=["ES256", "RS256"]
    )
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": config.CLIENT_ID},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        sub={"essential": True},
    )
    registry.validate(decoded.claims)
    return dict(decoded.claims)


@require_GET
@never_cache
def home(request):
    _require_enabled()
    data = _read_cookie(request)
    sid = (data.get("id_claims") or {}).get("sid") or ""
    ended = sessions.is_ended(sid)
    profile = None if ended else data.get("userinfo")
    response = render(
        request,
        "demo_rp/home.html",
        {
            "service_name": config.NAME,
            "profile": profile,
            "shown": _human(profile) if profile else None,
            "id_claims": data.get("id_claims"),
            "ended_by_relais": ended,
        },
    )
    if ended:
        # Relais told us (back-channel) that this session is over.
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _human(profile: dict[str, Any]) -> dict[str, Any]:
    """The claims as people read them: labels, not codes; French dates."""
    try:
        birthdate = date.fromisoformat(profile.get("birthdate") or "")
    except ValueError:
        birthdate = None
    gender = profile.get("gender") or ""
    return {
        "demarches": [
            config.DEMARCHE_LABELS.get(code, code)
            for code in profile.get("rep_scope") or []
        ],
        "birthdate": birthdate,
        "gender": config.GENDER_LABELS.get(gender, gender),
    }


@require_POST
def login(request):
    """Start the flow: PKCE verifier, state and nonce kept in a signed cookie."""
    _require_enabled()
    try:
        metadata = _metadata()
    except (requests.RequestException, ValueError):
        return _failed(request, _("Relais ne répond pas."))
    verifier, nonce = generate_token(64), generate_token(32)
    with _oauth_session() as session:
        uri, state = session.create_authorization_url(
            metadata["authorization_endpoint"],
            code_verifier=verifier,
            nonce=nonce,
            acr_values="eidas1",
        )
    pending = {"state": state, "nonce": nonce, "verifier": verifier}
    return _write_cookie(redirect(uri), {"pending": pending})


@require_GET
@never_cache
def callback(request):
    """Back from Relais: check state, exchange the code, verify the id_token,
    call userinfo."""
    _require_enabled()
    pending = _read_cookie(request).get("pending") or {}
    state = request.GET.get("state", "")
    if not pending or not hmac.compare_digest(str(pending.get("state")), state):
        return _failed(request, _("Réponse inattendue (état de session invalide)."))
    if request.GET.get("error"):
        return _failed(
            request,
            _("Connexion refusée (%(error)s).") % {"error": request.GET["error"][:64]},
        )
    try:
        data = _finish_login(request.GET.get("code", ""), pending)
    except (DemoLoginError, OAuth2Error, JoseError, requests.RequestException) as exc:
        return _failed(
            request, _("La connexion a échoué : %(reason)s") % {"reason": exc}
        )
    return _write_cookie(redirect("demo_rp:home"), data)


def _finish_login(code: str, pending: dict[str, Any]) -> dict[str, Any]:
    metadata = _metadata()
    with _oauth_session() as session:
        token = session.fetch_token(
            metadata["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending["verifier"],
        )
        claims = _verify_id_token(token["id_token"], metadata, pending["nonce"])
        response = session.get(metadata["userinfo_endpoint"], timeout=TIMEOUT)
    if response.status_code != 200:
        raise DemoLoginError(f"userinfo {response.status_code}")
    userinfo = response.json()
    if userinfo.get("sub") != claims["sub"]:
        raise DemoLoginError("sub mismatch")
    return {
        "userinfo": userinfo,
        "id_claims": {
            k: claims.get(k)
            for k in ("acr", "amr", "auth_time", "mandat", "rep_scope", "sid")
        },
        "id_token": token["id_token"],
    }


@require_POST
def logout(request):
    """RP-initiated logout at Relais, back to the home page."""
    _require_enabled()
    id_token = _read_cookie(request).get("id_token")
    target = reverse("demo_rp:home")
    if id_token:
        try:
            endpoint = _metadata()["end_session_endpoint"]
        except (requests.RequestException, ValueError, KeyError):
            endpoint = None
        if endpoint:
            target = (
                endpoint
                + "?"
                + urlencode(
                    {
                        "id_token_hint": id_token,
                        "post_logout_redirect_uri": config.post_logout_redirect_uri(),
                        "state": generate_token(16),
                    }
                )
            )
    response = redirect(target)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _failed(request, message: str):
    return render(
        request,
        "demo_rp/error.html",
        {"service_name": config.NAME, "message": message},
        status=400,
    )


def _verify_logout_token(raw: str) -> dict[str, Any]:
    """OIDC Back-Channel Logout 1.0 §2.6, as any service should do it."""
    metadata = _metadata()
    jwks = requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json()
    decoded = jwt.decode(
        raw, KeySet.import_key_set(jwks), algorithms=["ES256", "RS256"]
    )
    if decoded.header.get("typ") not in (None, "logout+jwt", "JWT"):
        raise DemoLoginError("typ")
    jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": config.CLIENT_ID},
        iat={"essential": True},
        jti={"essential": True},
    ).validate(decoded.claims)
    claims = dict(decoded.claims)
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise DemoLoginError("events")
    if "nonce" in claims or not (claims.get("sid") or claims.get("sub")):
        raise DemoLoginError("claims")
    return claims


@csrf_exempt  # a server-to-server POST from Relais, authenticated by its signature
@require_POST
@never_cache
def backchannel_logout(request):
    """Relais ends one of our sessions (mandate revoked or expired, aidant logged
    out or suspended): verify the logout token, then forget the session."""
    _require_enabled()
    raw = request.POST.get("logout_token", "")
    try:
        claims = _verify_logout_token(raw)
    except (DemoLoginError, JoseError, ValueError, KeyError, requests.RequestException):
        return JsonResponse({"error": "invalid_request"}, status=400)
    if not sessions.end(str(claims.get("sid") or claims["sub"]), str(claims["jti"])):
        return JsonResponse({"error": "invalid_request"}, status=400)
    response = JsonResponse({}, status=200)
    response["Cache-Control"] = "no-store"
    return response
