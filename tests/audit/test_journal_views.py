import csv
import io
import json
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

import audit
from audit.models import JournalEntry
from audit.verify import verify_journal

JOURNAL = reverse("aidants:journal")
EXPORT = reverse("aidants:journal-export")
MINE = reverse("aidants:my-journal")
MY_EXPORT = reverse("aidants:my-journal-export")
USAGER = str(uuid.uuid4())


def _used(aidant, structure, *, usager=USAGER, demarche="social"):
    return audit.record(
        audit.Action.MANDAT_USED,
        actor=aidant,
        structure=structure,
        usager=usager,
        demarche=demarche,
    )


@pytest.fixture
def entries(aidant, referent, structure, other_structure_aidant, other_structure):
    """Three entries for our structure (2 by the aidant, 1 by the référent) and
    one for another structure."""
    return {
        "mine": _used(aidant, structure),
        "revoked": audit.record(
            audit.Action.MANDAT_REVOKED, actor=aidant, structure=structure
        ),
        "referent": audit.record(
            audit.Action.AIDANT_INVITED, actor=referent, structure=structure
        ),
        "other": _used(other_structure_aidant, other_structure, usager=USAGER),
    }


def _seqs(response):
    return [entry.seq for entry, _ in response.context["rows"]]


def test_referent_sees_only_the_structure_journal(referent_client, entries):
    response = referent_client.get(JOURNAL)
    assert response.status_code == 200
    assert _seqs(response) == [
        entries["referent"].seq,
        entries["revoked"].seq,
        entries["mine"].seq,
    ]
    assert entries["other"].seq not in _seqs(response)
    page = response.content.decode()
    assert "Mandat utilisé" in page and "Alice" in page
    assert "Filtrer le journal" in page


def test_other_referent_never_sees_our_entries(client, other_referent, entries):
    from tests.conftest import verified_client

    response = verified_client(client, other_referent).get(JOURNAL)
    assert _seqs(response) == [entries["other"].seq]
    export = verified_client(client, other_referent).get(EXPORT, {"format": "json"})
    seqs = [row["seq"] for row in json.loads(b"".join(export.streaming_content))]
    ours = {entries[name].seq for name in ("mine", "revoked", "referent")}
    assert entries["other"].seq in seqs and not ours & set(seqs)


def test_anonymous_is_sent_to_login(client):
    for url in (JOURNAL, EXPORT, MINE, MY_EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("aidants:login"))


def test_plain_aidant_cannot_see_the_structure_journal(aidant_client, entries):
    assert aidant_client.get(JOURNAL).status_code == 403
    before = JournalEntry.objects.count()
    assert aidant_client.get(EXPORT).status_code == 403
    # Only the refusal is journaled, never an export.
    assert JournalEntry.objects.count() == before + 1
    refusal = JournalEntry.objects.order_by("-seq").first()
    assert refusal.action == "access_denied"
    assert refusal.details["reason"] == "not_referent"


def test_aidant_sees_only_their_own_actions(aidant_client, entries):
    response = aidant_client.get(MINE)
    assert response.status_code == 200
    assert _seqs(response) == [entries["revoked"].seq, entries["mine"].seq]
    assert "Aidant" not in [f.label for f in response.context["form"]]


def test_filters_by_aidant_usager_and_action(referent_client, entries, aidant):
    by_aidant = referent_client.get(JOURNAL, {"aidant": str(aidant.uuid)})
    assert _seqs(by_aidant) == [entries["revoked"].seq, entries["mine"].seq]
    by_usager = referent_client.get(JOURNAL, {"usager": USAGER.upper()})
    assert _seqs(by_usager) == [entries["mine"].seq]
    by_action = referent_client.get(JOURNAL, {"action": "aidant_invited"})
    assert _seqs(by_action) == [entries["referent"].seq]


def test_filters_by_date_range(referent_client, aidant, structure):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=UTC), tick=False):
        march = _used(aidant, structure)
    with time_machine.travel(datetime(2026, 4, 30, 21, 30, tzinfo=UTC), tick=False):
        # 23:30 in Paris: still 30 April for the référent.
        april = _used(aidant, structure)
    with time_machine.travel(datetime(2026, 5, 2, 10, tzinfo=UTC), tick=False):
        may = _used(aidant, structure)
    response = referent_client.get(
        JOURNAL, {"date_from": "2026-04-01", "date_to": "2026-04-30"}
    )
    assert _seqs(response) == [april.seq]
    response = referent_client.get(JOURNAL, {"date_from": "01/03/2026"})
    assert _seqs(response) == [may.seq, april.seq, march.seq]
    response = referent_client.get(JOURNAL, {"date_to": "2026-03-01"})
    assert _seqs(response) == [march.seq]


def test_pagination_by_fifty(referent_client, aidant, structure):
    for _ in range(60):
        _used(aidant, structure)
    first = referent_client.get(JOURNAL)
    assert len(first.context["rows"]) == 50
    page = first.context["page"]
    assert page.has_next and not page.has_previous
    second = referent_client.get(
        JOURNAL, {"after": page.after, "action": "mandat_used"}
    )
    assert _seqs(second) == list(range(10, 0, -1))
    previous_link = second.content.decode().split("fr-pagination__link--prev")[1]
    before = second.context["page"].before
    assert f"action=mandat_used&amp;before={before}" in previous_link.split(">")[0]
    back = referent_client.get(JOURNAL, {"before": before, "action": "mandat_used"})
    assert _seqs(back) == _seqs(first)
    assert referent_client.get(JOURNAL, {"after": "abc"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-45"}, "Saisissez une date valide"),
        ({"date_to": "hier"}, "Saisissez une date valide"),
        ({"action": "made_up"}, "Cette action n&#x27;existe pas."),
        ({"usager": "Dubois"}, "Identifiant d&#x27;usager invalide."),
        ({"aidant": str(uuid.uuid4())}, "Cet aidant n&#x27;appartient pas"),
        (
            {"date_from": "2026-05-01", "date_to": "2026-04-01"},
            "La date de début doit précéder la date de fin.",
        ),
    ],
)
def test_bad_filter_gives_a_french_error(referent_client, entries, params, message):
    response = referent_client.get(JOURNAL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["rows"] == []
    before = JournalEntry.objects.count()
    export = referent_client.get(EXPORT, {**params, "format": "csv"})
    assert export.status_code == 400
    assert message in export.content.decode()
    assert JournalEntry.objects.count() == before  # no export was journaled


def test_other_structure_aidant_is_not_a_valid_filter(
    referent_client, entries, other_structure_aidant
):
    response = referent_client.get(
        JOURNAL, {"aidant": str(other_structure_aidant.uuid)}
    )
    assert response.status_code == 400


def test_csv_export_content_and_its_journal_entry(
    referent_client, referent, structure, entries, assert_journaled
):
    response = referent_client.get(EXPORT, {"format": "csv", "action": "mandat_used"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"structure-{structure.siret}" in response["Content-Disposition"]
    entry = assert_journaled(
        "journal_exported",
        actor_id=str(referent.uuid),
        structure_id=str(structure.uuid),
    )
    assert entry.details["scope"] == "structure"
    assert entry.details["format"] == "csv"
    assert entry.details["filters"] == {"action": "mandat_used"}
    assert entry.details["count"] == 1
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["seq"]) for row in rows] == [entries["mine"].seq]
    row = rows[0]
    assert row["action_label"] == "Mandat utilisé"
    assert row["usager_id"] == USAGER and row["demarche"] == "social"
    assert row["entry_hash"] == entries["mine"].entry_hash
    assert verify_journal().ok


def test_json_export_of_the_whole_structure(referent_client, entries):
    response = referent_client.get(EXPORT, {"format": "json"})
    assert response["Content-Type"] == "application/json"
    rows = json.loads(b"".join(response.streaming_content))
    seqs = [row["seq"] for row in rows]
    exported = JournalEntry.objects.get(action="journal_exported")
    # The export's own entry was written first, so it is part of the export.
    assert seqs == sorted(
        [
            entries["mine"].seq,
            entries["revoked"].seq,
            entries["referent"].seq,
            exported.seq,
        ]
    )
    assert entries["other"].seq not in seqs
    assert rows[0]["prev_hash"] and rows[0]["created_at"].endswith("+00:00")


def test_aidant_exports_only_their_own_actions(
    aidant_client, aidant, entries, assert_journaled
):
    response = aidant_client.get(MY_EXPORT, {"format": "json"})
    rows = json.loads(b"".join(response.streaming_content))
    assert {row["actor_id"] for row in rows} == {str(aidant.uuid)}
    assert entries["referent"].seq not in [row["seq"] for row in rows]
    entry = assert_journaled("journal_exported", actor_id=str(aidant.uuid))
    assert entry.details["scope"] == "own"


def test_unknown_export_format_is_refused(referent_client, entries):
    before = JournalEntry.objects.count()
    response = referent_client.get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 400
    assert "Format d&#x27;export inconnu" in response.content.decode()
    assert JournalEntry.objects.count() == before


def test_csv_cells_cannot_start_a_formula(referent_client, aidant, structure):
    audit.record(
        audit.Action.ACCESS_DENIED,
        actor=aidant,
        structure=structure,
        demarche="=HYPERLINK(1)",
    )
    response = referent_client.get(EXPORT, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
