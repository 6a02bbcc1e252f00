"""The usager lists' per-structure access path: one row per (structure, usager)
who holds or held a mandate there, with the usager's sort and search columns
copied, so that a list page is a range scan of the structure's own rows (index
`structure_usager_order_idx`) and a search a scan restricted to them (on
PostgreSQL, trigram GIN indexes on the copied names, migration
`0007_structure_usager_fill_and_search`) whatever the number of usagers elsewhere.

Kept exact in the transaction of every write that changes it: a mandate's
creation enters the pair (`Mandat.save`), a change of the usager's names
updates its rows (`Usager.save`), a purge deletes them (`mandats.purge`).
Mandates are never deleted, so membership only grows until the purge; liveness
is not copied here: the lists read it from the autorisations per row.
"""

from collections.abc import Iterable
from datetime import datetime

from django.apps import apps
from django.db import connections, models
from django.db.models import Q

from aidants.models import Structure

# The usager's columns copied into the directory.
COPIED = ("family_name", "given_name", "preferred_username", "birthdate")


def _usager_table() -> str:
    # By name: mandats.models.usagers imports this module (Usager.save keeps
    # the directory's copies), so importing Usager here would be a cycle.
    return apps.get_model("mandats", "Usager")._meta.db_table


class SearchMixin:
    """Name or birthdate search over the COPIED columns (usagers, directory)."""

    def search(self, q: str):
        """Filter on names (each word) or on a birthdate typed dd/mm/yyyy."""
        qs = self
        for word in (q or "").split():
            try:
                born = datetime.strptime(word, "%d/%m/%Y").date()  # noqa: DTZ007
            except ValueError:
                born = None
            if born is not None:
                qs = qs.filter(birthdate=born)  # type: ignore[attr-defined]
            else:
                qs = qs.filter(  # type: ignore[attr-defined]
                    Q(given_name__icontains=word)
                    | Q(family_name__icontains=word)
                    | Q(preferred_username__icontains=word)
                )
        return qs


class StructureUsagerQuerySet(SearchMixin, models.QuerySet):
    def enter(self, usager, structure_id: int) -> None:
        """Add (structure, usager) if absent, the names read from the usager's
        row in the same statement (INSERT … SELECT … ON CONFLICT DO NOTHING).
        On PostgreSQL the row is read FOR SHARE: a concurrent name change
        (`identify_usager` locks the usager FOR UPDATE, then updates every
        directory row) either commits first, and its names are the ones
        copied, or waits for this transaction and then updates this row too."""
        connection = connections[self.db]
        lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
        columns = ", ".join(COPIED)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {StructureUsager._meta.db_table}"  # noqa: S608 - constants
                f" (structure_id, usager_id, {columns})"
                f" SELECT %s, id, {columns} FROM {_usager_table()} WHERE id = %s{lock}"
                " ON CONFLICT DO NOTHING",
                [structure_id, usager.pk],
            )

    def copy_names(self, usager) -> int:
        """Refresh the usager's copied columns in every structure's row."""
        return self.filter(usager=usager).update(
            **{name: getattr(usager, name) for name in COPIED}
        )

    def forget(self, usager_ids: Iterable[int]) -> None:
        """Remove purged usagers (their names are personal data)."""
        self.filter(usager_id__in=list(usager_ids)).delete()


class StructureUsager(models.Model):
    """A usager in a structure's directory (see the module's docstring)."""

    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    usager = models.ForeignKey(
        "mandats.Usager", on_delete=models.CASCADE, related_name="directory"
    )
    family_name = models.CharField(max_length=255)
    given_name = models.CharField(max_length=255)
    preferred_username = models.CharField(max_length=255, blank=True)
    birthdate = models.DateField()

    objects = StructureUsagerQuerySet.as_manager()

    class Meta:
        indexes = [
            # The lists' order within a structure, and their keyset pages.
            models.Index(
                fields=["structure", "family_name", "given_name", "usager"],
                name="structure_usager_order_idx",
            ),
            models.Index(
                fields=["structure", "birthdate"], name="structure_usager_born_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "usager"], name="structure_usager_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.structure_id}:{self.usager_id}"
