"""Judging operations: conflicts of interest, rounds and rubrics, assignments, scores, the
round lock, rankings and their XLSX export.

Functions take objects and plain data, flush, never commit, and raise ``JudgingError`` (a
``reason`` and a translated ``message()``).

Conflicts. A judge is conflicted with an application when
- they declared its organisation (``kind="organisation"``), its home area or an area above it
  (``kind="area"``: a district covers its communes), or the application itself with a free-text
  declaration (``kind="declared"``); or, without any declaration,
- they are a member of the applying organisation, or they are the applicant (derived from
  ``organisation_members`` at every check, so a membership added later counts at once and no
  stored row can go stale).
Declaring a conflict removes that judge's unscored assignments it covers in unlocked rounds;
scored ones stay and are flagged on the assignment page for the organizers to decide.

Concurrency. ``save_scores`` takes the round row with FOR SHARE and the assignment row with
FOR UPDATE (in that order); ``lock_round`` takes the round FOR UPDATE. So a save either ends
before the lock or sees it, and two saves of one sheet queue up; the unique index on
(assignment, criterion) refuses a duplicate score row whatever happens.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventday.accounts.models import OrganisationMember, User
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalRole
from eventday.i18n import to_local
from eventday.xlsx import append_row
from pitches import assignment as assignment_algo
from pitches import ranking as rk
from pitches.models import (
    Assignment,
    Criterion,
    JudgeConflict,
    PitchApplication,
    PitchCall,
    Round,
    Score,
)

REVIEW_STATES = ("in_review", "shortlisted")
DEFAULT_K = 3
MAX_COMMENT = 5000

# The example rubric of ../shared/domain/festival.md (Quảng Ngãi 2021): 100 points over six
# criteria; the maximum score of each is its weight, so a judge scores in points.
EXAMPLE_RUBRIC = (
    ("Tính đổi mới sáng tạo", "Innovation", 20),
    ("Tiềm năng thương mại hóa", "Commercialisation potential", 20),
    ("Kế hoạch kinh doanh", "Business plan", 15),
    ("Định hướng phát triển", "Development direction", 15),
    ("Tác động, hiệu quả xã hội", "Impact", 15),
    ("Kỹ năng trình bày", "Presentation", 15),
)


class JudgingError(Exception):
    """Reasons: not_judge, conflicted, duplicate, bad_target, locked, not_assigned,
    bad_score, rubric_in_use, bad_weight, bad_max, bad_name, bad_pass, has_scores,
    not_empty, no_criteria, bad_state."""

    def __init__(self, reason: str, **info):
        super().__init__(reason)
        self.reason = reason
        self.info = info

    def message(self) -> str:
        r = self.reason
        if r == "not_judge":
            return _("This person is not a judge of this festival.")
        if r == "conflicted":
            return _(
                "This judge has a conflict of interest with this application: %(why)s.",
                why=conflict_label(self.info.get("why", "")),
            )
        if r == "duplicate":
            return _("That is already recorded.")
        if r == "bad_target":
            return _("Pick an organisation, an area or an application of this festival.")
        if r == "locked":
            return _("The scores of this round are locked.")
        if r == "not_assigned":
            return _("Only the judge assigned to this application can score it.")
        if r == "bad_score":
            return _(
                "Each score must be a number from 0 to %(max)s with at most two decimals.",
                max=self.info.get("max", ""),
            )
        if r == "rubric_in_use":
            return _("The rubric cannot change once judges have entered scores in this round.")
        if r == "bad_weight":
            return _("A weight must be a number greater than zero.")
        if r == "bad_max":
            return _("A maximum score must be a whole number greater than zero.")
        if r == "bad_name":
            return _("Give a name (at most 200 characters).")
        if r == "bad_pass":
            return _("The minimum total must be between 0 and 100.")
        if r == "has_scores":
            return _("This judge has already scored this application; the assignment stays.")
        if r == "not_empty":
            return _("This round has criteria already; the example fills only an empty rubric.")
        if r == "no_criteria":
            return _("This round has no criteria yet.")
        return _("This cannot be done in the application's current state.")


def conflict_label(why: str) -> str:
    return {
        "organisation": _("declared organisation"),
        "area": _("declared home area"),
        "declared": _("declared on this application"),
        "member": _("member of the applying organisation"),
        "applicant": _("the judge is the applicant"),
    }.get(why, why)


# --------------------------------------------------------------------------- judges


def judges_of(festival: Festival) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(FestivalRole, FestivalRole.user_id == User.id)
            .where(FestivalRole.festival_id == festival.id, FestivalRole.role == "judge")
            .order_by(User.full_name, User.id)
        )
    )


def is_judge(festival: Festival, user: User) -> bool:
    return (
        db.session.scalar(
            sa.select(FestivalRole.id).where(
                FestivalRole.festival_id == festival.id,
                FestivalRole.user_id == user.id,
                FestivalRole.role == "judge",
            )
        )
        is not None
    )


def judges_per_application(festival: Festival) -> int:
    k = db.session.scalar(
        sa.select(PitchCall.min_judges).where(PitchCall.festival_id == festival.id)
    )
    return k or DEFAULT_K


# --------------------------------------------------------------------------- conflicts


def declare_conflict(
    festival: Festival,
    judge: User,
    kind: str,
    *,
    organisation_id: int | None = None,
    area_id: int | None = None,
    application_id: int | None = None,
    note: str = "",
) -> tuple[JudgeConflict, int]:
    """Record a conflict; returns it and how many unscored assignments it removed."""
    if not is_judge(festival, judge):
        raise JudgingError("not_judge")
    note = (note or "").strip()[:2000]
    conflict = JudgeConflict(festival_id=festival.id, judge_id=judge.id, kind=kind, note=note)
    if kind == "organisation":
        ok = organisation_id is not None and db.session.scalar(
            sa.select(PitchApplication.id).where(
                PitchApplication.festival_id == festival.id,
                PitchApplication.organisation_id == organisation_id,
            )
        )
        conflict.organisation_id = organisation_id
        same = JudgeConflict.organisation_id == organisation_id
    elif kind == "area":
        ok = area_id is not None and db.session.get(Area, area_id) is not None
        conflict.area_id = area_id
        same = JudgeConflict.area_id == area_id
    elif kind == "declared":
        application = db.session.get(PitchApplication, application_id) if application_id else None
        ok = application is not None and application.festival_id == festival.id and bool(note)
        conflict.application_id = application_id
        same = JudgeConflict.application_id == application_id
    else:
        ok, same = False, sa.false()
    if not ok:
        raise JudgingError("bad_target")
    if db.session.scalar(
        sa.select(JudgeConflict.id).where(
            JudgeConflict.festival_id == festival.id,
            JudgeConflict.judge_id == judge.id,
            JudgeConflict.kind == kind,
            same,
        )
    ):
        raise JudgingError("duplicate")
    db.session.add(conflict)
    db.session.flush()
    return conflict, _drop_conflicted_assignments(festival, judge)


def remove_conflict(conflict: JudgeConflict) -> None:
    db.session.delete(conflict)
    db.session.flush()


def _drop_conflicted_assignments(festival: Festival, judge: User) -> int:
    rows = db.session.scalars(
        sa.select(Assignment)
        .join(Round, Round.id == Assignment.round_id)
        .where(
            Round.festival_id == festival.id,
            Round.locked_at.is_(None),
            Assignment.judge_id == judge.id,
            ~sa.exists().where(Score.assignment_id == Assignment.id),
        )
    ).all()
    pairs = conflict_pairs(festival, {a.application_id for a in rows}, {judge.id})
    dropped = 0
    for a in rows:
        if (a.application_id, judge.id) in pairs:
            db.session.delete(a)
            dropped += 1
    db.session.flush()
    return dropped


def _area_ancestors(area_ids: Iterable[int]) -> dict[int, set[int]]:
    """area id -> itself and every area above it (a few queries: one per level)."""
    result = {a: {a} for a in area_ids if a is not None}
    current = {a: {a} for a in result}
    for _level in range(5):
        if not current:
            break
        parents = db.session.execute(
            sa.select(Area.id, Area.parent_id).where(Area.id.in_(list(current)))
        ).all()
        nxt: dict[int, set[int]] = {}
        for area_id, parent_id in parents:
            if parent_id is None:
                continue
            for start in current[area_id]:
                result[start].add(parent_id)
                nxt.setdefault(parent_id, set()).add(start)
        current = nxt
    return result


def conflict_pairs(
    festival: Festival, application_ids: Iterable[int], judge_ids: Iterable[int]
) -> dict[tuple[int, int], str]:
    """(application id, judge id) -> why, for every conflicted pair (a fixed number of
    queries whatever the sizes)."""
    app_ids, judge_set = list(set(application_ids)), set(judge_ids)
    if not app_ids or not judge_set:
        return {}
    apps = db.session.execute(
        sa.select(
            PitchApplication.id,
            PitchApplication.organisation_id,
            PitchApplication.home_area_id,
            PitchApplication.applicant_id,
        ).where(PitchApplication.id.in_(app_ids))
    ).all()
    declared = db.session.scalars(
        sa.select(JudgeConflict).where(
            JudgeConflict.festival_id == festival.id, JudgeConflict.judge_id.in_(judge_set)
        )
    ).all()
    members = db.session.execute(
        sa.select(OrganisationMember.user_id, OrganisationMember.organisation_id).where(
            OrganisationMember.user_id.in_(judge_set),
            OrganisationMember.organisation_id.in_({a.organisation_id for a in apps}),
        )
    ).all()
    ancestors = _area_ancestors({a.home_area_id for a in apps if a.home_area_id})

    by_org: dict[int, set[int]] = {}
    for user_id, org_id in members:
        by_org.setdefault(org_id, set()).add(user_id)
    pairs: dict[tuple[int, int], str] = {}
    for app in apps:
        if app.applicant_id in judge_set:
            pairs[(app.id, app.applicant_id)] = "applicant"
        for j in by_org.get(app.organisation_id, ()):
            pairs.setdefault((app.id, j), "member")
        areas = ancestors.get(app.home_area_id, set())
        for c in declared:
            if (
                (c.kind == "organisation" and c.organisation_id == app.organisation_id)
                or (c.kind == "area" and c.area_id in areas)
                or (c.kind == "declared" and c.application_id == app.id)
            ):
                pairs.setdefault((app.id, c.judge_id), c.kind)
    return pairs


def conflicted(judge: User, application: PitchApplication) -> str | None:
    """Why ``judge`` may not judge ``application`` (see ``conflict_label``), or None."""
    return conflict_pairs(application.festival, [application.id], [judge.id]).get(
        (application.id, judge.id)
    )


# --------------------------------------------------------------------------- rounds, rubric


def _check_unlocked(round_: Round) -> None:
    if round_.locked_at is not None:
        raise JudgingError("locked")


def _check_rubric_editable(round_: Round) -> None:
    _check_unlocked(round_)
    if round_.id is not None and db.session.scalar(
        sa.select(Score.id)
        .join(Assignment, Assignment.id == Score.assignment_id)
        .where(Assignment.round_id == round_.id)
        .limit(1)
    ):
        raise JudgingError("rubric_in_use")


def _name(value: str | None, max_length: int = 120) -> str:
    value = " ".join((value or "").split())
    if not value or len(value) > max_length:
        raise JudgingError("bad_name")
    return value


def _pass_min(value) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise JudgingError("bad_pass") from None
    if not number.is_finite() or number < 0 or number > 100:
        raise JudgingError("bad_pass")
    return number


def create_round(
    festival: Festival, name: str, *, pass_min_total=50, pass_no_zero: bool = True
) -> Round:
    name = _name(name)
    if db.session.scalar(
        sa.select(Round.id).where(Round.festival_id == festival.id, Round.name == name)
    ):
        raise JudgingError("duplicate")
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Round.position), -1) + 1).where(
            Round.festival_id == festival.id
        )
    )
    round_ = Round(
        festival_id=festival.id,
        name=name,
        position=position,
        pass_min_total=_pass_min(pass_min_total),
        pass_no_zero=bool(pass_no_zero),
    )
    db.session.add(round_)
    db.session.flush()
    return round_


def update_round(round_: Round, name: str, *, pass_min_total, pass_no_zero: bool) -> None:
    _check_unlocked(round_)
    name = _name(name)
    if db.session.scalar(
        sa.select(Round.id).where(
            Round.festival_id == round_.festival_id, Round.name == name, Round.id != round_.id
        )
    ):
        raise JudgingError("duplicate")
    round_.name = name
    round_.pass_min_total = _pass_min(pass_min_total)
    round_.pass_no_zero = bool(pass_no_zero)
    db.session.flush()


def _weight(value) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise JudgingError("bad_weight") from None
    if not number.is_finite() or number <= 0 or number >= 1000:
        raise JudgingError("bad_weight")
    return number.quantize(Decimal("0.001"))


def _max_score(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise JudgingError("bad_max") from None
    if number <= 0 or number > 1000 or str(value).strip() not in (str(number), f"{number}.0"):
        raise JudgingError("bad_max")
    return number


def add_criterion(
    round_: Round,
    name_vi: str,
    *,
    name_en: str | None = None,
    weight=1,
    max_score=10,
    description: str = "",
) -> Criterion:
    _check_rubric_editable(round_)
    name_vi = _name(name_vi, 200)
    if any(c.name_vi == name_vi for c in round_.criteria):
        raise JudgingError("duplicate")
    criterion = Criterion(
        name_vi=name_vi,
        name_en=(" ".join((name_en or "").split()) or None),
        weight=_weight(weight),
        max_score=_max_score(max_score),
        description=(description or "").strip()[:2000],
        position=len(round_.criteria),
    )
    round_.criteria.append(criterion)
    db.session.flush()
    return criterion


def update_criterion(
    criterion: Criterion,
    name_vi: str,
    *,
    name_en: str | None = None,
    weight,
    max_score,
    description: str = "",
) -> None:
    round_ = criterion.round
    _check_rubric_editable(round_)
    name_vi = _name(name_vi, 200)
    if any(c.name_vi == name_vi and c.id != criterion.id for c in round_.criteria):
        raise JudgingError("duplicate")
    criterion.name_vi = name_vi
    criterion.name_en = " ".join((name_en or "").split()) or None
    criterion.weight = _weight(weight)
    criterion.max_score = _max_score(max_score)
    criterion.description = (description or "").strip()[:2000]
    db.session.flush()


def remove_criterion(criterion: Criterion) -> None:
    round_ = criterion.round
    _check_rubric_editable(round_)
    round_.criteria.remove(criterion)
    for i, c in enumerate(round_.criteria):
        c.position = i
    db.session.flush()


def seed_example_rubric(round_: Round) -> list[Criterion]:
    """Fill an empty rubric with the provincial example: six criteria, 100 points, pass at 50
    with no criterion at zero."""
    _check_rubric_editable(round_)
    if round_.criteria:
        raise JudgingError("not_empty")
    made = [
        add_criterion(round_, vi, name_en=en, weight=points, max_score=points)
        for vi, en, points in EXAMPLE_RUBRIC
    ]
    round_.pass_min_total = Decimal(50)
    round_.pass_no_zero = True
    db.session.flush()
    return made


# --------------------------------------------------------------------------- assignment


def applications_in_review(festival: Festival) -> list[PitchApplication]:
    return list(
        db.session.scalars(
            sa.select(PitchApplication)
            .where(
                PitchApplication.festival_id == festival.id,
                PitchApplication.state.in_(REVIEW_STATES),
            )
            .order_by(PitchApplication.id)
        )
    )


@dataclass
class AssignmentReport:
    created: int
    removed: int
    uncovered: dict  # application id -> Shortfall
    unbalanced: bool
    loads: dict  # judge id -> assignments in the round
    conflicted_kept: list  # Assignment rows kept although conflicted (they have scores)


def run_assignment(round_: Round, *, k: int | None = None) -> AssignmentReport:
    """Assign the festival's judges to its applications in review, balanced, for this round.

    Kept as they are: by-hand assignments and assignments with scores. Other automatic
    assignments are replaced. Unscored assignments that became conflicted are removed."""
    _check_unlocked(round_)
    festival = db.session.get(Festival, round_.festival_id)
    k = k or judges_per_application(festival)
    apps = applications_in_review(festival)
    judges = judges_of(festival)
    judge_ids = [j.id for j in judges]
    app_ids = [a.id for a in apps]
    current = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.round_id == round_.id)
        .options(selectinload(Assignment.scores))
    ).all()
    conflicts = conflict_pairs(festival, app_ids, judge_ids)

    kept, removed, conflicted_kept = [], 0, []
    for a in current:
        scored = bool(a.scores)
        if (a.application_id, a.judge_id) in conflicts and not scored:
            db.session.delete(a)
            removed += 1
        elif a.by_hand or scored:
            kept.append(a)
            if (a.application_id, a.judge_id) in conflicts:
                conflicted_kept.append(a)
        else:
            db.session.delete(a)
            removed += 1
    db.session.flush()

    plan = assignment_algo.assign(
        app_ids,
        judge_ids,
        set(conflicts),
        k,
        existing=[(a.application_id, a.judge_id) for a in kept],
    )
    kept_pairs = {(a.application_id, a.judge_id) for a in kept}
    created = 0
    for app_id, assigned in plan.items():
        for judge_id in sorted(assigned):
            if (app_id, judge_id) not in kept_pairs:
                db.session.add(
                    Assignment(round_id=round_.id, application_id=app_id, judge_id=judge_id)
                )
                created += 1
    db.session.flush()
    loads = plan.loads(judge_ids)
    # Assignments of applications no longer in review still weigh on a judge.
    return AssignmentReport(
        created=created,
        removed=removed,
        uncovered=plan.uncovered,
        unbalanced=plan.unbalanced,
        loads=loads,
        conflicted_kept=conflicted_kept,
    )


def add_assignment(round_: Round, application: PitchApplication, judge: User) -> Assignment:
    """An organizer adds a judge by hand; refused when conflicted."""
    _check_unlocked(round_)
    festival = db.session.get(Festival, round_.festival_id)
    if application.festival_id != festival.id:
        raise JudgingError("bad_target")
    if not is_judge(festival, judge):
        raise JudgingError("not_judge")
    why = conflicted(judge, application)
    if why:
        raise JudgingError("conflicted", why=why)
    if db.session.scalar(
        sa.select(Assignment.id).where(
            Assignment.round_id == round_.id,
            Assignment.application_id == application.id,
            Assignment.judge_id == judge.id,
        )
    ):
        raise JudgingError("duplicate")
    row = Assignment(
        round_id=round_.id, application_id=application.id, judge_id=judge.id, by_hand=True
    )
    db.session.add(row)
    db.session.flush()
    return row


def remove_assignment(assignment: Assignment) -> None:
    _check_unlocked(assignment.round)
    if db.session.scalar(sa.select(Score.id).where(Score.assignment_id == assignment.id).limit(1)):
        raise JudgingError("has_scores")
    db.session.delete(assignment)
    db.session.flush()


# --------------------------------------------------------------------------- scores


def parse_score(raw, max_score: int) -> Decimal | None:
    """A form value -> Decimal in 0…max_score with at most two decimals, None when blank."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise JudgingError("bad_score", max=max_score) from None
    if (
        not value.is_finite()
        or value < 0
        or value > max_score
        or value != value.quantize(Decimal("0.01"))
    ):
        raise JudgingError("bad_score", max=max_score)
    return value.quantize(Decimal("0.01"))


def save_scores(
    assignment: Assignment, values: Mapping[int, object], comment: str, user: User
) -> bool:
    """The assigned judge saves their sheet (blank values stay unscored). Returns True when
    the sheet is complete (every criterion scored)."""
    round_ = db.session.scalar(
        sa.select(Round)
        .where(Round.id == assignment.round_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    db.session.refresh(assignment, with_for_update=True)
    if assignment.judge_id != user.id:
        raise JudgingError("not_assigned")
    _check_unlocked(round_)
    why = conflicted(user, assignment.application)
    if why:
        raise JudgingError("conflicted", why=why)
    criteria = list(round_.criteria)
    if not criteria:
        raise JudgingError("no_criteria")
    parsed = {c.id: parse_score(values.get(c.id), c.max_score) for c in criteria}
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        comment = comment[:MAX_COMMENT]
    existing = {s.criterion_id: s for s in assignment.scores}
    for c in criteria:
        value = parsed[c.id]
        score = existing.get(c.id)
        if value is None:
            if score is not None:
                assignment.scores.remove(score)
        elif score is None:
            assignment.scores.append(Score(criterion_id=c.id, value=value))
        else:
            score.value = value
    assignment.comment = comment
    complete = all(v is not None for v in parsed.values())
    assignment.submitted_at = utcnow() if complete else None
    db.session.flush()
    return complete


def lock_round(round_: Round) -> None:
    db.session.refresh(round_, with_for_update=True)
    if round_.locked_at is None:
        round_.locked_at = utcnow()
    db.session.flush()


def unlock_round(round_: Round) -> None:
    db.session.refresh(round_, with_for_update=True)
    round_.locked_at = None
    db.session.flush()


# --------------------------------------------------------------------------- ranking


@dataclass
class Ranking:
    round: Round
    criteria: list[Criterion]
    rows: list[rk.RankRow]
    applications: dict  # id -> PitchApplication
    judges: dict  # id -> User
    normalised: bool
    pending: int  # assigned sheets not complete yet
    conflicts: dict = field(default_factory=dict)  # (application id, judge id) -> why


def ranking(round_: Round, normalised: bool = True) -> Ranking:
    """The round's ranking in a fixed number of queries (criteria, assignments with scores,
    applications, judges, conflicts), whatever the number of applications. The sheets of a
    judge who has a conflict with the application do not count."""
    criteria = list(
        db.session.scalars(
            sa.select(Criterion).where(Criterion.round_id == round_.id).order_by(Criterion.position)
        )
    )
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.round_id == round_.id)
        .options(selectinload(Assignment.scores))
    ).all()
    app_ids = {a.application_id for a in assignments}
    applications = {
        a.id: a
        for a in db.session.scalars(
            sa.select(PitchApplication)
            .where(PitchApplication.id.in_(app_ids))
            .options(selectinload(PitchApplication.organisation))
        )
    }
    judges = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_({a.judge_id for a in assignments}))
        )
    }
    festival = db.session.get(Festival, round_.festival_id)
    conflicts = conflict_pairs(festival, app_ids, judges)
    assignments = [a for a in assignments if (a.application_id, a.judge_id) not in conflicts]
    specs = [rk.CriterionSpec(c.id, float(c.weight), float(c.max_score)) for c in criteria]
    sheets, pending = {}, 0
    for a in assignments:
        values = {s.criterion_id: float(s.value) for s in a.scores}
        if criteria and all(c.id in values for c in criteria):
            sheets[(a.application_id, a.judge_id)] = values
        else:
            pending += 1
    rows = (
        rk.rank(
            sheets,
            specs,
            pass_min_total=float(round_.pass_min_total),
            no_zero=round_.pass_no_zero,
            submitted_at={i: a.created_at for i, a in applications.items()},
            applications=sorted(app_ids),
            normalised=normalised,
        )
        if specs
        else []
    )
    return Ranking(round_, criteria, rows, applications, judges, normalised, pending, conflicts)


def shortlist_top(round_: Round, n: int, user: User) -> list[PitchApplication]:
    """Move the first ``n`` passing applications of the normalised ranking that are in review
    to "shortlisted" (through ``calls.change_state``, which mails each startup)."""
    from pitches import calls  # P1's operations; imported late to keep the packages apart

    result = ranking(round_, normalised=True)
    moved = []
    for row in result.rows:
        if len(moved) >= n:
            break
        application = result.applications[row.application_id]
        if not row.passed:
            continue
        if application.state == "shortlisted":
            moved.append(application)
            continue
        if application.state != "in_review":
            continue
        calls.change_state(application, "shortlisted", user)
        moved.append(application)
    return moved


# --------------------------------------------------------------------------- export


def export_xlsx(round_: Round, normalised: bool = True) -> bytes:
    """The ranking as a workbook: one sheet with the ranking, one with every judge's scores."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    result = ranking(round_, normalised=normalised)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Ranking")[:31]
    header = [
        _("Place"),
        _("Application"),
        _("Organisation"),
        _("Judges"),
        _("Mean raw total"),
        _("Mean z-score"),
        _("First places"),
        _("Passes"),
        _("Reason"),
        _("Tie-break"),
    ] + [c.name_vi for c in result.criteria]
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in result.rows:
        app = result.applications[row.application_id]
        append_row(
            ws,
            [
                row.position,
                app.title,
                app.organisation.name if app.organisation else "",
                row.judges,
                round(row.raw_mean, 2) if row.raw_mean is not None else None,
                round(row.normalised_mean, 4) if row.normalised_mean is not None else None,
                row.first_places,
                _("yes") if row.passed else _("no"),
                "; ".join(fail_reason_text(row, result.criteria)),
                tie_break_label(row.tie_break) if row.tie_break else "",
            ]
            + [
                round(row.criterion_means[c.id], 2) if c.id in row.criterion_means else None
                for c in result.criteria
            ],
        )
    sheet = wb.create_sheet(_("Scores")[:31])
    append_row(
        sheet,
        [_("Application"), _("Judge"), _("Total"), _("z-score"), _("Comment"), _("Saved")]
        + [c.name_vi for c in result.criteria],
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.round_id == round_.id)
        .options(selectinload(Assignment.scores))
        .order_by(Assignment.application_id, Assignment.judge_id)
    ).all()
    by_app = {r.application_id: r for r in result.rows}
    for a in assignments:
        if (a.application_id, a.judge_id) in result.conflicts:
            continue  # a conflicted judge's sheet does not count
        row = by_app.get(a.application_id)
        values = {s.criterion_id: float(s.value) for s in a.scores}
        saved = to_local(a.submitted_at).replace(tzinfo=None) if a.submitted_at else None
        append_row(
            sheet,
            [
                result.applications[a.application_id].title,
                result.judges[a.judge_id].full_name,
                round(row.totals[a.judge_id], 2) if row and a.judge_id in row.totals else None,
                round(row.z[a.judge_id], 4) if row and a.judge_id in row.z else None,
                a.comment,
                saved,
            ]
            + [values.get(c.id) for c in result.criteria],
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def tie_break_label(name: str | None) -> str:
    return {
        rk.TIE_RAW: _("higher mean raw total"),
        rk.TIE_NORMALISED: _("higher mean z-score"),
        rk.TIE_FIRST_PLACES: _("more judges' first places"),
        rk.TIE_SUBMITTED: _("earlier submission"),
        rk.TIE_ID: _("earlier application number"),
    }.get(name or "", "")


def fail_reason_text(row: rk.RankRow, criteria: list[Criterion]) -> list[str]:
    names = {c.id: c.name_vi for c in criteria}
    texts = []
    for reason in row.fail_reasons:
        if reason == "no_scores":
            texts.append(_("no complete score sheet yet"))
        elif reason == "below_min":
            texts.append(_("mean total under the minimum"))
        elif reason == "zero_criterion":
            texts.append(
                _(
                    "a criterion with a mean of zero: %(names)s",
                    names=", ".join(names[c] for c in row.zero_criteria),
                )
            )
    return texts
