"""What a verification found: counts, coverage, and the first problem."""

from dataclasses import dataclass


@dataclass
class Problem:
    """The first thing found wrong: which entry (or checkpoint) and what."""

    seq: int | None
    message: str
    checkpoint_id: int | None = None


@dataclass(frozen=True)
class WitnessMark:
    """A witnessed checkpoint the chain was verified up to: the witness line's
    entry number, entry hash and signature (never values read from the
    database alone)."""

    seq: int
    entry_hash: str
    signature: str


@dataclass
class VerifyReport:
    checked: int = 0
    checkpoints: int = 0
    elapsed: float = 0.0
    problem: Problem | None = None
    last_seq: int = 0
    witnessed: int = 0
    witness_seq: int = 0
    witness_path: str = ""
    # Entry rows read from the database (the incremental run reads only what
    # came after the witnessed checkpoint it resumed at).
    read: int = 0
    from_seq: int = 1
    # Incremental run: the witnessed checkpoint it resumed at (None: from the
    # start, or from --from).
    resumed_from: int | None = None
    # The last witnessed checkpoint the chain was checked against: where the
    # next incremental run resumes.
    mark: WitnessMark | None = None
    progress_saved: bool = False

    @property
    def uncovered(self) -> int:
        """Entries after the last witnessed checkpoint: not yet provable against
        a truncation by someone who can write the database."""
        return max(0, self.last_seq - self.witness_seq)

    @property
    def ok(self) -> bool:
        return self.problem is None


class Broken(Exception):  # noqa: N818 - internal control flow
    """Raised inside a verification at the first problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
