"""`manage.py seed_demo`: the demo data, part by part, in this order.

Idempotent: a second run finds every row in place and changes nothing, so the
journal does not grow. Each part receives the `DemoContext` of the aidants'
part and adds its own output ("usagers", "client", ...).
"""

from typing import Any

from demo.aidants import Seeder, seed_aidants
from demo.mandats import seed_demo_usagers
from demo.onboarding import accept_terms_for_demo_accounts
from demo.rp.seed import seed_demo_client

PARTS: list[Seeder] = [
    seed_demo_usagers,
    accept_terms_for_demo_accounts,
    seed_demo_client,
]


def seed(*, extra_aidants: int = 0) -> dict[str, Any]:
    """Create (or find) the demo structure and accounts, then every part;
    returns the logins as README's seed_demo contract describes them."""
    context = seed_aidants(extra_aidants=extra_aidants)
    for part in PARTS:
        part(context)
    return context.output
