"""The public programme, the projector's "now on stage / next" page and its JSON, the stage
manager's buttons, the audience vote and its results, prizes and provincial nominations."""

from __future__ import annotations

import datetime as dt

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventday.db import utcnow
from eventday.extensions import db, limiter
from eventday.festivals.models import Festival, Stage
from eventday.festivals.util import register_public_action
from eventday.i18n import format_time, localized
from eventday.permissions import festival_role_required, organizer_required, public
from pitches import awards as award_ops
from pitches import stage as stage_ops
from pitches import votes as vote_ops
from pitches.models import PRIZE_KINDS, PitchApplication, Prize, ProgrammeItem
from pitches.views import bp, public_festival

POLL_SECONDS = 3

STAGE_ERRORS = {
    "ended": _l("This item has already ended."),
    "not_started": _l("This item has not started: start it first."),
    "bad_delay": _l("A delay is between 1 and 180 minutes."),
    "other_stage": _l("This item is on another stage."),
}
VOTE_ERRORS = {
    "closed": _l("The audience vote is not open."),
    "no_code": _l("Type your ticket's code or scan its QR code."),
    "unknown_ticket": _l("We found no ticket with this code at this festival. Check the code."),
    "other_festival": _l("This ticket is for another festival."),
    "ticket_not_valid": _l("This ticket is not valid (unpaid, cancelled or refunded)."),
    "not_checked_in": _l("This ticket has not been checked in at the festival yet."),
    "bad_choice": _l("Choose one of the pitches in the list."),
    "already_voted": _l("This ticket has voted already: one vote per ticket."),
    "no_call": _l("Set up the call for pitches first."),
}
AWARD_ERRORS = {
    "bad_kind": _l("Choose a kind of prize."),
    "no_name": _l("A custom prize needs a name."),
    "bad_amount": _l("The amount must be between 0 and 10,000,000,000 đồng."),
    "taken": _l("This prize has been awarded already; an award cannot be taken back."),
    "holds_prize": _l("This startup already holds a prize: one prize per application."),
    "not_pitched": _l("Only an application that has pitched can win a prize."),
    "not_yours": _l("This application is not part of this festival."),
    "no_winner": _l("Give the prize to a startup before nominating it."),
}


# --------------------------------------------------------------------------- helpers


def _url(endpoint: str, **values) -> str | None:
    """url_for for another helper's endpoint, None while it does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _stage_of(festival: Festival, stage_id: int) -> Stage:
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.festival_id != festival.id:
        abort(404)
    return stage


def _item_title(item: ProgrammeItem) -> str:
    return localized(item, "title")


def _item_json(item: ProgrammeItem | None) -> dict | None:
    if item is None:
        return None
    application = item.application
    start, end = stage_ops.current_start(item), stage_ops.current_end(item)
    return {
        "id": item.id,
        "uid": item.uid,
        "kind": item.kind,
        "kind_label": str(stage_ops.ITEM_KIND_LABELS.get(item.kind, item.kind)),
        "title": _item_title(item),
        "startup": application.organisation.name
        if application is not None and application.organisation
        else None,
        "track": localized(application.track, "name")
        if application is not None and application.track
        else None,
        "speakers": [s.strip() for s in (item.speakers or "").splitlines() if s.strip()],
        "status": item.status,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "start": format_time(start),
        "end": format_time(end),
        "planned_start": format_time(item.starts_at),
        "delay_minutes": item.delay_minutes or 0,
    }


def _vote_bars(festival: Festival) -> list[dict] | None:
    call = vote_ops.call_of(festival)
    if call is None or not call.audience_vote_on_projector:
        return None
    rows, total = vote_ops.results(festival)
    return [
        {
            "title": row.application.title,
            "votes": row.votes,
            "share": round(row.share * 100, 1),
        }
        for row in rows
    ]


def _both(text) -> str:
    """A projector label in Vietnamese and English ("Đang trình bày / Now on stage"): the
    room holds guests of both languages. One language while the catalog lacks the text.
    ``text`` is a function calling ``_()``, so the message is extracted as usual."""
    with force_locale("vi"):
        vi = text()
    with force_locale("en"):
        en = text()
    return vi if vi == en else f"{vi} / {en}"


def _projector_labels() -> dict[str, str]:
    return {
        "live": _both(lambda: _("Now on stage")),
        "soon": _both(lambda: _("Coming up")),
        "next": _both(lambda: _("Next")),
        "votes": _both(lambda: _("Audience vote")),
    }


@register_public_action
def _programme_action(festival: Festival):
    if stage_ops.latest_version(festival) is None:
        return None
    return _("Programme"), url_for("pitches.programme", slug=festival.slug)


# --------------------------------------------------------------------------- public programme


@bp.route("/f/<slug>/programme")
@public
def programme(slug: str):
    festival = public_festival(slug)
    items = stage_ops.published_items(festival)
    stages = {s.id: s for s in festival.stages}
    days: dict[dt.date, dict[int, list[ProgrammeItem]]] = {}
    for item in items:
        days.setdefault(stage_ops.local_day(item), {}).setdefault(item.stage_id, []).append(item)
    schedule = [
        (
            day,
            [
                (stages[stage_id], day_items)
                for stage_id, day_items in sorted(
                    by_stage.items(),
                    key=lambda kv: (stages[kv[0]].position, stages[kv[0]].id),
                )
            ],
        )
        for day, by_stage in sorted(days.items())
    ]
    ics_urls = {
        item.uid: _url("pitches.item_ics", slug=festival.slug, uid=item.uid) for item in items
    }
    return render_template(
        "pitches/programme_list.html",
        festival=festival,
        schedule=schedule,
        ics_urls=ics_urls,
        programme_ics_url=_url("pitches.programme_ics", slug=festival.slug),
        vote_url=url_for("pitches.vote", slug=festival.slug)
        if vote_ops.vote_open(festival)
        else None,
        kind_labels=stage_ops.ITEM_KIND_LABELS,
        current_start=stage_ops.current_start,
        current_end=stage_ops.current_end,
    )


@bp.route("/f/<slug>/stage/<int:stage_id>/now")
@public
def projector(slug: str, stage_id: int):
    festival = public_festival(slug)
    stage = _stage_of(festival, stage_id)
    items = stage_ops.published_items(festival, stage)
    state = stage_ops.now_and_next(items)
    return render_template(
        "pitches/programme_projector.html",
        festival=festival,
        stage=stage,
        now=_item_json(state.current),
        live=state.live,
        next=_item_json(state.next),
        votes=_vote_bars(festival),
        json_url=url_for("pitches.stage_now_json", slug=festival.slug, stage_id=stage.id),
        poll_ms=POLL_SECONDS * 1000,
        labels=_projector_labels(),
    )


@bp.route("/f/<slug>/stage/<int:stage_id>/now.json")
@public
def stage_now_json(slug: str, stage_id: int):
    festival = public_festival(slug)
    stage = _stage_of(festival, stage_id)
    state = stage_ops.now_and_next(stage_ops.published_items(festival, stage))
    response = jsonify(
        stage={"id": stage.id, "name": localized(stage, "name")},
        now=_item_json(state.current),
        live=state.live,
        next=_item_json(state.next),
        votes=_vote_bars(festival),
        at=utcnow().isoformat(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- stage manager


class StageActionForm(FlaskForm):
    item_id = IntegerField(validators=[InputRequired()])
    action = SelectField(choices=[SelectChoice(a, a) for a in ("start", "end", "delay")])
    minutes = IntegerField(
        _l("Minutes"),
        validators=[Optional(), NumberRange(min=1, max=stage_ops.MAX_DELAY_MINUTES)],
    )


def _parse_day(raw: str | None, festival: Festival) -> dt.date | None:
    days = [d.day for d in festival.days]
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    return day if day in days else stage_ops.default_day(festival)


@bp.route("/f/<slug>/manage/pitches/stage/<int:stage_id>", methods=["GET", "POST"])
@festival_role_required("organizer", "staff")
def stage_manager(festival: Festival, stage_id: int):
    stage = _stage_of(festival, stage_id)
    day = _parse_day(request.values.get("day"), festival)
    form = StageActionForm()
    error = None
    if form.validate_on_submit():
        item = db.session.get(ProgrammeItem, form.item_id.data)
        if item is None or item.festival_id != festival.id:
            abort(404)
        try:
            if form.action.data == "start":
                stage_ops.start_item(stage, item, current_user)
                message = _("Started: %(title)s", title=_item_title(item))
            elif form.action.data == "end":
                stage_ops.end_item(stage, item, current_user)
                message = _("Ended: %(title)s", title=_item_title(item))
            else:
                if form.minutes.data is None:
                    raise stage_ops.StageError("bad_delay")
                shifted = stage_ops.delay_item(stage, item, form.minutes.data)
                message = _(
                    "%(n)s items moved %(minutes)s minutes later.",
                    n=len(shifted),
                    minutes=form.minutes.data,
                )
        except stage_ops.StageError as exc:
            db.session.rollback()
            error = str(STAGE_ERRORS[exc.reason])
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(
                url_for(
                    "pitches.stage_manager",
                    slug=festival.slug,
                    stage_id=stage.id,
                    day=day.isoformat() if day else None,
                )
            )
    elif request.method == "POST":
        error = _("Choose an action; a delay is between 1 and 180 minutes.")
    items = stage_ops.stage_items(stage, day)
    version = stage_ops.latest_version(festival)
    published = set(version.snapshot.keys()) if version and version.snapshot else set()
    return (
        render_template(
            "pitches/programme_stage_manager.html",
            festival=festival,
            stage=stage,
            day=day,
            days=[d.day for d in festival.days],
            items=items,
            published=published,
            error=error,
            status_labels=stage_ops.ITEM_STATUS_LABELS,
            kind_labels=stage_ops.ITEM_KIND_LABELS,
            current_start=stage_ops.current_start,
            current_end=stage_ops.current_end,
            projector_url=url_for("pitches.projector", slug=festival.slug, stage_id=stage.id),
        ),
        400 if error else 200,
    )


# --------------------------------------------------------------------------- audience vote


# Per IP: a hall of voters behind one NAT must get through (one vote per ticket is kept by
# the database), while guessing ticket codes stays slow (10 a second at most).
VOTE_RATE_LIMIT = "600/minute"


class VoteForm(FlaskForm):
    code = StringField(
        _l("Your ticket's code"),
        validators=[
            DataRequired(message=_l("Type your ticket's code or scan its QR code.")),
            Length(max=400),
        ],
    )
    application_id = RadioField(
        _l("Your favourite pitch"),
        coerce=int,
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose one of the pitches in the list."))],
    )


@bp.route("/f/<slug>/vote", methods=["GET", "POST"])
@public
@limiter.limit(VOTE_RATE_LIMIT, methods=["POST"])
def vote(slug: str):
    festival = public_festival(slug)
    is_open = vote_ops.vote_open(festival)
    candidates = vote_ops.candidates(festival)
    form = VoteForm()
    form.application_id.choices = [SelectChoice(a.id, a.title) for a in candidates]
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                vote_ops.cast_vote(festival, form.code.data, form.application_id.data)
            except vote_ops.VoteError as exc:
                db.session.rollback()
                error = str(VOTE_ERRORS[exc.reason])
            else:
                db.session.commit()
                flash(_("Thank you: your vote is counted."), "success")
                return redirect(url_for("pitches.vote", slug=festival.slug, done=1))
        else:
            error = next(iter(e for errs in form.errors.values() for e in errs), None) or _(
                "Check the form."
            )
    return (
        render_template(
            "pitches/programme_vote.html",
            festival=festival,
            form=form,
            candidates=candidates,
            is_open=is_open,
            error=error,
            done=request.args.get("done") == "1",
        ),
        400 if error else 200,
    )


class VoteFlagsForm(FlaskForm):
    vote_open = BooleanField(_l("The audience vote is open"))
    on_projector = BooleanField(_l("Show the live results on the projector"))


@bp.route("/f/<slug>/manage/pitches/votes", methods=["GET", "POST"])
@organizer_required
def vote_results(festival: Festival):
    call = vote_ops.call_of(festival)
    form = VoteFlagsForm(
        vote_open=call.audience_vote_open if call else False,
        on_projector=call.audience_vote_on_projector if call else False,
    )
    if form.validate_on_submit():
        try:
            vote_ops.set_vote_flags(
                festival, open_=form.vote_open.data, on_projector=form.on_projector.data
            )
        except vote_ops.VoteError as exc:
            flash(str(VOTE_ERRORS[exc.reason]), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
        return redirect(url_for("pitches.vote_results", slug=festival.slug))
    rows, total = vote_ops.results(festival)
    return render_template(
        "pitches/programme_vote_results.html",
        festival=festival,
        call=call,
        form=form,
        rows=rows,
        total=total,
        vote_url=url_for("pitches.vote", slug=festival.slug),
    )


# --------------------------------------------------------------------------- awards


class PrizeForm(FlaskForm):
    action = HiddenField(default="create")
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, k) for k in PRIZE_KINDS])
    name = StringField(_l("Name (empty: the usual name)"), validators=[Length(max=120)])
    amount_vnd = IntegerField(
        _l("Amount (đồng)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=award_ops.MAX_AMOUNT_VND)],
    )


class PrizeActionForm(FlaskForm):
    action = HiddenField()
    prize_id = IntegerField(validators=[Optional()])
    application_id = IntegerField(validators=[Optional()])
    nominated = BooleanField()


def _prize_of(festival: Festival, prize_id: int | None) -> Prize:
    prize = db.session.get(Prize, prize_id) if prize_id else None
    if prize is None or prize.festival_id != festival.id:
        abort(404)
    return prize


@bp.route("/f/<slug>/manage/pitches/awards", methods=["GET", "POST"])
@organizer_required
def awards(festival: Festival):
    create_form = PrizeForm()
    action_form = PrizeActionForm()
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "create":
                if not create_form.validate_on_submit():
                    if "csrf_token" in create_form.errors:
                        abort(400)
                    raise award_ops.AwardError(
                        "bad_amount" if create_form.amount_vnd.errors else "bad_kind"
                    )
                prize = award_ops.create_prize(
                    festival,
                    create_form.kind.data,
                    create_form.name.data,
                    create_form.amount_vnd.data or 0,
                )
                message = _("Prize added: %(name)s", name=prize.name)
            elif action in ("assign", "nominate", "delete", "finalise"):
                if not action_form.validate_on_submit():
                    abort(400)
                if action == "finalise":
                    moved = award_ops.finalise(festival, current_user)
                    message = _(
                        "Awards finalised: %(n)s other startups marked not selected.",
                        n=len(moved),
                    )
                else:
                    prize = _prize_of(festival, action_form.prize_id.data)
                    if action == "assign":
                        application = db.session.get(
                            PitchApplication, action_form.application_id.data or 0
                        )
                        if application is None:
                            raise award_ops.AwardError("not_yours")
                        award_ops.assign_prize(prize, application, current_user)
                        message = _(
                            "%(prize)s goes to %(title)s.",
                            prize=prize.name,
                            title=application.title,
                        )
                    elif action == "nominate":
                        award_ops.set_nomination(prize, action_form.nominated.data)
                        message = _("Nominations saved.")
                    else:
                        award_ops.delete_prize(prize)
                        message = _("Prize removed.")
            else:
                abort(400)
        except award_ops.AwardError as exc:
            db.session.rollback()
            error = str(AWARD_ERRORS[exc.reason])
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("pitches.awards", slug=festival.slug))
    prize_list = award_ops.prizes(festival)
    candidates = award_ops.candidates(festival)
    ranked = award_ops.ranked_ids(festival)
    rank_of = {app_id: n for n, app_id in enumerate(ranked, start=1)}
    candidates.sort(key=lambda a: (rank_of.get(a.id, 10**6), a.title_folded))
    return (
        render_template(
            "pitches/programme_awards.html",
            festival=festival,
            create_form=create_form,
            prizes=prize_list,
            candidates=candidates,
            holders={p.application_id for p in prize_list if p.application_id},
            rank_of=rank_of,
            suggestions=award_ops.suggestions(festival, prize_list),
            kind_labels=award_ops.KIND_LABELS,
            pitched_left=sum(1 for a in candidates if a.state == "pitched"),
            ranking_url=_url("pitches.ranking", slug=festival.slug),
            error=error,
        ),
        400 if error else 200,
    )


@bp.route("/f/<slug>/manage/pitches/nominations.xlsx")
@organizer_required
def nominations_xlsx(festival: Festival):
    def deck_link(application: PitchApplication) -> str | None:
        if not application.deck_file:
            return None
        for values in ({"application_id": application.id}, {}):
            try:
                return url_for("pitches.deck", slug=festival.slug, _external=True, **values)
            except BuildError:
                continue
        return None

    data = award_ops.nominations_workbook(festival, deck_link)
    filename = f"nominations-{festival.slug}.xlsx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
