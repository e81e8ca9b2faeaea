"""Scores to rankings — pure functions over plain numbers.

- ``weighted_total``: one judge's total for one application on a 100-point scale: the sum over
  criteria of score / max_score × weight, scaled so that the weights sum to 100.
- ``zscores``: one judge's totals turned into z-scores (mean and *population* standard deviation
  of that judge's totals in the round); a judge with one application or no spread gets 0.
- ``rank``: per application the mean raw total, the mean z-score, the mean of each criterion,
  the pass rule (mean raw total >= ``pass_min_total`` and, when ``no_zero``, no criterion whose
  mean is zero), and the order with explicit tie-breaks.

Order (``normalised=True``): higher mean z-score, then higher mean raw total, then more judges'
first places (each judge's highest total; judges tied for their first place give one to each),
then earlier submission, then the lower application id (so the order is total). With
``normalised=False`` the first two keys swap. Means are compared rounded to 1e-9 so floating
point noise never decides a place.

Only complete score sheets (every criterion scored) count; the caller passes those.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Id = Hashable
EPSILON_PLACES = 9

# Tie-break names, in the order they are applied after the primary key.
TIE_RAW = "raw_mean"
TIE_NORMALISED = "normalised_mean"
TIE_FIRST_PLACES = "first_places"
TIE_SUBMITTED = "submitted_at"
TIE_ID = "application_id"


@dataclass(frozen=True)
class CriterionSpec:
    id: Id
    weight: float
    max_score: float


def weighted_total(scores: Mapping[Id, float], criteria: Sequence[CriterionSpec]) -> float:
    """A judge's total for one application, out of 100. ``scores`` must cover every criterion."""
    weight_sum = sum(float(c.weight) for c in criteria)
    if weight_sum <= 0:
        raise ValueError("weights must sum to more than zero")
    total = sum(float(scores[c.id]) / float(c.max_score) * float(c.weight) for c in criteria)
    return total * 100.0 / weight_sum


def zscores(totals: Mapping[Id, float]) -> dict[Id, float]:
    """One judge's totals -> z-scores with the population standard deviation."""
    n = len(totals)
    if n <= 1:
        return dict.fromkeys(totals, 0.0)
    mean = sum(totals.values()) / n
    variance = sum((t - mean) ** 2 for t in totals.values()) / n
    sd = math.sqrt(variance)
    if sd < 1e-12:
        return dict.fromkeys(totals, 0.0)
    return {a: (t - mean) / sd for a, t in totals.items()}


@dataclass
class RankRow:
    application_id: Id
    judges: int = 0
    raw_mean: float | None = None
    normalised_mean: float | None = None
    criterion_means: dict = field(default_factory=dict)
    first_places: int = 0
    submitted_at: Any = None
    passed: bool = False
    # why it failed: "no_scores", "below_min", "zero_criterion" (with zero_criteria)
    fail_reasons: list = field(default_factory=list)
    zero_criteria: list = field(default_factory=list)
    position: int = 0
    # the tie-break that put this row below the previous one, when the primary key was equal
    tie_break: str | None = None
    totals: dict = field(default_factory=dict)  # judge id -> raw total
    z: dict = field(default_factory=dict)  # judge id -> z-score


def rank(
    sheets: Mapping[tuple[Id, Id], Mapping[Id, float]],
    criteria: Sequence[CriterionSpec],
    *,
    pass_min_total: float = 50,
    no_zero: bool = True,
    submitted_at: Mapping[Id, Any] | None = None,
    applications: Sequence[Id] = (),
    normalised: bool = True,
) -> list[RankRow]:
    """Rank applications from complete score sheets: (application, judge) -> {criterion: score}.

    ``applications`` lists applications to show even without any sheet (they fail with
    "no_scores" and come last).
    """
    submitted_at = submitted_at or {}
    totals_by_judge: dict[Id, dict[Id, float]] = {}
    for (a, j), scores in sheets.items():
        totals_by_judge.setdefault(j, {})[a] = weighted_total(scores, criteria)

    rows: dict[Id, RankRow] = {a: RankRow(a) for a in applications}
    for j, totals in totals_by_judge.items():
        z = zscores(totals)
        best = max(round(t, EPSILON_PLACES) for t in totals.values())
        for a, t in totals.items():
            row = rows.setdefault(a, RankRow(a))
            row.totals[j] = t
            row.z[j] = z[a]
            if round(t, EPSILON_PLACES) == best:
                row.first_places += 1
    for (a, _j), scores in sheets.items():
        sums = rows[a].criterion_means
        for c in criteria:
            sums[c.id] = sums.get(c.id, 0.0) + float(scores[c.id])

    for a, row in rows.items():
        row.submitted_at = submitted_at.get(a)
        row.judges = len(row.totals)
        if not row.judges:
            row.criterion_means = {}
            row.fail_reasons = ["no_scores"]
            continue
        row.criterion_means = {c: s / row.judges for c, s in row.criterion_means.items()}
        row.raw_mean = sum(row.totals.values()) / row.judges
        row.normalised_mean = sum(row.z.values()) / row.judges
        if round(row.raw_mean, EPSILON_PLACES) < round(float(pass_min_total), EPSILON_PLACES):
            row.fail_reasons.append("below_min")
        if no_zero:
            row.zero_criteria = [c.id for c in criteria if row.criterion_means[c.id] <= 0]
            if row.zero_criteria:
                row.fail_reasons.append("zero_criterion")
        row.passed = not row.fail_reasons

    ordered = order(list(rows.values()), normalised=normalised)
    return ordered


def _keys(row: RankRow, normalised: bool) -> list[tuple[str, Any]]:
    def neg(value):
        return -round(value, EPSILON_PLACES) if value is not None else math.inf

    raw = (TIE_RAW, neg(row.raw_mean))
    norm = (TIE_NORMALISED, neg(row.normalised_mean))
    first, second = (norm, raw) if normalised else (raw, norm)
    submitted = row.submitted_at
    return [
        ("scored", 0 if row.judges else 1),
        first,
        second,
        (TIE_FIRST_PLACES, -row.first_places),
        (TIE_SUBMITTED, (submitted is None, submitted if submitted is not None else 0)),
        (TIE_ID, _id_key(row.application_id)),
    ]


def _id_key(value) -> tuple:
    return ("", value) if isinstance(value, int) else (str(type(value)), str(value))


def order(rows: list[RankRow], *, normalised: bool = True) -> list[RankRow]:
    """Sort rows by the tie-break order; set ``position`` (1-based, distinct) and, on a row whose
    primary key equals the previous row's, ``tie_break`` = the key that separated them."""
    rows.sort(key=lambda r: [value for _name, value in _keys(r, normalised)])
    previous = None
    for i, row in enumerate(rows, start=1):
        row.position = i
        row.tie_break = None
        if previous is not None and row.judges and previous.judges:
            mine, theirs = _keys(row, normalised), _keys(previous, normalised)
            if mine[1] == theirs[1]:
                row.tie_break = next(
                    (
                        name
                        for (name, v), (_n, w) in zip(mine[2:], theirs[2:], strict=True)
                        if v != w
                    ),
                    TIE_ID,
                )
        previous = row
    return rows
