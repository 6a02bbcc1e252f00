"""Usagers, mandates and autorisations (one per démarche), by topic; every name
stays importable from `mandats.models` (migrations and the rest of the tree
rely on it).
"""

from mandats.models.autorisations import (  # noqa: F401
    Autorisation,
    AutorisationQuerySet,
    live_autorisation,
    live_autorisations_of,
)
from mandats.models.common import (  # noqa: F401
    COUNTRY_FRANCE,
    IDENTITY_FIELDS,
    Duration,
    Gender,
    RevokedBy,
    Status,
    _now,
    insee_code,
    new_public_id,
)
from mandats.models.directory import (  # noqa: F401
    StructureUsager,
    StructureUsagerQuerySet,
)
from mandats.models.mandates import (  # noqa: F401
    Mandat,
    MandatQuerySet,
)
from mandats.models.usagers import (  # noqa: F401
    Usager,
    UsagerQuerySet,
)
