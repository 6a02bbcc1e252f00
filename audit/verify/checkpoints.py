"""The signed checkpoints a verification checks the chain against: the
database's rows (signed with the service's checkpoint keys) and the witness's
lines (signed with the keys pinned in the witness, outside the database)."""

import base64
import json
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from audit import witness
from audit.checkpoints import CHECKPOINT_TYPE, checkpoint_payload, journal_genesis
from audit.keys import InvalidSignature, verify_jws
from audit.models import JournalCheckpoint
from audit.verify.report import Broken, Problem, VerifyReport

# (seq, entry_hash, label, checkpoint row id or None for a witness line,
#  signature)
Pending = tuple[int, str, str, int | None, str]


def _header_kid(token: str) -> str | None:
    try:
        header = token.split(".", 1)[0]
        kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        return kid.get("kid") if isinstance(kid, dict) else None
    except (ValueError, TypeError, UnicodeError):
        return None


class Signatures:
    """Checks each checkpoint's signature once. A database row and its witness
    line carry the same JWS: when the key that verifies the second copy is the
    very same public key, the first check's result stands."""

    def __init__(self) -> None:
        self._verified: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.checked = 0

    def verify(self, token: str, jwks: dict[str, Any]) -> dict[str, Any]:
        """`audit.keys.verify_jws(token, jwks)`, remembered per (token, key)."""
        kid = _header_kid(token)
        keys = [k for k in jwks.get("keys", []) if k.get("kid") == kid]
        done = self._verified.get(token)
        if done is not None and len(keys) == 1 and done[0] == keys[0]:
            return done[1]
        self.checked += 1
        payload = verify_jws(token, jwks)
        if len(keys) == 1:
            self._verified[token] = (keys[0], payload)
        return payload


def signed_rows(
    jwks: dict[str, Any], signatures: Signatures, from_seq: int
) -> Generator[Pending, None, None]:
    """Yield every checkpoint row from entry `from_seq` on, in seq order, after
    checking its signature and that the row says what was signed."""

    rows = (
        JournalCheckpoint.objects.filter(seq__gte=from_seq)
        .order_by("seq", "pk")
        .values_list("pk", "seq", "entry_hash", "created_at", "signature")
    )
    for pk, seq, entry_hash, created_at, signature in rows.iterator(chunk_size=2000):
        try:
            payload = signatures.verify(signature, jwks)
        except InvalidSignature as exc:
            raise Broken(
                Problem(
                    seq,
                    _("point de contrôle n°%(id)s : signature invalide (%(why)s)")
                    % {"id": pk, "why": exc},
                    pk,
                )
            ) from exc
        if (
            payload.get("typ") != CHECKPOINT_TYPE
            or payload.get("seq") != seq
            or payload.get("entry_hash") != entry_hash
            or payload.get("created_at") != created_at.astimezone(UTC).isoformat()
        ):
            raise Broken(
                Problem(
                    seq,
                    _("point de contrôle n°%(id)s : modifié après sa signature")
                    % {"id": pk},
                    pk,
                )
            )
        label = _("point de contrôle signé n°%(id)s") % {"id": pk}
        yield seq, entry_hash, label, pk, signature


def witnessed(
    found: witness.Witness, signatures: Signatures, from_seq: int
) -> Iterator[Pending]:
    """Yield every checkpoint of the witness from entry `from_seq` on, after
    checking its signature with the key pinned in the witness (never with a
    key from the database)."""

    for item in found.checkpoints:
        if item.seq < from_seq:
            continue
        label = _("point de contrôle du témoin (ligne %(line)s)") % {"line": item.line}
        jwk = found.keys.get(item.kid)
        if jwk is None:
            raise Broken(
                Problem(item.seq, _("%(what)s : clé non épinglée") % {"what": label})
            )
        try:
            payload = signatures.verify(item.signature, {"keys": [jwk]})
        except InvalidSignature as exc:
            raise Broken(
                Problem(
                    item.seq,
                    _("%(what)s : signature invalide (%(why)s)")
                    % {"what": label, "why": exc},
                )
            ) from exc
        try:
            signed = checkpoint_payload(
                seq=item.seq,
                entry_hash=item.entry_hash,
                created_at=datetime.fromisoformat(item.created_at),
            )
        except (ValueError, TypeError):
            signed = None
        if payload != signed:
            raise Broken(
                Problem(item.seq, _("%(what)s : ligne modifiée") % {"what": label})
            )
        yield item.seq, item.entry_hash, label, None, item.signature


def load_witness(report: VerifyReport) -> tuple[witness.Witness | None, Problem | None]:
    """(the journal's witness or None, the problem to report after the chain
    walk when a witness should exist but does not). Raises Broken when the
    witness is unreadable."""

    genesis = journal_genesis()
    others = witness.other_journals(genesis)
    found = None
    if genesis is not None:
        try:
            found = witness.read(genesis)
        except witness.WitnessError as exc:
            raise Broken(Problem(None, _("témoin illisible : %s") % exc)) from exc
    if found is not None:
        report.witness_path = str(found.path)
        return found, None
    if others:
        return None, (
            Problem(
                1,
                _(
                    "aucun témoin pour ce journal (entrée n°1 %(hash)s…), mais le "
                    "dossier témoin %(dir)s en garde un autre (%(other)s…) : "
                    "entrée n°1 réécrite, ou mauvais dossier témoin"
                )
                % {
                    "hash": (genesis or "absente")[:16],
                    "dir": witness.directory(),
                    "other": others[0][:16],
                },
            )
        )
    if JournalCheckpoint.objects.exists():
        return None, (
            Problem(
                None,
                _(
                    "le journal a des points de contrôle mais aucun témoin dans "
                    "%(dir)s (lancez journal_checkpoint après une mise à jour, ou "
                    "vérifiez RELAIS_JOURNAL_WITNESS_DIR)"
                )
                % {"dir": witness.directory()},
            )
        )
    return None, None


def reconcile(found: witness.Witness) -> None:
    """Every witnessed checkpoint has its row in the database, saying the same;
    every row is witnessed. No signature is checked here (string comparisons
    only, so the incremental run does it over the whole history). Raises Broken
    on the first difference."""
    rows = list(
        JournalCheckpoint.objects.order_by("seq", "pk").values_list(
            "pk", "seq", "entry_hash", "created_at", "kid", "signature"
        )
    )
    # By signature: a signature names one checkpoint (linear, not quadratic).
    unmatched = {row[5]: row for row in rows}
    for item in found.checkpoints:
        row = unmatched.get(item.signature)
        if row is None or not item.matches(row[1:]):
            raise Broken(
                Problem(
                    item.seq,
                    _(
                        "le point de contrôle de l'entrée n°%(seq)s (témoin, ligne "
                        "%(line)s) n'est plus dans la base : ligne supprimée ou "
                        "re-signée"
                    )
                    % {"seq": item.seq, "line": item.line},
                )
            )
        del unmatched[item.signature]
    for pk, seq, *_rest in unmatched.values():
        raise Broken(
            Problem(
                seq,
                _(
                    "point de contrôle n°%(id)s absent du témoin : ajouté ou "
                    "re-signé hors de journal_checkpoint"
                )
                % {"id": pk},
                pk,
            )
        )
