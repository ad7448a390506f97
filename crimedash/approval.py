"""The reviewer's approval of one design, and the key that ties it to the data.

Why apart from the exporter: an approval is plain data a reviewer fills in (app form,
CLI flags, a design log record), checked the same way wherever it comes from; the
exporter only consumes it. `data_fingerprint` names the input files, so an approval
given on one month's data cannot be spent on another's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crimedash.design import Design
from crimedash.errors import ExportError
from crimedash.risk import Assessment

if TYPE_CHECKING:
    from crimedash.dataset import Dataset

__all__ = [
    "DECISIONS",
    "DEFAULT_NOISE_SEED",
    "DEFAULT_REVIEW_MONTHS",
    "ONE_LINE_MAX",
    "TEXT_MAX",
    "Approval",
    "data_fingerprint",
]


DECISIONS = ("approve", "reject")
DEFAULT_NOISE_SEED = Design().noise_seed  # public knowledge, so no secret
DEFAULT_REVIEW_MONTHS = 12  # ¶14-15, ¶41: a rolling review; a year at most by default
ONE_LINE_MAX = 200
TEXT_MAX = 5000

# An email address: something@domain.tld, no spaces (enough to catch a name or a typo
# typed into the contact box; deliverability is the publisher's business).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


# --- the approval ---------------------------------------------------------------------
def _default_next_review() -> date:
    return date.today() + timedelta(days=round(365.25 * DEFAULT_REVIEW_MONTHS / 12))


@dataclass(frozen=True, kw_only=True)
class Approval:
    """A reviewer's decision on one design, with what the public is told about it.

    `explanation` is the plain-words account of what the map shows (¶23); left empty,
    the export writes one from the design. `publisher` and `contact` are shown in the
    public README so people can raise complaints and removal requests (¶46).
    `justification` is required for an export when the verdict is not green.
    """

    reviewer: str
    publisher: str
    contact: str
    decision: str = "approve"
    role: str = ""
    rationale: str = ""
    justification: str = ""
    explanation: str = ""
    next_review: date = field(default_factory=_default_next_review)
    # the series this release belongs to: its earlier approved releases (from the design
    # log) are public, and the privacy budget is spent over all of them
    series: str = ""
    # this release revises counts an earlier release of the series already published:
    # the changed cells draw new noise (it is keyed on the true count), which spends the
    # product's epsilon again
    revision: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("reviewer", "publisher", "contact", "decision", "role", "series"):
            value = str(getattr(self, name) or "").strip()
            if "\n" in value or "\r" in value:
                raise ExportError(f"{name} must be one line; got {value!r}")
            if len(value) > ONE_LINE_MAX:
                raise ExportError(f"{name} must be at most {ONE_LINE_MAX} characters")
            set_(self, name, value)
        for name in ("rationale", "justification", "explanation"):
            value = str(getattr(self, name) or "").strip()
            if len(value) > TEXT_MAX:
                raise ExportError(f"{name} must be at most {TEXT_MAX} characters")
            set_(self, name, value)
        set_(self, "decision", self.decision.lower())
        if not self.reviewer:
            raise ExportError(
                "an approval needs the reviewer's name",
                hint="say who reviewed the design (for example --approved-by 'A. Analyst')",
            )
        if self.decision not in DECISIONS:
            raise ExportError(
                f"decision must be one of {', '.join(DECISIONS)}; got {self.decision!r}"
            )
        if not self.publisher:
            raise ExportError(
                "an approval needs the publisher: the organisation responsible for the map "
                "must be named on it (¶46)",
                hint="for example --publisher 'Ashbourne Vale Council'",
            )
        if not _EMAIL.fullmatch(self.contact):
            raise ExportError(
                f"contact must be an email address for questions, complaints and removal "
                f"requests (¶46); got {self.contact!r}",
                hint="for example --contact crime-map@council.example",
            )
        set_(self, "next_review", _as_date(self.next_review))

    def check_decision(self) -> None:
        """Refuse an export the reviewer did not approve (raises ExportError)."""
        if self.decision != "approve":
            raise ExportError(
                f"{self.reviewer} rejected this design, so it cannot be exported",
                hint="change the design and have it reviewed again",
            )

    def check(self, assessment: Assessment, *, today: date | None = None) -> None:
        """Refuse an export this approval does not allow (raises ExportError)."""
        today = today or date.today()
        self.check_decision()
        if assessment.verdict != "green" and not self.justification:
            why = assessment.red_gate or "; ".join(assessment.gates)
            raise ExportError(
                f"this design's verdict is {assessment.verdict} (score "
                f"{assessment.score:.0f}/100{'; ' + why if why else ''}); exporting a "
                f"design that is not green needs a justification: why publishing it is "
                f"necessary despite the risk",
                hint="give a justification (--justification TEXT), or choose a safer "
                "design from the what-ifs",
            )
        if self.next_review <= today:
            raise ExportError(
                f"the next review date must be after today; got {self.next_review.isoformat()}",
                hint="¶14-15 and ¶41 ask for a rolling review: pick a date in the coming months",
            )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["next_review"] = self.next_review.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Approval:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExportError(
                f"unknown approval field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        return cls(**data)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ExportError(f"next_review must be a date like 2026-03-31; got {value!r}") from None


# --- what the data is -------------------------------------------------------------------
def data_fingerprint(dataset: Dataset) -> str:
    """A short id of the data a design is assessed on: the input files' contents.

    Built from each input's role and SHA-256 (not its path or upload name, so the app and
    the CLI agree on the same files); a data set built without files falls back to the
    index's own fingerprint. Recorded with an assessment in the design log, and compared
    by the export: a design approved on one month's files must not be published on
    another's without being assessed again.
    """
    items = sorted(f"{i['role']}:{i['sha256']}" for i in dataset.inputs)
    if not items:
        items = [f"index:{dataset.index.fingerprint}"]
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


# --- the plain-words explanation (¶23) ----------------------------------------------------
