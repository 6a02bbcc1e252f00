"""The claims an online service receives: FranceConnect's identity pivot for the
usager (per scope), `acr`, `rep_scope`, the RFC 8693 `act` actor and the mandate.

`sub` is pairwise (OIDC Core §8.1): HMAC-SHA256 of the usager's uuid under the
client's salt, stable for one client and unlinkable across clients. The aidant's
`act.sub` is computed the same way in a separate namespace.
"""

import hashlib
import hmac
import time
from typing import Any

from django.conf import settings

from aidants.models import Aidant, Structure
from mandats.models import Mandat, Usager
from oidc.models import IDENTITY_CLAIMS, SCOPE_CLAIMS, AuthorizationCode, Client, Token


def issuer() -> str:
    """This provider's `iss`."""
    return (settings.OIDC_ISSUER or settings.SITE_URL).rstrip("/")


ACR = "eidas1"


def pairwise_id(client: Client, kind: str, value: Any) -> str:
    """Pairwise identifier of `value` (a uuid) of `kind` ("usager", "aidant")."""
    message = f"{kind}:{value}".encode()
    return hmac.new(
        client.pairwise_salt.encode("ascii"), message, hashlib.sha256
    ).hexdigest()


def released_claims(scope: str) -> list[str]:
    """Identity claims released by `scope`, in a stable order."""
    names: set[str] = set()
    for value in (scope or "").split():
        names.update(SCOPE_CLAIMS.get(value, ()))
        if value in IDENTITY_CLAIMS:
            names.add(value)
    return [name for name in IDENTITY_CLAIMS if name in names]


def identity_claims(usager: Usager, scope: str) -> dict[str, str]:
    """The usager's identity pivot (FranceConnect formats) allowed by `scope`."""
    values = usager.identity_pivot()
    values["email"] = usager.email
    values["preferred_username"] = usager.preferred_username
    result = {}
    for name in released_claims(scope):
        value = values.get(name, "")
        if value or name not in ("email", "preferred_username"):
            result[name] = value
    return result


def actor_claims(
    *,
    client: Client,
    aidant: Aidant,
    structure: Structure,
    mandat: Mandat,
    demarche: str,
) -> dict[str, Any]:
    """Who really acts (RFC 8693 `act`), for which démarche, under which mandate."""
    return {
        "rep_scope": [demarche],
        "act": {
            "sub": pairwise_id(client, "aidant", aidant.uuid),
            "structure": structure.siret,
        },
        # Pairwise like `sub`: one global mandate id would let services
        # correlate the same usager's visits.
        "mandat": pairwise_id(client, "mandat", mandat.uuid),
    }


def _common(source: AuthorizationCode | Token) -> dict[str, Any]:
    autorisation = source.autorisation
    result = {"sub": pairwise_id(source.client, "usager", source.usager.uuid)}
    result.update(identity_claims(source.usager, source.scope))
    result.update(
        actor_claims(
            client=source.client,
            aidant=source.aidant,
            structure=autorisation.structure,
            mandat=autorisation.mandat,
            demarche=source.demarche
            if isinstance(source, AuthorizationCode)
            else autorisation.demarche,
        )
    )
    return result


def id_token_claims(*, code: AuthorizationCode, issuer: str) -> dict[str, Any]:
    """The id_token payload (without at_hash) for an exchanged code."""
    now = int(time.time())
    payload = {
        "iss": issuer,
        "aud": code.client.client_id,
        "iat": now,
        "exp": now + settings.OIDC_TOKEN_TTL_SECONDS,
        "auth_time": code.get_auth_time(),
        "nonce": code.nonce,
        "acr": code.acr or ACR,
        "amr": code.get_amr(),
        # Session id: end-session revokes what this authorization issued.
        "sid": str(code.uuid),
    }
    payload.update(_common(code))
    return payload


def userinfo_claims(token: Token) -> dict[str, Any]:
    """The userinfo response for a live token."""
    return _common(token)
