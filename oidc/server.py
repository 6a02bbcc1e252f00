"""The authlib authorization server: built once per process by `get_server()`
(settings are read when requests run, so the pytest `settings` fixture works)."""

import base64
import binascii
import functools
from urllib.parse import unquote

from authlib.common.urls import add_params_to_uri
from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oidc.rpinitiated import EndSessionEndpoint
from django.conf import settings
from django.db import router
from django.db.models import Exists, OuterRef
from django.urls import reverse
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from audit.keys import InvalidSignature
from config.prepared import PreparedQuery
from oidc import keys, services
from oidc.claims import issuer
from oidc.grants import (
    NONCE_CHECK,
    TOKEN_CODE,
    RelaisAuthorizationCodeGrant,
    RelaisOpenIDCode,
    S256CodeChallenge,
)
from oidc.models import AuthorizationCode, Client, Token, new_secret

MAX_CLIENT_ID_LENGTH = 64


def _basic_credentials(headers) -> tuple[str | None, str | None]:
    """HTTP Basic credentials, or (None, None) when absent or undecodable
    (authlib's parser raises on bytes that are not UTF-8)."""
    auth = headers.get("Authorization") or ""
    kind, _, value = auth.partition(" ")
    if kind.lower() != "basic" or not value:
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None, None
    return unquote(client_id), unquote(secret)


def authenticate_client_secret_basic(query_client, request):
    """RFC 6749 §2.3.1 with a constant-time secret check."""
    client_id, secret = _basic_credentials(request.headers)
    if not client_id or not secret:
        return None
    client = query_client(client_id)
    if client is None:
        raise InvalidClientError(status_code=401, description="Unknown client.")
    return client if client.check_client_secret(secret) else None


def authenticate_client_secret_post(query_client, request):
    client_id = request.form.get("client_id")
    secret = request.form.get("client_secret")
    if not client_id or not secret:
        return None
    client = query_client(client_id)
    if client is None:
        raise InvalidClientError(status_code=401, description="Unknown client.")
    return client if client.check_client_secret(secret) else None


class PrivateKeyJWT(JWTBearerClientAssertion):
    """RFC 7523 client authentication with the client's registered public keys;
    each assertion's `jti` is accepted once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self) -> None:
        super().__init__(validate_jti=True, leeway=30)

    def get_audiences(self) -> list[str]:
        """RFC 7523 §3: the token endpoint (or the issuer) is the audience."""
        return [issuer() + reverse("oidc:token"), issuer()]

    def resolve_client_public_key(self, client: Client) -> KeySet:
        """The public keys registered for the client."""
        try:
            return KeySet.import_key_set(client.jwks or {"keys": []})
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidClientError(description="Unusable client keys.") from None

    def validate_jti(self, claims, jti) -> bool:
        """Journals nothing; records the jti (False when already used)."""
        return services.record_client_assertion(
            client_id=claims.get("sub"), jti=jti, exp=claims.get("exp")
        )


def add_issuer(response):
    """RFC 9207 §2: every authorization response redirected to the service, an
    error included, names the issuer (mix-up defence)."""
    location = response.get("Location")
    if location and response.status_code in (302, 303):
        response["Location"] = add_params_to_uri(location, [("iss", issuer())])
    return response


def _client_and_nonce(client_id, nonce):
    used = AuthorizationCode.objects.filter(client=OuterRef("pk"), nonce=nonce)
    clients = Client.objects.active().filter(client_id=client_id)
    return clients.annotate(relais_nonce_used=Exists(used))[:1]


# Compiled once per process (config/prepared.py): read by every OIDC request.
_CLIENT = PreparedQuery(
    lambda client_id: Client.objects.active().filter(client_id=client_id)[:1],
    client_id="str",
)
_CLIENT_AND_NONCE = PreparedQuery(_client_and_nonce, client_id="str", nonce="str")


class RelaisAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(Client, Token)

    def create_authorization_response(self, request=None, grant_user=None, grant=None):
        """Authlib's response, with `iss` (RFC 9207)."""
        return add_issuer(
            super().create_authorization_response(request, grant_user, grant)
        )

    def authorization_error_response(self, error):
        """An authorization error redirected to the service, with `iss`."""
        return add_issuer(self.handle_error_response(None, error))

    def query_client(self, client_id):
        """An active client, or None (also for absurd identifiers). In a token
        request, the code comes with it (`relais_code`, locked, used only once
        the client is authenticated); in an authorization request, whether its
        nonce was already used (`relais_nonce_used`)."""
        if (
            not isinstance(client_id, str)
            or not client_id
            or len(client_id) > MAX_CLIENT_ID_LENGTH
            or "\x00" in client_id
        ):
            return None
        raw_code = TOKEN_CODE.get()
        if raw_code:
            code = services.preload_code(code=raw_code, client_id=client_id)
            if code is not None:
                client = code.client
                client.relais_code = code
                return client
        nonce_check = NONCE_CHECK.get()
        alias = router.db_for_read(Client)
        if nonce_check is not None and nonce_check[0] == client_id:
            found = _CLIENT_AND_NONCE.run(
                alias, client_id=client_id, nonce=nonce_check[1]
            )
        else:
            found = _CLIENT.run(alias, client_id=client_id)
        client = found[0] if found else None
        if client is not None and nonce_check is not None:
            client.relais_nonce_checked = nonce_check
        return client

    def create_token_response(self, request=None):
        """Authlib's, with the code read along with the client (one query)."""
        code = request.POST.get("code") if request is not None else None
        token = TOKEN_CODE.set(code if isinstance(code, str) else None)
        try:
            return super().create_token_response(request)
        finally:
            TOKEN_CODE.reset(token)

    def save_token(self, token, request):
        """Store the token's hash; TOKEN_ISSUED journaled by the service."""
        return services.issue_token(
            raw_token=token["access_token"],
            code=request.authorization_code,
            scope=token.get("scope") or "",
        )

    def get_authorization_grant(self, request):
        """Our one grant; any other response_type is refused without echoing
        it into a description (authlib's message breaks on odd characters)."""
        if request.payload.response_type == "code":
            return super().get_authorization_grant(request)
        redirect_uri = None
        client = self.query_client(request.payload.client_id)
        requested = request.payload.redirect_uri
        if client is not None and requested and client.check_redirect_uri(requested):
            redirect_uri = requested
        raise UnsupportedResponseTypeError(
            "code", description="Only 'code' is supported.", redirect_uri=redirect_uri
        )


def generate_bearer_token(
    grant_type, client, user=None, scope=None, expires_in=None, **kwargs
):
    """A 10-minute bearer token of 256 random bits, no refresh token."""
    return {
        "token_type": "Bearer",
        "access_token": new_secret(),
        "expires_in": settings.OIDC_TOKEN_TTL_SECONDS,
        "scope": scope or "",
    }


class RelaisRevocationEndpoint(RevocationEndpoint):
    """RFC 7009: a client revokes its own access tokens."""

    CLIENT_AUTH_METHODS = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def check_params(self, request, client) -> None:
        """A token is required; any hint is accepted."""
        if not request.form.get("token"):
            raise InvalidRequestError("Missing 'token'.")
        # RFC 7009 §2.1: an unknown hint is not an error for us, we search anyway.

    def authenticate_token(self, request, client):
        """Another client's token, or an unknown one, is silently ignored
        (§2.2: the response is 200 either way)."""
        self.check_params(request, client)
        return self.query_token(request.form["token"], None, client)

    def query_token(self, token_string, token_type_hint, client=None):
        """The client's own access token with this value, or None."""
        token = Token.objects.select_related(
            "aidant", "usager", "autorisation__mandat", "autorisation__structure"
        ).by_raw(token_string)
        if token is None or (client is not None and not token.check_client(client)):
            return None
        return token

    def revoke_token(self, token, request) -> None:
        """Revoke it; TOKEN_REVOKED journaled by the service."""
        services.revoke_token(token=token, client=request.client, reason="rfc7009")


class RelaisEndSessionEndpoint(EndSessionEndpoint):
    """RP-initiated logout: the id_token_hint must verify against our keys and
    name this issuer; only registered post-logout URIs are redirected to."""

    def _validate_id_token_hint(self, id_token_hint: str) -> dict:
        try:
            claims = keys.verify_id_token(id_token_hint)
        except InvalidSignature:
            raise InvalidRequestError("Invalid 'id_token_hint'.") from None
        if claims.get("iss") != issuer() or not isinstance(claims.get("aud"), str):
            raise InvalidRequestError("Invalid 'id_token_hint'.")
        return claims

    def get_server_jwks(self):
        """The published id_token keys, retired ones included."""
        return keys.jwks()

    def end_session(self, end_session_request) -> None:
        """Revoke the tokens of the login named by the id_token's `sid`."""
        claims = end_session_request.id_token_claims or {}
        client = end_session_request.client
        if client is not None and claims.get("sid"):
            services.end_session(sid=claims["sid"], client=client)


@functools.cache
def get_server() -> RelaisAuthorizationServer:
    server = RelaisAuthorizationServer()
    server.register_token_generator("default", generate_bearer_token)
    server.register_client_auth_method(
        "client_secret_basic", authenticate_client_secret_basic
    )
    server.register_client_auth_method(
        "client_secret_post", authenticate_client_secret_post
    )
    server.register_client_auth_method(
        PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT()
    )
    server.register_grant(
        RelaisAuthorizationCodeGrant, [S256CodeChallenge(), RelaisOpenIDCode()]
    )
    server.register_endpoint(RelaisRevocationEndpoint)
    server.register_endpoint(RelaisEndSessionEndpoint)
    return server
