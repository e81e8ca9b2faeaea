"""The organizer's stage schedule (days × stages grid, items, auto-schedule, moves, publishing)
and the public ICS files of the published programme."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.forms import MultiCheckboxField
from eventday.festivals.models import Festival, Stage
from eventday.i18n import LOCAL_TZ, format_date, localized, to_local
from eventday.permissions import organizer_required, public
from pitches import publishing
from pitches import schedule as ops
from pitches.ics import ics_bytes
from pitches.models import ProgrammeItem
from pitches.views import bp, public_festival

PX_PER_MINUTE = 2
SNAP_MINUTES = 5


# --------------------------------------------------------------------------- forms


class ItemForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[], validate_choice=True)
    stage_id = SelectField(_l("Stage"), choices=[], validate_choice=True)
    day = SelectField(_l("Day"), choices=[], validate_choice=True)
    start = TimeField(_l("Starts at"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("Ends at"), validators=[InputRequired(_l("Give the end time."))])
    title_vi = StringField(
        _l("Title (Vietnamese)"),
        validators=[DataRequired(_l("Give a title.")), Length(max=255)],
    )
    title_en = StringField(
        _l("Title (English, optional)"), validators=[Optional(), Length(max=255)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    speakers = TextAreaField(
        _l("Speakers (one per line)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("e.g. “TS. Trần Văn An, Sở Khoa học và Công nghệ”"),
    )


class MoveForm(FlaskForm):
    stage_id = SelectField(_l("Stage"), choices=[], validate_choice=True)
    day = SelectField(_l("Day"), choices=[], validate_choice=True)
    start = TimeField(_l("Starts at"), validators=[InputRequired(_l("Give the start time."))])


class AutoForm(FlaskForm):
    day = SelectField(_l("Day"), choices=[], validate_choice=True)
    stage_ids = MultiCheckboxField(
        _l("Stages"),
        choices=[],
        validate_choice=True,
        validators=[DataRequired(_l("Pick a stage."))],
    )


# --------------------------------------------------------------------------- helpers


def _day_choices(festival: Festival) -> list[SelectChoice]:
    return [SelectChoice(d.day.isoformat(), format_date(d.day)) for d in festival.days]


def _stage_choices(festival: Festival) -> list[SelectChoice]:
    return [SelectChoice(str(s.id), localized(s, "name")) for s in festival.stages]


def _at(day: str, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), time, LOCAL_TZ).astimezone(dt.UTC)


def _item_form(festival: Festival, item: ProgrammeItem | None = None) -> ItemForm:
    form = ItemForm(obj=None)
    kinds = ops.HAND_KINDS if item is None or item.kind != "pitch" else ("pitch",)
    form.kind.choices = [SelectChoice(k, str(ops.ITEM_KIND_LABELS[k])) for k in kinds]
    form.stage_id.choices = _stage_choices(festival)
    form.day.choices = _day_choices(festival)
    if item is not None and request.method == "GET":
        form.kind.data = item.kind
        form.stage_id.data = str(item.stage_id)
        form.day.data = to_local(item.starts_at).date().isoformat()
        form.start.data = to_local(item.starts_at).time()
        form.end.data = to_local(item.ends_at).time()
        form.title_vi.data = item.title_vi
        form.title_en.data = item.title_en or ""
        form.description.data = item.description
        form.speakers.data = item.speakers
    return form


def _move_form(festival: Festival, item: ProgrammeItem | None = None) -> MoveForm:
    form = MoveForm(prefix="move")
    form.stage_id.choices = _stage_choices(festival)
    form.day.choices = _day_choices(festival)
    if item is not None and request.method == "GET":
        form.stage_id.data = str(item.stage_id)
        form.day.data = to_local(item.starts_at).date().isoformat()
        form.start.data = to_local(item.starts_at).time()
    return form


def _own_item(festival: Festival, item_id: int) -> ProgrammeItem:
    item = db.session.get(ProgrammeItem, item_id)
    if item is None or item.festival_id != festival.id:
        abort(404)
    return item


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _grid(festival: Festival, items: list[ProgrammeItem], conflicted: set[int]) -> list[dict]:
    """Per day: the stages as columns, each item as a block placed by its local time."""
    days = []
    for d in festival.days:
        begin = dt.datetime.combine(d.day, d.starts_at, LOCAL_TZ)
        end = dt.datetime.combine(d.day, d.ends_at, LOCAL_TZ)
        minutes = int((end - begin).total_seconds() // 60)
        columns = []
        for stage in festival.stages:
            blocks = []
            for item in items:
                if item.stage_id != stage.id or not (begin <= item.starts_at < end):
                    continue
                top = int((item.starts_at - begin).total_seconds() // 60)
                length = int((item.ends_at - item.starts_at).total_seconds() // 60)
                blocks.append(
                    {
                        "item": item,
                        "top": top * PX_PER_MINUTE,
                        "height": max(length * PX_PER_MINUTE, 18),
                        "conflict": item.id in conflicted,
                    }
                )
            columns.append({"stage": stage, "blocks": blocks})
        hours = [
            {"label": (begin + dt.timedelta(minutes=m)).strftime("%H:%M"), "top": m * PX_PER_MINUTE}
            for m in range(0, minutes + 1, 60)
        ]
        days.append(
            {
                "day": d,
                "begin": begin.strftime("%H:%M"),
                "height": minutes * PX_PER_MINUTE,
                "columns": columns,
                "hours": hours,
            }
        )
    return days


def _pending_changes(festival: Festival, items: list[ProgrammeItem]) -> int | None:
    """How many items differ from the last published version (None: never published)."""
    version = publishing.latest_version(festival)
    if version is None:
        return None
    snapshot = version.snapshot
    now = {i.uid: publishing.entry(i) for i in items}
    count = 0
    for uid, e in now.items():
        old = snapshot.get(uid)
        if old is None or publishing._key(old) != publishing._key(e):
            count += 1
    count += sum(
        1 for uid, e in snapshot.items() if uid not in now and e.get("status") != "cancelled"
    )
    return count


# --------------------------------------------------------------------------- organizer pages


@bp.get("/f/<slug>/manage/pitches/schedule")
@organizer_required
def schedule(festival: Festival):
    items = ops.festival_items(festival)
    found = ops.conflicts([ops.booked(i) for i in items], ops.unavailability(festival))
    by_id = {i.id: i for i in items}
    judges = {j.id: j.full_name for i in items for j in i.judges}
    conflicted = {c.first_id for c in found} | {c.second_id for c in found if c.second_id}
    auto_forms = {}
    for d in festival.days:
        form = AutoForm(prefix=f"auto-{d.day.isoformat()}")
        form.day.choices = _day_choices(festival)
        form.day.data = d.day.isoformat()
        form.stage_ids.choices = _stage_choices(festival)
        form.stage_ids.data = [str(s.id) for s in festival.stages]
        auto_forms[d.id] = form
    version = publishing.latest_version(festival)
    return render_template(
        "pitches/schedule_grid.html",
        festival=festival,
        days=_grid(festival, items, conflicted),
        items=items,
        conflict_messages=ops.conflict_messages(found, by_id, judges),
        auto_forms=auto_forms,
        publish_form=EmptyForm(),
        version=version,
        pending=_pending_changes(festival, items),
        kind_labels=ops.ITEM_KIND_LABELS,
        px_per_minute=PX_PER_MINUTE,
        snap_minutes=SNAP_MINUTES,
    )


@bp.route("/f/<slug>/manage/pitches/schedule/item/new", methods=["GET", "POST"])
@organizer_required
def new_schedule_item(festival: Festival):
    form = _item_form(festival)
    if request.method == "GET" and request.args.get("day") in {c.value for c in form.day.choices}:
        form.day.data = request.args["day"]
    if form.validate_on_submit():
        try:
            ops.create_item(festival, _item_data(form))
        except ops.ScheduleError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message())
        else:
            db.session.commit()
            flash(_("The item was added to the programme."), "success")
            return redirect(url_for("pitches.schedule", slug=festival.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "pitches/schedule_item.html", festival=festival, form=form, item=None
    ), status


def _item_data(form: ItemForm) -> ops.ItemData:
    return ops.ItemData(
        kind=form.kind.data,
        stage_id=int(form.stage_id.data),
        starts_at=_at(form.day.data, form.start.data),
        ends_at=_at(form.day.data, form.end.data),
        title_vi=form.title_vi.data,
        title_en=form.title_en.data,
        description=form.description.data or "",
        speakers=form.speakers.data or "",
    )


@bp.route("/f/<slug>/manage/pitches/schedule/item/<int:item_id>", methods=["GET", "POST"])
@organizer_required
def edit_schedule_item(festival: Festival, item_id: int):
    item = _own_item(festival, item_id)
    form = _item_form(festival, item)
    if form.validate_on_submit():
        try:
            ops.update_item(item, _item_data(form))
        except ops.ScheduleError as exc:
            db.session.rollback()
            item = _own_item(festival, item_id)
            form.form_errors.append(exc.message())
        else:
            db.session.commit()
            flash(_("The item was saved."), "success")
            return redirect(url_for("pitches.schedule", slug=festival.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "pitches/schedule_item.html",
        festival=festival,
        form=form,
        item=item,
        move_form=_move_form(festival, item),
        delete_form=EmptyForm(prefix="delete"),
    ), status


@bp.post("/f/<slug>/manage/pitches/schedule/item/<int:item_id>/delete")
@organizer_required
def delete_schedule_item(festival: Festival, item_id: int):
    item = _own_item(festival, item_id)
    form = EmptyForm(prefix="delete")
    if not form.validate_on_submit():
        abort(400)
    ops.delete_item(item, current_user)
    db.session.commit()
    flash(_("The item was removed from the programme."), "success")
    return redirect(url_for("pitches.schedule", slug=festival.slug))


@bp.post("/f/<slug>/manage/pitches/schedule/item/<int:item_id>/move")
@organizer_required
def move_schedule_item(festival: Festival, item_id: int):
    """Move an item (drag and drop, or the form): JSON for the grid's script, else a redirect."""
    item = _own_item(festival, item_id)
    form = _move_form(festival)
    error = None
    messages: list[str] = []
    if not form.validate_on_submit():
        error = next(
            (str(m) for f in form for m in f.errors), _("Choose a stage, a day and a time.")
        )
    else:
        stage = db.session.get(Stage, int(form.stage_id.data))
        try:
            ops.move_item(item, stage, _at(form.day.data, form.start.data))
        except ops.ScheduleError as exc:
            db.session.rollback()
            error = exc.message()
            messages = exc.messages or [error]
    if error is None:
        db.session.commit()
        message = _("Moved.")
        if _wants_json():
            return jsonify(ok=True, message=message)
        flash(message, "success")
        return redirect(url_for("pitches.schedule", slug=festival.slug))
    if _wants_json():
        return jsonify(ok=False, message=error, conflicts=messages or [error]), 409
    flash(error, "error")
    return redirect(url_for("pitches.edit_schedule_item", slug=festival.slug, item_id=item_id))


@bp.post("/f/<slug>/manage/pitches/schedule/auto")
@organizer_required
def auto_schedule(festival: Festival):
    day = request.form.get("day", "")
    form = AutoForm(prefix=f"auto-{day}")
    form.day.choices = _day_choices(festival)
    form.stage_ids.choices = _stage_choices(festival)
    if not form.validate_on_submit():
        for f in form:
            for message in f.errors:
                flash(str(message), "error")
        if not form.errors:
            flash(_("Choose a day and at least one stage."), "error")
        return redirect(url_for("pitches.schedule", slug=festival.slug))
    try:
        result = ops.apply_auto_schedule(
            festival,
            dt.date.fromisoformat(form.day.data),
            [int(s) for s in form.stage_ids.data],
            current_user,
        )
    except ops.ScheduleError as exc:
        db.session.rollback()
        flash(exc.message(), "error")
        return redirect(url_for("pitches.schedule", slug=festival.slug))
    db.session.commit()
    flash(
        ngettext(
            "%(num)d pitch was scheduled.", "%(num)d pitches were scheduled.", len(result.items)
        )
        if result.items
        else _("No pitch was scheduled."),
        "success" if result.items else "info",
    )
    for app_id, reason in sorted(result.left_out.items()):
        flash(
            _(
                "Not scheduled: %(title)s. %(reason)s",
                title=result.applications[app_id].title,
                reason=ops.LEFT_OUT_LABELS[reason],
            ),
            "error",
        )
    return redirect(url_for("pitches.schedule", slug=festival.slug))


@bp.post("/f/<slug>/manage/pitches/schedule/publish")
@organizer_required
def publish(festival: Festival):
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = publishing.publish(festival, current_user)
    db.session.commit()
    flash(
        _(
            "Version %(number)d of the programme is published; %(mails)d people were mailed.",
            number=result.version.number,
            mails=len(result.mailed),
        ),
        "success",
    )
    return redirect(url_for("pitches.schedule", slug=festival.slug))


# --------------------------------------------------------------------------- public ICS


def _ics_response(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _locale() -> str:
    from eventday.i18n import current_lang

    return current_lang()


@bp.get("/f/<slug>/programme/<uid>.ics")
@public
def item_ics(slug: str, uid: str):
    festival = public_festival(slug)
    items = [i for i in publishing.published_items(festival) if i.uid == uid]
    if not items:
        abort(404)
    return _ics_response(
        ics_bytes(items, festival, _locale()), f"{festival.slug}-{uid.split('@')[0][:8]}.ics"
    )


@bp.get("/f/<slug>/programme.ics")
@public
def programme_ics(slug: str):
    festival = public_festival(slug)
    items = publishing.published_items(festival)
    return _ics_response(ics_bytes(items, festival, _locale()), f"{festival.slug}.ics")
