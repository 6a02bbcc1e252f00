"""The usager lists (the OIDC pick list, the aidant's `/usagers/`), one page at
a time: one query per page whatever the structure's size (config.keyset).

A page reads the structure's own directory (mandats.models.directory), in the
order (family_name, given_name, usager) that `structure_usager_order_idx`
serves: a range scan of the structure's rows, never a walk of every usager.
The cursor is a usager's UUID."""

import uuid
from datetime import datetime

from django.db import router
from django.db.models import OuterRef, Subquery

from aidants.models import Structure
from config.keyset import KeysetPage, RowCompare, parse_uuid
from config.prepared import PreparedFamily, PreparedQuery, listed
from mandats.models import (
    Autorisation,
    Mandat,
    StructureUsager,
    StructureUsagerQuerySet,
    _now,
)

PAGE_SIZE = 25
ORDER = ("family_name", "given_name", "usager_id")
ANNOTATIONS = ("has_live", "renewable_uuid")

parse_cursor = parse_uuid


def _page(
    structure: Structure,
    rows: StructureUsagerQuerySet,
    *,
    query: str = "",
    after: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """The page of `rows` (the structure's directory, filtered) matching `query`
    (names, or a birthdate dd/mm/yyyy), after (or before) the usager whose UUID
    is the cursor: one query of at most size + 1 rows. Items are usagers (with
    the rows' annotations)."""
    rows = rows.search(query).select_related("usager")
    cursor = after if after is not None else before
    if cursor is not None:
        key = StructureUsager.objects.filter(
            structure=structure, usager__uuid=cursor
        ).values(*ORDER)
        rows = rows.filter(RowCompare(ORDER, ">" if after is not None else "<", key))
    backward = after is None and before is not None
    order = [f"-{c}" for c in ORDER] if backward else list(ORDER)
    found = list(rows.order_by(*order)[: size + 1])
    return _as_page(found, size=size, backward=backward, cursor=cursor)


def _as_page(
    found: list[StructureUsager],
    *,
    size: int,
    backward: bool = False,
    cursor: uuid.UUID | None = None,
) -> KeysetPage:
    """The page of usagers from the directory rows read (size + 1 at most)."""
    more = len(found) > size
    found = found[:size][::-1] if backward else found[:size]
    items = []
    for row in found:
        for name in ANNOTATIONS:
            if hasattr(row, name):
                setattr(row.usager, name, getattr(row, name))
        items.append(row.usager)
    first = str(items[0].uuid) if items else None
    last = str(items[-1].uuid) if items else None
    if backward:
        return KeysetPage(items=items, after=last, before=first if more else None)
    return KeysetPage(
        items=items,
        after=last if more else None,
        before=first if cursor is not None else None,
    )


def _directory(structure: Structure | int) -> StructureUsagerQuerySet:
    return StructureUsager.objects.filter(
        structure=structure, usager__purged_at__isnull=True
    )


def _live_rows(
    structure: Structure | int, demarches: list[str], at: datetime | None = None
) -> StructureUsagerQuerySet:
    """The directory rows of usagers with a live autorisation with `structure`
    for one of `demarches`."""
    live = Autorisation.objects.live(at).filter(
        structure=structure, usager=OuterRef("usager_id"), demarche__in=demarches
    )
    # A scalar subquery probed per row of the page (an id or NULL), not EXISTS:
    # PostgreSQL may hash an EXISTS over every live autorisation of a large
    # structure instead of walking the directory in order.
    return (
        _directory(structure)
        .alias(live_id=Subquery(live.values("pk")[:1]))
        .filter(live_id__isnull=False)
    )


def _first_live_page(shape: tuple[int, int]) -> PreparedQuery:
    """The pick list's first page, unfiltered (nearly every authorization
    request), for (how many démarches, page size)."""
    count, size = shape

    def build(*, structure_id, at, **codes):
        demarches = [codes[f"d{i}"] for i in range(count)]
        rows = _live_rows(structure_id, demarches, at).select_related("usager")
        return rows.order_by(*ORDER)[: size + 1]

    kinds = listed("d", ["str"] * count)
    return PreparedQuery(build, structure_id="int", at="datetime", **kinds)


# Compiled once per process and shape (config/prepared.py).
_FIRST_LIVE_PAGE = PreparedFamily(_first_live_page)


def live_usagers_page(
    structure: Structure, demarches: list[str], at: datetime | None = None, **page
) -> KeysetPage:
    """The OIDC pick list: usagers with a live autorisation with `structure` for
    one of `demarches` (as `Usager.objects.with_live_autorisations`)."""
    size = page.get("size", PAGE_SIZE)
    cursor = page.get("after") or page.get("before")
    if not page.get("query") and cursor is None and demarches:
        found = _FIRST_LIVE_PAGE[len(demarches), size].run(
            router.db_for_read(StructureUsager),
            structure_id=structure.pk,
            at=_now(at),
            **listed("d", demarches),
        )
        return _as_page(found, size=size)
    return _page(structure, _live_rows(structure, demarches, at), **page)


def structure_usagers_page(
    structure: Structure, at: datetime | None = None, **page
) -> KeysetPage:
    """The aidant's `/usagers/` list: usagers who hold or held a mandate with
    `structure` (as `Usager.objects.with_mandats_of`, with `has_live` and
    `renewable_uuid`)."""
    at = _now(at)
    live = Autorisation.objects.live(at).filter(
        structure=structure, usager=OuterRef("usager_id")
    )
    theirs = Mandat.objects.filter(structure=structure, usager=OuterRef("usager_id"))
    rows = _directory(structure).annotate(
        has_live=Subquery(live.values("pk")[:1]),
        renewable_uuid=Subquery(
            theirs.expired(at).order_by("-expires_at").values("uuid")[:1]
        ),
    )
    return _page(structure, rows, **page)
