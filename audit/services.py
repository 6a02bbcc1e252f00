"""Journal services: writes that are journaled themselves."""

from typing import Any

from django.db import transaction

from audit.actions import Action
from audit.journal import record
from audit.models import JournalEntry


def record_export(
    *,
    actor: Any,
    scope: str,
    export_format: str,
    filters: dict[str, str],
    count: int,
    structure: Any = None,
    request: Any = None,
) -> JournalEntry:
    """Journal an export of the journal (JOURNAL_EXPORTED), before it is streamed:
    who, which scope ("structure" or "own"), format, filters and entry count."""
    with transaction.atomic():
        return record(
            Action.JOURNAL_EXPORTED,
            actor=actor,
            structure=structure,
            request=request,
            details={
                "scope": scope,
                "format": export_format,
                "filters": filters,
                "count": count,
            },
        )
