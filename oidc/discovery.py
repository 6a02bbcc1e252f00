"""The OpenID Provider metadata (OpenID Connect Discovery 1.0): the contract
online services configure themselves from."""

from typing import Any

from django.urls import reverse

from oidc.claims import issuer
from oidc.keys import ID_TOKEN_ALGS
from oidc.models import IDENTITY_CLAIMS, SUPPORTED_SCOPES, AuthMethod


def discovery_document() -> dict[str, Any]:
    base = issuer()

    def url(name: str) -> str:
        return base + reverse(name)

    return {
        "issuer": base,
        "authorization_endpoint": url("oidc:authorize"),
        "token_endpoint": url("oidc:token"),
        "userinfo_endpoint": url("oidc:userinfo"),
        "jwks_uri": url("oidc:jwks"),
        "revocation_endpoint": url("oidc:revocation"),
        "end_session_endpoint": url("oidc:end-session"),
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGS),
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": list(AuthMethod.values),
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "revocation_endpoint_auth_methods_supported": list(AuthMethod.values),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": ["eidas1"],
        "prompt_values_supported": ["login", "consent", "select_account"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        # RFC 9207: every authorization response carries `iss`.
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "at_hash",
            "sid",
            *IDENTITY_CLAIMS,
            "rep_scope",
            "act",
            "mandat",
        ],
        "ui_locales_supported": ["fr"],
        # OIDC Back-Channel Logout 1.0 §2.1 (oidc/backchannel.py).
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
