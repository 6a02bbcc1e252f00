"""Authlib grant and extensions: the authorization code flow, PKCE S256 only,
OpenID Connect with a required nonce. They parse and check the protocol; every
write goes through `oidc.services`."""

import json
import secrets
from contextvars import ContextVar
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
from authlib.oidc.core.errors import (
    InteractionRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from authlib.oidc.core.util import create_half_hash

from aidants.demarches import CODES
from oidc import access, claims, keys, services
from oidc.models import AuthorizationCode, Client

# What the current request lets `query_client` load along with the client, in
# the same query: the token request's code (raw), or the authorization request's
# (client_id, nonce) for the nonce replay check.
TOKEN_CODE: ContextVar[str | None] = ContextVar("TOKEN_CODE", default=None)
NONCE_CHECK: ContextVar[tuple[str, str] | None] = ContextVar(
    "NONCE_CHECK", default=None
)
MAX_PARAM_LENGTH = 512
# The `claims` parameter (OIDC Core §5.5) is a small JSON object: bounded in size
# and depth, so that no request reaches the parser's recursion limit.
MAX_CLAIMS_LENGTH = 2048
MAX_CLAIMS_DEPTH = 5
# What FranceConnect's core sends to an identity provider, and nothing else
# (DESIGN.md "Behind FranceConnect"): the `franceconnect` profile refuses any
# other parameter, as the reference does.
FRANCECONNECT_PARAMS = frozenset(
    {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "acr_values",
        "prompt",
        "claims",
        "max_age",
        "code_challenge",
        "code_challenge_method",
    }
)
FRANCECONNECT_PROMPTS = frozenset({"login", "consent"})
# Form fields of the aidant's own pick pages (not protocol parameters).
OWN_FIELDS = ("relais_", "csrfmiddlewaretoken")
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


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """OpenID Connect Core errata: an essential `acr` cannot be met."""

    error = "unmet_authentication_requirements"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def parse_claims(raw: str | None) -> dict[str, Any] | None:
    """The `claims` request parameter as a JSON object, None when absent.
    Raises InvalidRequestError when too long, too deep or not an object."""
    if not raw:
        return None
    if len(raw) > MAX_CLAIMS_LENGTH:
        raise InvalidRequestError("'claims' is too long.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidRequestError("Invalid 'claims' parameter.") from None
    if not isinstance(data, dict) or _depth(data) > MAX_CLAIMS_DEPTH:
        raise InvalidRequestError("Invalid 'claims' parameter.")
    return data


def requested_rep_scope(raw: str | None) -> list[str] | None:
    """The démarche codes asked for in the `claims` parameter's
    `id_token.rep_scope.values` (or `userinfo`), None when not restricted.
    Raises InvalidRequestError on a malformed value."""
    data = parse_claims(raw)
    if data is None:
        return None
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
    return [code for code in CODES if code in wanted]


def requested_claims(data: dict[str, Any]) -> dict[str, Any] | None:
    """The `claims` request parameter as validated JSON (kept with the code)."""
    try:
        return parse_claims(data.get("claims"))
    except InvalidRequestError:
        return None


def check_acr(data: dict[str, Any], client: Client) -> str:
    """The `acr` this request gets: the level we meet (eidas1). Raises
    UnmetAuthenticationRequirementsError when an essential `acr` (claims
    parameter, or `acr_values` for a franceconnect client, whose core needs the
    level it asked for) names only levels we do not meet."""
    met = claims.ACR
    values = (data.get("acr_values") or "").split()
    if client.is_franceconnect:
        if not values:
            raise InvalidRequestError("Missing 'acr_values'.")
        if met not in values:
            raise UnmetAuthenticationRequirementsError(
                description="The requested 'acr_values' cannot be met."
            )
    spec = (parse_claims(data.get("claims")) or {}).get("id_token")
    spec = spec.get("acr") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and spec.get("essential") is True:
        wanted = spec.get("values", [spec["value"]] if "value" in spec else [])
        if not isinstance(wanted, list) or met not in wanted:
            raise UnmetAuthenticationRequirementsError(
                description="The essential 'acr' cannot be met."
            )
    return met


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, required from every client (RFC 7636, RFC 9700
    §2.1.1): authlib's default accepts "plain" and only enforces the verifier
    for public clients."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        """Refuse a missing challenge, a missing or "plain" method. A client
        registered with the franceconnect profile may send none."""
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        method = data.get("code_challenge_method")
        if not challenge and not method and grant.request.client.is_franceconnect:
            return
        if not challenge:
            raise InvalidRequestError("Missing 'code_challenge' (PKCE is required).")
        if not CODE_CHALLENGE_PATTERN.match(challenge):
            raise InvalidRequestError("Invalid 'code_challenge'.")
        if method != "S256":
            # RFC 7636 §4.3: absent means "plain", which we refuse.
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")

    def validate_code_verifier(self, grant, result) -> None:
        """Every client sends a verifier that matches the stored challenge
        (a franceconnect client's code issued without one: authlib refuses a
        stray verifier, RFC 9700 §4.8)."""
        verifier = grant.request.form.get("code_verifier")
        code = grant.request.authorization_code
        if code.client.is_franceconnect and not code.code_challenge:
            super().validate_code_verifier(grant, result)
            return
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
        `prompt=none` (picking a usager needs the aidant), `claims` syntax.
        Once per request: authlib asks again when it creates the response."""
        validated = getattr(self, "_relais_validated", None)
        if validated is not None:
            return validated
        data = self.request.payload.data
        nonce = NONCE_CHECK.set(
            (str(data.get("client_id") or ""), str(data.get("nonce") or ""))
        )
        try:
            self._relais_validated = self._validate_authorization_request(data)
        finally:
            NONCE_CHECK.reset(nonce)
        return self._relais_validated

    def _validate_authorization_request(self, data: dict[str, Any]) -> str:
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
        # OIDC Core §6: request objects are not supported, and saying so beats
        # silently ignoring what the service thinks it signed.
        if "request" in data:
            raise RequestNotSupportedError()
        if "request_uri" in data:
            raise RequestURINotSupportedError()
        if "openid" not in (data.get("scope") or "").split():
            raise InvalidScopeError("The 'openid' scope is required.")
        for name in ("state", "nonce"):
            if len(data.get(name) or "") > MAX_PARAM_LENGTH:
                raise InvalidRequestError(f"'{name}' is too long.")
        prompts = (data.get("prompt") or "").split()
        if "none" in prompts:
            raise InteractionRequiredError("The aidant must pick the usager.")
        max_age = data.get("max_age")
        if max_age is not None and not (max_age.isdigit() and len(max_age) < 10):
            raise InvalidRequestError("Invalid 'max_age'.")
        if self.request.client.is_franceconnect:
            self._validate_franceconnect(data, prompts)
        check_acr(data, self.request.client)
        offered = self.offered_demarches()
        if not offered:
            raise InvalidRequestError("No requested 'rep_scope' is served here.")

    def _validate_franceconnect(self, data: dict[str, Any], prompts: list) -> None:
        """FranceConnect's parameter set, strictly: nothing else, state and
        nonce present, known prompt values."""
        for name in data:
            if name not in FRANCECONNECT_PARAMS and not name.startswith(OWN_FIELDS):
                raise InvalidRequestError("Unsupported parameter in request.")
        for name in ("state", "nonce"):
            if not data.get(name):
                raise InvalidRequestError(f"Missing '{name}' in request.")
        if not set(prompts) <= FRANCECONNECT_PROMPTS:
            raise InvalidRequestError("Unsupported 'prompt' value.")

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
        return services.find_code_for_exchange(
            code=code, client=client, preloaded=getattr(client, "relais_code", None)
        )

    def delete_authorization_code(self, authorization_code) -> None:
        """Mark the code used (kept, so that a replay is recognised)."""
        services.mark_code_used(authorization_code)

    def authenticate_user(self, authorization_code):
        """The aidant, if the mandate still allows the use (re-checked here)."""
        if not access.code_still_allowed(authorization_code):
            raise InvalidGrantError("The mandate no longer allows this use.")
        return authorization_code.aidant


class RelaisOpenIDCode(OpenIDCode):
    """id_tokens signed with the service's keys (ES256 default, RS256 per
    client), FranceConnect claims plus `act`, `rep_scope` and `mandat`."""

    def __init__(self) -> None:
        super().__init__(require_nonce=True)

    def exists_nonce(self, nonce: str, request) -> bool:
        """A nonce already used by this client is a replayed request (answered
        by the client's query when it could: `RelaisAuthorizationServer`)."""
        client = request.client
        checked = (request.payload.client_id, nonce)
        if getattr(client, "relais_nonce_checked", None) == checked:
            return client.relais_nonce_used
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
        payload = claims.id_token_claims(code=code, issuer=claims.issuer())
        at_hash = create_half_hash(token["access_token"], alg)
        payload["at_hash"] = at_hash.decode("ascii")
        return keys.sign_id_token(payload, alg=alg)
