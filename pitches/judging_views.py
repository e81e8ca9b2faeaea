"""Judging pages: a judge's list and scoring screen (phone first), conflicts of interest;
the organizers' rubric, assignment and ranking pages with the XLSX export."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventday.accounts.models import Organisation, User
from eventday.areas.models import Area
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.permissions import festival_role_required, has_festival_role, organizer_required
from pitches import judging as ops
from pitches.models import (
    Assignment,
    Criterion,
    JudgeConflict,
    PitchApplication,
    Round,
    Score,
)
from pitches.views import bp

CONFLICT_KINDS = {
    "organisation": _l("An applying organisation (I work with or for it)"),
    "area": _l("A home area (applications from there)"),
    "declared": _l("One application (explain why)"),
}


# --------------------------------------------------------------------------- forms


class ScoreForm(FlaskForm):
    """CSRF and the comment; the criteria's values come as ``score-<criterion id>`` and are
    checked by ``judging.parse_score`` (the rubric decides how many there are)."""

    comment = TextAreaField(_l("Comment for the organizers"), validators=[Length(max=5000)])


class ConflictForm(FlaskForm):
    kind = SelectField(
        _l("Conflict with"),
        choices=[SelectChoice(k, v) for k, v in CONFLICT_KINDS.items()],
        default="declared",
    )
    organisation_id = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    area_id = SelectField(_l("Home area"), choices=[], validate_choice=False)
    application_id = SelectField(_l("Application"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Declaration"), validators=[Length(max=2000)])


class RoundForm(FlaskForm):
    name = StringField(_l("Round name"), validators=[DataRequired(), Length(max=120)])
    pass_min_total = DecimalField(
        _l("Minimum mean total to pass (out of 100)"),
        default=50,
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    pass_no_zero = BooleanField(_l("Fail when any criterion has a mean of zero"), default=True)


class CriterionForm(FlaskForm):
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    weight = DecimalField(
        _l("Weight"), places=3, validators=[InputRequired(), NumberRange(min=0.001, max=999)]
    )
    max_score = IntegerField(
        _l("Maximum score"), default=10, validators=[InputRequired(), NumberRange(min=1, max=1000)]
    )
    description = TextAreaField(_l("What the judges look for"), validators=[Length(max=2000)])


class ShortlistForm(FlaskForm):
    count = IntegerField(
        _l("How many"), default=10, validators=[InputRequired(), NumberRange(min=1, max=500)]
    )


# --------------------------------------------------------------------------- helpers


def _deck_url(festival: Festival, application_id: int) -> str | None:
    """P1's deck endpoint, once it exists."""
    try:
        return url_for("pitches.deck", slug=festival.slug, application_id=application_id)
    except BuildError:
        return None


def _round_of(festival: Festival, round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.festival_id != festival.id:
        abort(404)
    return round_


def _rounds(festival: Festival) -> list[Round]:
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.festival_id == festival.id)
            .order_by(Round.position, Round.id)
        )
    )


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- judges


@bp.get("/f/<slug>/judge")
@festival_role_required("judge")
def judge_home(festival: Festival):
    rows = db.session.scalars(
        sa.select(Assignment)
        .join(Round, Round.id == Assignment.round_id)
        .where(Round.festival_id == festival.id, Assignment.judge_id == current_user.id)
        .options(
            selectinload(Assignment.application),
            selectinload(Assignment.round).selectinload(Round.criteria),
            selectinload(Assignment.scores),
        )
        .order_by(Round.position, Round.id, Assignment.application_id)
    ).all()
    rounds: dict[int, dict] = {}
    for a in rows:
        group = rounds.setdefault(a.round_id, {"round": a.round, "items": [], "done": 0})
        done = len(a.scores) == len(a.round.criteria) and bool(a.round.criteria)
        group["items"].append({"assignment": a, "scored": len(a.scores), "done": done})
        group["done"] += done
    return render_template(
        "pitches/judging_home.html", festival=festival, rounds=list(rounds.values())
    )


def _conflict_form(festival: Festival) -> ConflictForm:
    form = ConflictForm()
    apps = db.session.scalars(
        sa.select(PitchApplication)
        .where(PitchApplication.festival_id == festival.id, PitchApplication.state != "withdrawn")
        .options(
            selectinload(PitchApplication.organisation), selectinload(PitchApplication.home_area)
        )
        .order_by(PitchApplication.title_folded, PitchApplication.id)
    ).all()
    orgs = {a.organisation_id: a.organisation for a in apps if a.organisation}
    areas = {a.home_area_id: a.home_area for a in apps if a.home_area}
    parents = (
        db.session.scalars(
            sa.select(Area).where(Area.id.in_({a.parent_id for a in areas.values()}))
        ).all()
        if areas
        else []
    )
    for p in parents:
        areas.setdefault(p.id, p)
    empty = [SelectChoice("", "—")]
    form.organisation_id.choices = empty + sorted(
        (SelectChoice(str(o.id), o.name) for o in orgs.values()), key=lambda c: c.label
    )
    form.area_id.choices = empty + sorted(
        (SelectChoice(str(a.id), a.path_name) for a in areas.values()), key=lambda c: c.label
    )
    form.application_id.choices = empty + [
        SelectChoice(str(a.id), f"{a.title} — {a.organisation.name}") for a in apps
    ]
    return form


@bp.route("/f/<slug>/judge/conflicts", methods=["GET", "POST"])
@festival_role_required("judge")
def conflicts(festival: Festival):
    form = _conflict_form(festival)
    error = None
    status = 200
    if request.method == "POST" and request.form.get("remove"):
        if form.validate_on_submit():
            conflict = db.session.get(JudgeConflict, _int(request.form.get("remove")))
            if (
                conflict is None
                or conflict.judge_id != current_user.id
                or conflict.festival_id != festival.id
            ):
                abort(404)
            ops.remove_conflict(conflict)
            db.session.commit()
            flash(_("Conflict removed."), "success")
            return redirect(url_for("pitches.conflicts", slug=festival.slug))
        error, status = _("The form expired; try again."), 400
    elif form.validate_on_submit():
        try:
            _conflict, dropped = ops.declare_conflict(
                festival,
                current_user,
                form.kind.data,
                organisation_id=_int(form.organisation_id.data),
                area_id=_int(form.area_id.data),
                application_id=_int(form.application_id.data),
                note=form.note.data or "",
            )
        except ops.JudgingError as e:
            error, status = e.message(), 400
        else:
            db.session.commit()
            flash(_("Conflict recorded: you will not be assigned those applications."), "success")
            if dropped:
                flash(
                    _(
                        "%(n)s of your assignments were removed because of it.",
                        n=dropped,
                    ),
                    "info",
                )
            return redirect(url_for("pitches.conflicts", slug=festival.slug))
    elif request.method == "POST":
        status = 400
    declared = db.session.scalars(
        sa.select(JudgeConflict)
        .where(JudgeConflict.festival_id == festival.id, JudgeConflict.judge_id == current_user.id)
        .options(
            selectinload(JudgeConflict.organisation),
            selectinload(JudgeConflict.area),
            selectinload(JudgeConflict.application),
        )
        .order_by(JudgeConflict.id)
    ).all()
    automatic = db.session.scalars(
        sa.select(Organisation)
        .join(PitchApplication, PitchApplication.organisation_id == Organisation.id)
        .where(
            PitchApplication.festival_id == festival.id,
            Organisation.members.any(user_id=current_user.id),
        )
        .distinct()
    ).all()
    return (
        render_template(
            "pitches/judging_conflicts.html",
            festival=festival,
            form=form,
            declared=declared,
            automatic=automatic,
            error=error,
            kinds=CONFLICT_KINDS,
        ),
        status,
    )


@bp.route("/f/<slug>/judge/<int:assignment_id>", methods=["GET", "POST"])
@festival_role_required("judge", "organizer")
def score(festival: Festival, assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.round.festival_id != festival.id:
        abort(404)
    mine = assignment.judge_id == current_user.id
    if not mine and not has_festival_role(current_user, festival, "organizer"):
        abort(403)
    round_ = assignment.round
    criteria = list(round_.criteria)
    read_only = not mine or round_.locked_at is not None
    form = ScoreForm()
    values = {s.criterion_id: s.value for s in assignment.scores}
    errors: dict[int, str] = {}
    error = None
    status = 200
    if request.method == "POST":
        if not mine:
            abort(403)
        typed = {c.id: request.form.get(f"score-{c.id}", "") for c in criteria}
        values = typed
        if round_.locked_at is not None:
            error, status = ops.JudgingError("locked").message(), 409
        elif form.validate_on_submit():
            for c in criteria:
                try:
                    ops.parse_score(typed[c.id], c.max_score)
                except ops.JudgingError as e:
                    errors[c.id] = e.message()
            if not errors:
                try:
                    complete = ops.save_scores(assignment, typed, form.comment.data, current_user)
                except ops.JudgingError as e:
                    db.session.rollback()
                    error, status = e.message(), 409
                else:
                    db.session.commit()
                    flash(
                        _("Scores saved.")
                        if complete
                        else _("Saved. Some criteria still have no score."),
                        "success",
                    )
                    return redirect(
                        url_for("pitches.score", slug=festival.slug, assignment_id=assignment.id)
                    )
            else:
                status = 400
        else:
            error, status = _("Check the comment and try again."), 400
    elif not form.comment.data:
        form.comment.data = assignment.comment
    total = _running_total(criteria, values)
    return (
        render_template(
            "pitches/judging_score.html",
            festival=festival,
            assignment=assignment,
            application=assignment.application,
            round=round_,
            criteria=criteria,
            values=values,
            errors=errors,
            error=error,
            form=form,
            read_only=read_only,
            mine=mine,
            total=total,
            deck_url=_deck_url(festival, assignment.application_id),
        ),
        status,
    )


def _running_total(criteria: list[Criterion], values: dict) -> float | None:
    """The weighted total (out of 100) of the values given so far, for the page."""
    from pitches.ranking import CriterionSpec, weighted_total

    specs = [CriterionSpec(c.id, float(c.weight), float(c.max_score)) for c in criteria]
    got = {}
    for c in criteria:
        try:
            value = ops.parse_score(values.get(c.id), c.max_score)
        except ops.JudgingError:
            value = None
        got[c.id] = float(value) if value is not None else 0.0
    return round(weighted_total(got, specs), 2) if specs else None


# --------------------------------------------------------------------------- organizers


@bp.route("/f/<slug>/manage/pitches/rubric", methods=["GET", "POST"])
@organizer_required
def rubric(festival: Festival):
    rounds = _rounds(festival)
    selected = None
    wanted = _int(request.values.get("round"))
    for r in rounds:
        if r.id == wanted:
            selected = r
    if selected is None and rounds:
        selected = rounds[0]
    action = request.form.get("action", "")
    new_round = RoundForm(prefix="new")
    round_form = RoundForm(prefix="round", obj=selected) if selected else None
    criterion_form = CriterionForm(prefix="crit")
    edit_forms = {
        c.id: CriterionForm(prefix=f"c{c.id}", obj=c)
        for c in (selected.criteria if selected else [])
    }
    error = None
    status = 200
    if request.method == "POST":
        try:
            target = _rubric_action(
                festival, selected, action, new_round, round_form, criterion_form, edit_forms
            )
        except ops.JudgingError as e:
            db.session.rollback()
            error, status = e.message(), 400
        else:
            if target is not None:
                db.session.commit()
                flash(_("Rubric saved."), "success")
                return redirect(url_for("pitches.rubric", slug=festival.slug, round=target.id))
            error, status = _("Check the highlighted fields."), 400
    weight_sum = sum(float(c.weight) for c in selected.criteria) if selected else 0
    return (
        render_template(
            "pitches/judging_rubric.html",
            festival=festival,
            rounds=rounds,
            selected=selected,
            new_round=new_round,
            round_form=round_form,
            criterion_form=criterion_form,
            edit_forms=edit_forms,
            error=error,
            weight_sum=weight_sum,
            in_use=bool(selected) and _has_scores(selected),
        ),
        status,
    )


def _has_scores(round_: Round) -> bool:
    return (
        db.session.scalar(
            sa.select(Score.id)
            .join(Assignment, Assignment.id == Score.assignment_id)
            .where(Assignment.round_id == round_.id)
            .limit(1)
        )
        is not None
    )


def _rubric_action(festival, selected, action, new_round, round_form, criterion_form, edit_forms):
    """Run one rubric action; the round to show next, or None when a form did not validate."""
    if action == "create_round":
        if not new_round.validate_on_submit():
            return None
        return ops.create_round(
            festival,
            new_round.name.data,
            pass_min_total=new_round.pass_min_total.data,
            pass_no_zero=new_round.pass_no_zero.data,
        )
    if selected is None:
        abort(404)
    if action == "update_round":
        if not round_form.validate_on_submit():
            return None
        ops.update_round(
            selected,
            round_form.name.data,
            pass_min_total=round_form.pass_min_total.data,
            pass_no_zero=round_form.pass_no_zero.data,
        )
        return selected
    if action == "seed_example":
        if not FlaskForm().validate_on_submit():
            return None
        ops.seed_example_rubric(selected)
        return selected
    if action == "add_criterion":
        if not criterion_form.validate_on_submit():
            return None
        ops.add_criterion(
            selected,
            criterion_form.name_vi.data,
            name_en=criterion_form.name_en.data,
            weight=criterion_form.weight.data,
            max_score=criterion_form.max_score.data,
            description=criterion_form.description.data,
        )
        return selected
    criterion = next(
        (c for c in selected.criteria if c.id == _int(request.form.get("criterion_id"))), None
    )
    if criterion is None:
        abort(404)
    if action == "update_criterion":
        form = edit_forms[criterion.id]
        if not form.validate_on_submit():
            return None
        ops.update_criterion(
            criterion,
            form.name_vi.data,
            name_en=form.name_en.data,
            weight=form.weight.data,
            max_score=form.max_score.data,
            description=form.description.data,
        )
        return selected
    if action == "remove_criterion":
        if not FlaskForm().validate_on_submit():
            return None
        ops.remove_criterion(criterion)
        return selected
    abort(400)


@bp.route("/f/<slug>/manage/pitches/rounds/<int:round_id>/assign", methods=["GET", "POST"])
@organizer_required
def assign(festival: Festival, round_id: int):
    round_ = _round_of(festival, round_id)
    form = FlaskForm()
    error = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = _("The form expired; try again."), 400
        else:
            action = request.form.get("action")
            try:
                message = _assign_action(festival, round_, action)
            except ops.JudgingError as e:
                db.session.rollback()
                error, status = e.message(), 409
            else:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("pitches.assign", slug=festival.slug, round_id=round_.id))
    apps = ops.applications_in_review(festival)
    judges = ops.judges_of(festival)
    rows = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.round_id == round_.id)
        .options(selectinload(Assignment.scores))
        .order_by(Assignment.id)
    ).all()
    by_app: dict[int, list[Assignment]] = {}
    for a in rows:
        by_app.setdefault(a.application_id, []).append(a)
    # Applications assigned earlier but no longer in review stay visible.
    shown = {a.id for a in apps}
    extra = [i for i in by_app if i not in shown]
    if extra:
        apps += list(
            db.session.scalars(sa.select(PitchApplication).where(PitchApplication.id.in_(extra)))
        )
    judge_by_id = {j.id: j for j in judges}
    missing = {a.judge_id for a in rows} - set(judge_by_id)
    if missing:
        judge_by_id.update(
            {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(missing)))}
        )
    conflicts = ops.conflict_pairs(festival, [a.id for a in apps], list(judge_by_id))
    loads = {j.id: 0 for j in judges}
    for a in rows:
        loads[a.judge_id] = loads.get(a.judge_id, 0) + 1
    return (
        render_template(
            "pitches/judging_assign.html",
            festival=festival,
            round=round_,
            rounds=_rounds(festival),
            applications=apps,
            judges=judges,
            judge_by_id=judge_by_id,
            by_app=by_app,
            conflicts=conflicts,
            conflict_label=ops.conflict_label,
            loads=loads,
            k=ops.judges_per_application(festival),
            error=error,
        ),
        status,
    )


def _assign_action(festival: Festival, round_: Round, action: str | None) -> str:
    if action == "run":
        report = ops.run_assignment(round_)
        message = _(
            "Assignment done: %(created)s new, %(removed)s replaced.",
            created=report.created,
            removed=report.removed,
        )
        if report.uncovered:
            message += " " + _(
                "%(n)s applications have too few judges without a conflict.",
                n=len(report.uncovered),
            )
        if report.unbalanced:
            message += " " + _("The loads could not be evened out within one.")
        return message
    if action == "add":
        application = db.session.get(PitchApplication, _int(request.form.get("application_id")))
        judge = db.session.get(User, _int(request.form.get("judge_id")))
        if application is None or judge is None or application.festival_id != festival.id:
            raise ops.JudgingError("bad_target")
        ops.add_assignment(round_, application, judge)
        return _("Judge added.")
    if action == "remove":
        row = db.session.get(Assignment, _int(request.form.get("assignment_id")))
        if row is None or row.round_id != round_.id:
            abort(404)
        ops.remove_assignment(row)
        return _("Judge removed from the application.")
    abort(400)


@bp.route("/f/<slug>/manage/pitches/rounds/<int:round_id>/ranking", methods=["GET", "POST"])
@organizer_required
def ranking(festival: Festival, round_id: int):
    round_ = _round_of(festival, round_id)
    normalised = request.args.get("view", "normalised") != "raw"
    shortlist_form = ShortlistForm()
    error = None
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action in ("lock", "unlock") and FlaskForm().validate_on_submit():
            if action == "lock":
                ops.lock_round(round_)
                flash(_("Scores locked: judges can no longer change them."), "success")
            else:
                ops.unlock_round(round_)
                flash(_("Scores unlocked."), "success")
            db.session.commit()
            return redirect(url_for("pitches.ranking", slug=festival.slug, round_id=round_.id))
        if action == "shortlist" and shortlist_form.validate_on_submit():
            try:
                moved = ops.shortlist_top(round_, shortlist_form.count.data, current_user)
            except Exception as e:  # P1's StateError and ours
                db.session.rollback()
                message = getattr(e, "message", None)
                if not callable(message):
                    raise
                error, status = message(), 409
            else:
                db.session.commit()
                flash(_("%(n)s applications shortlisted.", n=len(moved)), "success")
                return redirect(url_for("pitches.ranking", slug=festival.slug, round_id=round_.id))
        else:
            error, status = error or _("Check the form and try again."), 400
    result = ops.ranking(round_, normalised=normalised)
    reasons = {r.application_id: ops.fail_reason_text(r, result.criteria) for r in result.rows}
    return (
        render_template(
            "pitches/judging_ranking.html",
            festival=festival,
            round=round_,
            rounds=_rounds(festival),
            result=result,
            reasons=reasons,
            tie_label=ops.tie_break_label,
            normalised=normalised,
            shortlist_form=shortlist_form,
            error=error,
        ),
        status,
    )


@bp.get("/f/<slug>/manage/pitches/rounds/<int:round_id>/ranking.xlsx")
@organizer_required
def ranking_xlsx(festival: Festival, round_id: int):
    round_ = _round_of(festival, round_id)
    normalised = request.args.get("view", "normalised") != "raw"
    data = ops.export_xlsx(round_, normalised=normalised)
    name = f"ranking-{festival.slug}-{round_.id}.xlsx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
