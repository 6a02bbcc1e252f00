"""The shape of the scale databases, shared by `load` and `report`.

Objects are numbered from 1; their UUIDs are derived from the number and a kind
prefix (`uid`), so that SQL (`uid_sql`) and Python name the same rows without
reading them back. Structure 1 is the large one.
"""

from dataclasses import dataclass

KIND = {
    "usager": 1,
    "structure": 2,
    "mandat": 3,
    "aidant": 4,
    "autorisation": 5,
    "habilitation": 6,
}
CLIENT_ID = "bench-scale-client"
DEMARCHES = ("social", "argent", "logement")
PURGED_NOTE = "usagers whose only mandate ended six years ago (purgeable)"


@dataclass(frozen=True)
class Shape:
    structures: int
    aidants: int
    usagers: int
    big_usagers: int  # usagers 1..big_usagers belong to structure 1
    extra_mandates: int  # second, expired mandates of usagers 1..extra_mandates
    third_autorisations: int  # mandates 1..n get a third démarche
    entries: int  # journal entries; every 5th belongs to structure 1
    purgeable: int  # the last usagers: purgeable (see PURGED_NOTE)

    @property
    def mandates(self) -> int:
        return self.usagers + self.extra_mandates

    @property
    def autorisations(self) -> int:
        return 2 * self.usagers + self.third_autorisations


SHAPES = {
    "large": Shape(
        structures=5000,
        aidants=30000,
        usagers=1_000_000,
        big_usagers=200_000,
        extra_mandates=200_000,
        third_autorisations=500_000,
        entries=10_000_000,
        purgeable=500,
    ),
    "small": Shape(
        structures=5,
        aidants=30,
        usagers=1000,
        big_usagers=200,
        extra_mandates=200,
        third_autorisations=500,
        entries=10_000,
        purgeable=20,
    ),
}


def uid(kind: str, number: int) -> str:
    """The UUID (a valid version 4 layout) of object `number` of `kind`."""
    return f"{KIND[kind]:08x}-0000-4000-8000-{number:012x}"


def uid_sql(kind: str, expr: str) -> str:
    """SQL computing `uid(kind, expr)`."""
    return (
        f"('{KIND[kind]:08x}-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"
    )


def usager_structure(shape: Shape, usager: int) -> int:
    if usager <= shape.big_usagers:
        return 1
    return 2 + usager % (shape.structures - 1)


def usager_structure_sql(shape: Shape, expr: str) -> str:
    return (
        f"CASE WHEN {expr} <= {shape.big_usagers} THEN 1"
        f" ELSE 2 + {expr} % {shape.structures - 1} END"
    )


def aidant_of(shape: Shape, structure: int, k: int) -> int:
    """The k-th aidant (0-based) of `structure`; aidant 1's structure is 1."""
    per = shape.aidants // shape.structures
    return structure + shape.structures * (k % per)
