"""The journal as the référent (their structure) and the aidant (their own actions)
see it, with filters, pagination and CSV / JSON exports. Reads go through the
scoped JournalEntry QuerySet methods; an export is journaled by audit.services."""

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from aidants.decorators import referent_required, verified_aidant_required
from aidants.models import Habilitation
from audit.export import csv_lines, json_chunks
from audit.forms import EXPORT_FORMATS, JournalFilterForm
from audit.models import JournalEntry
from audit.services import record_export
from config.keyset import keyset_page, parse_int

PAGE_SIZE = 50
ORDER = ("-created_at", "-seq")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _structure_aidants(structure) -> dict[str, str]:
    """Journal id -> display name of every aidant who belongs or belonged to it."""
    memberships = Habilitation.objects.filter(structure=structure).select_related(
        "aidant"
    )
    names = {
        str(h.aidant.uuid): h.aidant.get_full_name() or h.aidant.email
        for h in memberships
    }
    return dict(sorted(names.items(), key=lambda item: item[1].lower()))


def _scope(request, *, own: bool):
    """(base queryset, bound filter form, actor names, title): the aidant's own
    actions, or the current structure's journal."""
    user = request.user
    if own:
        names = {str(user.uuid): user.get_full_name() or user.email}
        base = JournalEntry.objects.for_actor(user.uuid)
        return base, JournalFilterForm(request.GET), names, _("Mes actions")
    structure = user.current_structure
    names = _structure_aidants(structure)
    base = JournalEntry.objects.for_structure(structure.journal_id)
    form = JournalFilterForm(request.GET, aidant_choices=list(names.items()))
    return base, form, names, _("Journal de %(name)s") % {"name": structure.name}


def _render(request, *, own: bool, form, names, title, entries, status=200):
    # Newest first, keyset-paginated (a structure's journal holds millions of
    # entries: never counted); served by the (…, created_at, seq) indexes.
    page = keyset_page(
        entries,
        order=ORDER,
        key="seq",
        after=parse_int(request.GET.get("after")),
        before=parse_int(request.GET.get("before")),
        size=PAGE_SIZE,
    )
    context = {
        "title": title,
        "own": own,
        "form": form,
        "page": page,
        "rows": [(entry, names.get(entry.actor_id, "")) for entry in page],
        "export_formats": EXPORT_FORMATS,
        "export_url": "aidants:my-journal-export" if own else "aidants:journal-export",
    }
    return render(request, "aidants/journal/list.html", context, status=status)


def _page(request, *, own: bool):
    base, form, names, title = _scope(request, own=own)
    if not form.is_valid():
        # Bad filter: the errors in French, nothing listed, nothing changed.
        return _render(
            request,
            own=own,
            form=form,
            names=names,
            title=title,
            entries=base.none(),
            status=400,
        )
    entries = base.filtered(**form.query())
    return _render(
        request, own=own, form=form, names=names, title=title, entries=entries
    )


def _export(request, *, own: bool):
    base, form, names, title = _scope(request, own=own)
    export_format = request.GET.get("format", "csv")
    valid = form.is_valid()
    if export_format not in CONTENT_TYPES:
        form.add_error(None, _("Format d'export inconnu : choisissez CSV ou JSON."))
        valid = False
    if not valid:
        return _render(
            request,
            own=own,
            form=form,
            names=names,
            title=title,
            entries=base.none(),
            status=400,
        )
    entries = base.filtered(**form.query()).order_by("seq")
    structure = request.user.current_structure
    record_export(
        actor=request.user,
        scope="own" if own else "structure",
        export_format=export_format,
        filters=form.summary(),
        count=entries.count(),
        structure=structure,
        request=request,
    )
    stream = csv_lines(entries) if export_format == "csv" else json_chunks(entries)
    response = StreamingHttpResponse(stream, content_type=CONTENT_TYPES[export_format])
    label = "mes-actions" if own else f"structure-{structure.siret}"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="journal-{label}-{stamp}.{export_format}"'
    )
    return response


@require_GET
@referent_required
def journal(request):
    return _page(request, own=False)


@require_GET
@referent_required
def journal_export(request):
    return _export(request, own=False)


@require_GET
@verified_aidant_required
def my_journal(request):
    return _page(request, own=True)


@require_GET
@verified_aidant_required
def my_journal_export(request):
    return _export(request, own=True)
