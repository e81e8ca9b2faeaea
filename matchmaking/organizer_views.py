"""Organizer pages of the matchmaking that schedule and run it: the home page, batch scheduling
and publishing, the tables × slots grid with moves and cancellations, the XLSX export,
printable table signs and per-table lists. Setting it up (settings, sessions, tables,
participants) is in :mod:`matchmaking.setup_views`."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import format_date, format_time, localized
from eventday.permissions import organizer_required
from matchmaking import batch, exports, grid, setup
from matchmaking.models import Meeting
from matchmaking.setup_views import _own
from matchmaking.views import bp

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH_TIME_LIMIT = 20  # seconds of CP-SAT inside the organizer's request


# --------------------------------------------------------------------------- forms


class MoveForm(FlaskForm):
    slot_id = SelectField(_l("Time"), choices=[], validate_choice=True)
    table_id = SelectField(_l("Table"), choices=[], validate_choice=True)


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (sent to both)"), validators=[Optional(), Length(max=500)])
    keep_request = BooleanField(_l("Keep the request: the scheduler may place it again"))


# --------------------------------------------------------------------------- helpers


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _slot_choices(festival: Festival) -> list[SelectChoice]:
    from matchmaking.slots import festival_sessions, session_slots

    out = []
    for session in festival_sessions(festival):
        name = localized(session, "name")
        for slot in session_slots(session):
            label = f"{format_date(slot.start)} {format_time(slot.start)}–{format_time(slot.end)}"
            out.append(SelectChoice(str(slot.id), f"{label} · {name}"))
    return out


def _move_form(festival: Festival, meeting: Meeting | None = None, **kw) -> MoveForm:
    form = MoveForm(**kw)
    form.slot_id.choices = _slot_choices(festival)
    form.table_id.choices = [
        SelectChoice(str(t.id), setup.table_name(t))
        for t in setup.tables(festival, active_only=True)
    ]
    if meeting is not None and request.method == "GET":
        from matchmaking.slots import slot_at

        slot = slot_at(festival, meeting.starts_at)
        form.slot_id.data = str(slot.id) if slot else ""
        form.table_id.data = str(meeting.table_id)
    return form


# --------------------------------------------------------------------------- home


@bp.get("/f/<slug>/manage/matchmaking")
@organizer_required
def org_home(festival: Festival):
    return render_template(
        "matchmaking/org_home.html",
        festival=festival,
        settings=setup.get_settings(festival),
        counts=grid.counts(festival),
        sessions=setup.sessions(festival),
        tables=setup.tables(festival, active_only=True),
    )


# --------------------------------------------------------------------------- batch scheduling


@bp.get("/f/<slug>/manage/matchmaking/schedule")
@organizer_required
def org_schedule(festival: Festival):
    runs = batch.runs(festival)
    return render_template(
        "matchmaking/org_schedule.html",
        festival=festival,
        runs=runs,
        report=batch.left_out_report(runs[0]) if runs else [],
        drafts=batch.draft_count(festival),
        run_form=EmptyForm(prefix="run"),
        publish_form=EmptyForm(prefix="publish"),
    )


@bp.post("/f/<slug>/manage/matchmaking/schedule/run")
@organizer_required
def org_run_batch(festival: Festival):
    if not EmptyForm(prefix="run").validate_on_submit():
        abort(400)
    try:
        run = batch.run_batch(festival, current_user, time_limit=BATCH_TIME_LIMIT)
    except batch.ScheduleError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("matchmaking.org_schedule", slug=festival.slug))
    db.session.commit()
    flash(
        _(
            "Scheduled %(placed)s meetings (%(moved)s drafts moved, %(left)s requests left out).",
            placed=run.placed,
            moved=run.moved,
            left=len(run.left_out),
        ),
        "success",
    )
    return redirect(url_for("matchmaking.org_schedule", slug=festival.slug))


@bp.post("/f/<slug>/manage/matchmaking/schedule/publish")
@organizer_required
def org_publish(festival: Festival):
    if not EmptyForm(prefix="publish").validate_on_submit():
        abort(400)
    count = batch.publish(festival, current_user)
    db.session.commit()
    if count:
        flash(_("%(n)s meetings published; both parties were mailed.", n=count), "success")
    else:
        flash(_("There was no draft meeting to publish."), "warning")
    return redirect(url_for("matchmaking.org_schedule", slug=festival.slug))


# --------------------------------------------------------------------------- grid


@bp.get("/f/<slug>/manage/matchmaking/grid")
@organizer_required
def org_grid(festival: Festival):
    return render_template(
        "matchmaking/org_grid.html",
        festival=festival,
        grids=grid.grid(festival),
        parties=grid.parties,
        attendance=grid.attendance,
        attendance_labels=grid.ATTENDANCE_LABELS,
        table_name=setup.table_name,
        drafts=batch.draft_count(festival),
    )


@bp.route("/f/<slug>/manage/matchmaking/meetings/<int:meeting_id>", methods=["GET", "POST"])
@organizer_required
def org_move_meeting(festival: Festival, meeting_id: int):
    """The meeting's page with its move form (GET); moving it (POST: the form, or the grid's
    drag and drop asking for JSON)."""
    meeting = _own(Meeting, festival, meeting_id)
    form = _move_form(festival, meeting)
    if request.method == "POST":
        messages: list[str] = []
        if meeting.state != "scheduled":
            messages = [_("Only a scheduled meeting can be moved.")]
        elif not form.validate_on_submit():
            messages = [str(m) for f in form for m in f.errors] or [_("Choose a time and a table.")]
        else:
            from matchmaking.booking import move_meeting
            from matchmaking.slots import slot_by_id

            slot = slot_by_id(festival, int(form.slot_id.data))
            if slot is None:
                messages = [_("Choose a time and a table.")]
            else:
                messages = [
                    str(m)
                    for m in move_meeting(
                        meeting, slot.start, int(form.table_id.data), actor=current_user
                    )
                ]
        if messages:
            db.session.rollback()
        else:
            db.session.commit()
        if _wants_json():
            return jsonify(ok=not messages, messages=messages or [_("Moved.")]), (
                409 if messages else 200
            )
        if not messages:
            flash(_("The meeting was moved."), "success")
            return redirect(url_for("matchmaking.org_grid", slug=festival.slug))
        for message in messages:
            flash(message, "error")
        meeting = _own(Meeting, festival, meeting_id)
    host, guest = grid.parties(meeting)
    return render_template(
        "matchmaking/org_meeting.html",
        festival=festival,
        meeting=meeting,
        host=host,
        guest=guest,
        form=form,
        cancel_form=CancelForm(prefix="cancel", formdata=None),
        attendance=grid.ATTENDANCE_LABELS[grid.attendance(meeting)],
        state_label=grid.MEETING_STATE_LABELS[meeting.state],
        table_name=setup.table_name,
    ), (400 if request.method == "POST" else 200)


@bp.post("/f/<slug>/manage/matchmaking/meetings/<int:meeting_id>/cancel")
@organizer_required
def org_cancel_meeting(festival: Festival, meeting_id: int):
    meeting = _own(Meeting, festival, meeting_id)
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        abort(400)
    if meeting.state != "scheduled":
        flash(_("Only a scheduled meeting can be cancelled."), "error")
        return redirect(
            url_for("matchmaking.org_move_meeting", slug=festival.slug, meeting_id=meeting_id)
        )
    from matchmaking.booking import MeetingError, cancel_meeting

    try:
        cancel_meeting(
            meeting,
            reason=(form.reason.data or "").strip(),
            actor=current_user,
            keep_request=form.keep_request.data,
        )
    except MeetingError as exc:  # marked held or absent meanwhile
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(
            url_for("matchmaking.org_move_meeting", slug=festival.slug, meeting_id=meeting_id)
        )
    db.session.commit()
    flash(_("The meeting was cancelled."), "success")
    return redirect(url_for("matchmaking.org_grid", slug=festival.slug))


# --------------------------------------------------------------------------- exports


@bp.get("/f/<slug>/manage/matchmaking/schedule.xlsx")
@organizer_required
def org_schedule_xlsx(festival: Festival):
    filename = f"matchmaking-{festival.slug}.xlsx"
    return Response(
        exports.schedule_xlsx(festival),
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- table signs and lists


@bp.get("/f/<slug>/manage/matchmaking/tables/signs")
@organizer_required
def org_table_signs(festival: Festival):
    return render_template(
        "matchmaking/org_table_signs.html",
        festival=festival,
        tables=setup.tables(festival, active_only=True),
        table_name=setup.table_name,
    )


@bp.get("/f/<slug>/manage/matchmaking/tables/lists")
@organizer_required
def org_table_lists(festival: Festival):
    published_only = request.args.get("published") == "1"
    return render_template(
        "matchmaking/org_table_lists.html",
        festival=festival,
        lists=exports.table_lists(festival, published_only=published_only),
        published_only=published_only,
        parties=grid.parties,
    )
