"""What an intake run answers: each row's outcome and the run's counts (``records_ingest``, uploads, the API)."""

from collections import Counter
from dataclasses import dataclass, field

from apps.catalog.spec import Problem

from .choices import Outcome


@dataclass
class RowOutcome:
    row_number: int | None
    outcome: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    record_id: int | None = None
    decision_number: str = ""

    def as_dict(self):
        return {
            "row": self.row_number,
            "outcome": self.outcome,
            "decision_number": self.decision_number,
            "record_id": self.record_id,
            "problems": [{"field": p.field, "label": p.label, "message": p.message} for p in self.problems],
            "warnings": [{"field": p.field, "label": p.label, "message": p.message} for p in self.warnings],
        }


@dataclass
class IngestSummary:
    """Counts of a run; the per-row outcomes too unless the caller streams them (``keep_outcomes=False``)."""

    outcomes: list[RowOutcome] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    keep_outcomes: bool = True

    def add(self, outcomes: list[RowOutcome]) -> None:
        self.counts.update(o.outcome for o in outcomes)
        if self.keep_outcomes:
            self.outcomes.extend(outcomes)

    def count(self, outcome):
        return self.counts[outcome]

    def as_dict(self):
        return {
            "accepted": self.count(Outcome.ACCEPTED) + self.count(Outcome.UPDATED),
            "rejected": self.count(Outcome.REJECTED),
            "duplicates": self.count(Outcome.DUPLICATE),
        }
