"""The OIDC bridge's models, by topic; every name stays importable from
`oidc.models` (migrations and the rest of the tree rely on it).
"""

from oidc.models.clients import (  # noqa: F401
    IDENTITY_CLAIMS,
    SCOPE_CLAIMS,
    SUPPORTED_SCOPES,
    AuthMethod,
    Client,
    ClientProfile,
    ClientQuerySet,
    SigningAlg,
    new_client_id,
    new_salt,
    new_secret,
    sha256_hex,
)
from oidc.models.grants import (  # noqa: F401
    AuthorizationCode,
    ClientAssertion,
    Token,
    TokenQuerySet,
)
from oidc.models.sessions import (  # noqa: F401
    DeliveryStatus,
    LogoutDelivery,
    ServiceSession,
    ServiceSessionQuerySet,
)
