"""The usager lists (the OIDC pick list, the aidant's `/usagers/`), one page at
a time: one query per page whatever the structure's size (config.keyset), in
the order (family_name, given_name, id) that the usager_name_order_idx index
serves. The cursor is a usager's UUID."""

import uuid

from aidants.models import Structure
from config.keyset import KeysetPage, keyset_page, parse_uuid
from mandats.models import Usager

PAGE_SIZE = 25
ORDER = ("family_name", "given_name", "id")

parse_cursor = parse_uuid


def usagers_page(
    usagers,
    *,
    query: str = "",
    after: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """One page of `usagers` matching `query` (names, or a birthdate dd/mm/yyyy)."""
    return keyset_page(
        usagers.search(query),
        order=ORDER,
        key="uuid",
        after=after,
        before=before,
        size=size,
    )


def live_usagers_page(structure: Structure, demarches: list[str], **page) -> KeysetPage:
    """The OIDC pick list: usagers with a live autorisation with `structure` for
    one of `demarches`."""
    usagers = Usager.objects.with_live_autorisations(structure, demarches)
    return usagers_page(usagers, **page)


def structure_usagers_page(structure: Structure, **page) -> KeysetPage:
    """The aidant's `/usagers/` list: usagers who hold or held a mandate with
    `structure` (with `has_live` and `renewable_uuid`)."""
    return usagers_page(Usager.objects.with_mandats_of(structure), **page)
