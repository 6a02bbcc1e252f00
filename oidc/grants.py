"""Authlib grant and extensions: the authorization code flow, PKCE S256 only,
OpenID Connect with a required nonce. They parse and check the protocol; every
write goes through `oidc.services`."""

import json
import secrets
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import CODE_CHALLENGE_PATTERN
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.errors import InteractionRequiredError
from authlib.oidc.core.util import create_half_hash
from django.conf import settings

from aidants.demarches import Demarche
from oidc import claims, keys, services
from oidc.models import AuthorizationCode, Client

MAX_PARAM_LENGTH = 512
# Parameters an authorization request must not repeat (RFC 6749 §3.1, plus ours).
SINGLE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "claims",
    "prompt",
    "acr_values",
)

TOKEN_SINGLE_PARAMS = (
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
)


def issuer() -> str:
    return (settings.OIDC_ISSUER or settings.SITE_URL).rstrip("/")


def requested_rep_scope(raw: str | None) -> list[str] | None:
    """The démarche codes asked for in the `claims` parameter's
    `id_token.rep_scope.values` (or `userinfo`), None when not restricted.
    Raises InvalidRequestError on a malformed value."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidRequestError("Invalid 'claims' parameter.") from None
    if not isinstance(data, dict):
        raise InvalidRequestError("Invalid 'claims' parameter.")
    wanted: set[str] = set()
    restricted = False
    for member in ("id_token", "userinfo"):
        section = data.get(member) or {}
        spec = section.get("rep_scope") if isinstance(section, dict) else None
        if not isinstance(spec, dict):
            continue
        values = spec.get("values", [spec["value"]] if "value" in spec else None)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidRequestError("Invalid 'rep_scope' values.")
        restricted = True
        wanted |= set(values)
    if not restricted:
        return None
    return [code for code in Demarche.values if code in wanted]


def requested_claims(data: dict[str, Any]) -> dict[str, Any] | None:
    """The `claims` request parameter as validated JSON (kept with the code)."""
    try:
        value = json.loads(data.get("claims") or "null")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, required from every client (RFC 7636, RFC 9700
    §2.1.1): authlib's default accepts "plain" and only enforces the verifier
    for public clients."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        """Refuse a missing challenge, a missing or "plain" method."""
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        method = data.get("code_challenge_method")
        if not challenge:
            raise InvalidRequestError("Missing 'code_challenge' (PKCE is required).")
        if not CODE_CHALLENGE_PATTERN.match(challenge):
            raise InvalidRequestError("Invalid 'code_challenge'.")
        if method != "S256":
            # RFC 7636 §4.3: absent means "plain", which we refuse.
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")

    def validate_code_verifier(self, grant, result) -> None:
        """Every client sends a verifier that matches the stored challenge."""
        verifier = grant.request.form.get("code_verifier")
        if not verifier:
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class RelaisAuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]

    @staticmethod
    def validate_authorization_redirect_uri(request, client: Client) -> str:
        """Exact match against the registered URIs; never echo the value
        (authlib's message breaks on characters outside RFC 6749's set)."""
        redirect_uri = request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError("Unregistered 'redirect_uri'.")
        return redirect_uri

    def validate_authorization_request(self) -> str:
        """Authlib's checks, then ours: openid scope, bounded parameters, no
        `prompt=none` (picking a usager needs the aidant), `claims` syntax."""
        data = self.request.payload.data
        if any("\x00" in str(value) for value in data.values()):
            # PostgreSQL refuses NUL in text: stop here rather than fail later.
            raise InvalidRequestError("Invalid characters in request.")
        for name in ("client_id", "redirect_uri"):
            if len(data.get(name) or "") > 2 * MAX_PARAM_LENGTH:
                raise InvalidRequestError(f"'{name}' is too long.")
        redirect_uri = super().validate_authorization_request()
        try:
            self._validate_relais_rules(data)
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def _validate_relais_rules(self, data: dict[str, Any]) -> None:
        datalist = self.request.payload.datalist
        for name in SINGLE_PARAMS:
            if len(datalist.get(name, [])) > 1:
                raise InvalidRequestError(f"Multiple '{name}' in request.")
        if "openid" not in (data.get("scope") or "").split():
            raise InvalidScopeError("The 'openid' scope is required.")
        for name in ("state", "nonce"):
            if len(data.get(name) or "") > MAX_PARAM_LENGTH:
                raise InvalidRequestError(f"'{name}' is too long.")
        prompts = (data.get("prompt") or "").split()
        if "none" in prompts:
            raise InteractionRequiredError("The aidant must pick the usager.")
        offered = self.offered_demarches()
        if not offered:
            raise InvalidRequestError("No requested 'rep_scope' is served here.")

    def offered_demarches(self) -> list[str]:
        """Démarches this request may use: the client's, narrowed by `claims`."""
        client: Client = self.request.client
        wanted = requested_rep_scope(self.request.payload.data.get("claims"))
        served = client.demarches()
        if wanted is None:
            return served
        return [code for code in served if code in wanted]

    def validate_token_request(self) -> None:
        """Refuse repeated parameters (RFC 6749 §3.2), then authlib's checks."""
        form = self.request.form
        for name in TOKEN_SINGLE_PARAMS:
            if len(form.getlist(name)) > 1:
                raise InvalidRequestError(f"Multiple '{name}' in request.")
        super().validate_token_request()

    def generate_authorization_code(self) -> str:
        """256 random bits (only the SHA-256 is stored)."""
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request) -> AuthorizationCode:
        """Store the code's hash with the decision that allowed it."""
        return services.create_authorization_code(
            code=code,
            client=request.client,
            context=request.relais_context,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            data=request.payload.data,
        )

    def query_authorization_code(self, code: str, client: Client):
        """The locked, unused, unexpired code of this client; a reused code is
        a replay (its tokens are revoked, CODE_REPLAYED journaled)."""
        return services.find_code_for_exchange(code=code, client=client)

    def delete_authorization_code(self, authorization_code) -> None:
        """Mark the code used (kept, so that a replay is recognised)."""
        services.mark_code_used(authorization_code)

    def authenticate_user(self, authorization_code):
        """The aidant, if the mandate still allows the use (re-checked here)."""
        if not services.code_still_allowed(authorization_code):
            raise InvalidGrantError("The mandate no longer allows this use.")
        return authorization_code.aidant


class RelaisOpenIDCode(OpenIDCode):
    """id_tokens signed with the service's keys (ES256 default, RS256 per
    client), FranceConnect claims plus `act`, `rep_scope` and `mandat`."""

    def __init__(self) -> None:
        super().__init__(require_nonce=True)

    def exists_nonce(self, nonce: str, request) -> bool:
        """A nonce already used by this client is a replayed request."""
        return AuthorizationCode.objects.filter(
            client__client_id=request.payload.client_id, nonce=nonce
        ).exists()

    def generate_user_info(self, user, scope):
        """Unused: the claims come from the code, see `encode_id_token`."""
        raise NotImplementedError

    def encode_id_token(self, token: dict, request) -> str:
        """Build and sign the id_token for the code being exchanged."""
        code: AuthorizationCode = request.authorization_code
        client: Client = request.client
        alg = client.id_token_signed_response_alg
        payload = claims.id_token_claims(code=code, issuer=issuer())
        at_hash = create_half_hash(token["access_token"], alg)
        payload["at_hash"] = at_hash.decode("ascii")
        return keys.sign_id_token(payload, alg=alg)
