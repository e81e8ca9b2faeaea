"""Organizer pages that set up the matchmaking (settings, sessions and breaks, tables,
participants), the participant's own blocked times and the dashboard section. Scheduling,
the grid and the exports are in :mod:`matchmaking.organizer_views`."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.festivals.util import register_section
from eventday.i18n import format_date, format_time, to_local
from eventday.permissions import organizer_required
from matchmaking import grid, setup
from matchmaking.models import (
    INVESTOR_KINDS,
    PROFILE_KINDS,
    MatchBlock,
    MatchBreak,
    MatchProfile,
    MatchSession,
    MatchTable,
)
from matchmaking.setup import SetupError
from matchmaking.util import get_or_404
from matchmaking.views import bp, festival_or_404

# --------------------------------------------------------------------------- forms


class SettingsForm(FlaskForm):
    is_open = BooleanField(_l("Matchmaking open (profiles and requests accepted)"))
    instant_booking = BooleanField(_l("Book a meeting as soon as a request is accepted"))
    request_expiry_hours = IntegerField(
        _l("Unanswered requests expire after (hours)"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(1, 24 * 30)],
    )
    max_requests_sent = IntegerField(
        _l("Open requests per person"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(1, 500)],
    )
    max_meetings = IntegerField(
        _l("Meetings per person"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(1, 200)],
    )
    reminder_minutes = IntegerField(
        _l("Reminder before each session (minutes)"),
        validators=[InputRequired(_l("Give a number.")), NumberRange(0, 24 * 60)],
    )


class SessionForm(FlaskForm):
    name_vi = StringField(
        _l("Name (Vietnamese)"), validators=[DataRequired(_l("Give a name.")), Length(max=200)]
    )
    name_en = StringField(_l("Name (English, optional)"), validators=[Optional(), Length(max=200)])
    day = SelectField(_l("Day"), choices=[], validate_choice=True)
    start = TimeField(_l("Starts at"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("Ends at"), validators=[InputRequired(_l("Give the end time."))])
    slot_minutes = IntegerField(
        _l("Slot length (minutes)"),
        default=20,
        validators=[InputRequired(_l("Give a number.")), NumberRange(5, 240)],
    )
    location = StringField(_l("Place"), validators=[Optional(), Length(max=255)])
    cancel_orphans = BooleanField(_l("Cancel the meetings that no longer fit"))


class BreakForm(FlaskForm):
    start = TimeField(_l("Break from"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("Break until"), validators=[InputRequired(_l("Give the end time."))])
    cancel_orphans = BooleanField(_l("Cancel the meetings that no longer fit"))


class RemoveBreakForm(FlaskForm):
    cancel_orphans = BooleanField(_l("Cancel the meetings that no longer fit"))


class AddTablesForm(FlaskForm):
    count = IntegerField(
        _l("How many tables"),
        default=1,
        validators=[InputRequired(_l("Give a number.")), NumberRange(1, setup.MAX_TABLES_AT_ONCE)],
    )
    label_prefix = StringField(
        _l("Label before the number (optional)"),
        validators=[Optional(), Length(max=100)],
        description=_l("e.g. “Bàn” gives “Bàn 1”, “Bàn 2”…"),
    )


class TableForm(FlaskForm):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=120)])
    fixed_profile_id = SelectField(_l("Fixed to"), choices=[], validate_choice=True)
    active = BooleanField(_l("In use"))


class BlockForm(FlaskForm):
    day = SelectField(_l("Day"), choices=[], validate_choice=True)
    start = TimeField(_l("From"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("Until"), validators=[InputRequired(_l("Give the end time."))])
    note = StringField(
        _l("Note (only you and the organizers see it)"), validators=[Length(max=200)]
    )


# --------------------------------------------------------------------------- helpers


def _day_choices(festival: Festival) -> list[SelectChoice]:
    return [SelectChoice(d.day.isoformat(), format_date(d.day)) for d in festival.days]


def _own(model, festival: Festival, object_id: int):
    return get_or_404(model, object_id, festival_id=festival.id)


def _own_break(festival: Festival, session: MatchSession, break_id: int) -> MatchBreak:
    return get_or_404(MatchBreak, break_id, session_id=session.id)


def _form_error(form: FlaskForm, exc: SetupError) -> None:
    target = getattr(form, exc.field or "", None)
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _session_data(form: SessionForm) -> setup.SessionData:
    return setup.SessionData(
        name_vi=form.name_vi.data or "",
        name_en=form.name_en.data or "",
        day=dt.date.fromisoformat(form.day.data),
        start=form.start.data,
        end=form.end.data,
        slot_minutes=form.slot_minutes.data,
        location=form.location.data or "",
    )


def _session_form(festival: Festival, session: MatchSession | None = None, **kw) -> SessionForm:
    form = SessionForm(**kw)
    form.day.choices = _day_choices(festival)
    if session is not None and request.method == "GET":
        form.name_vi.data = session.name_vi
        form.name_en.data = session.name_en or ""
        form.day.data = to_local(session.starts_at).date().isoformat()
        form.start.data = to_local(session.starts_at).time()
        form.end.data = to_local(session.ends_at).time()
        form.slot_minutes.data = session.slot_minutes
        form.location.data = session.location
    return form


def _sessions_page(
    festival: Festival, form: SessionForm | None = None, break_forms=None, status=200
):
    from matchmaking.slots import session_slots

    items = setup.sessions(festival)
    break_forms = break_forms or {}
    rows = []
    for s in items:
        bform = break_forms.get(s.id) or BreakForm(prefix=f"b{s.id}", formdata=None)
        rows.append({"session": s, "slots": session_slots(s), "break_form": bform})
    return render_template(
        "matchmaking/org_sessions.html",
        festival=festival,
        rows=rows,
        form=form or _session_form(festival, prefix="new", formdata=None),
        remove_form=RemoveBreakForm(formdata=None),
        delete_form=EmptyForm(prefix="delete"),
    ), status


def _profile_choices(festival: Festival) -> list[SelectChoice]:
    profiles = db.session.scalars(
        sa.select(MatchProfile)
        .where(MatchProfile.festival_id == festival.id, MatchProfile.kind.in_(INVESTOR_KINDS))
        .order_by(MatchProfile.name_folded, MatchProfile.id)
    )
    return [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(p.id), f"{p.display_name} ({grid.kind_label(p.kind)})") for p in profiles
    ]


def _table_form(festival: Festival, table: MatchTable, choices, formdata=None) -> TableForm:
    form = TableForm(prefix=f"t{table.id}", formdata=formdata)
    form.fixed_profile_id.choices = choices
    if formdata is None:
        form.label.data = table.label
        form.fixed_profile_id.data = str(table.fixed_profile_id or "")
        form.active.data = table.active
    return form


def _tables_page(festival: Festival, add_form=None, edited=None, status=200):
    choices = _profile_choices(festival)
    items = setup.tables(festival)
    forms = {t.id: _table_form(festival, t, choices) for t in items}
    if edited is not None:
        forms[edited[0]] = edited[1]
    return render_template(
        "matchmaking/org_tables.html",
        festival=festival,
        tables=items,
        forms=forms,
        add_form=add_form or AddTablesForm(formdata=None),
        table_name=setup.table_name,
    ), status


# --------------------------------------------------------------------------- settings


@bp.route("/f/<slug>/manage/matchmaking/settings", methods=["GET", "POST"])
@organizer_required
def org_settings(festival: Festival):
    settings = setup.get_settings(festival)
    db.session.flush()  # a new row gets its defaults
    form = SettingsForm(obj=settings) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        try:
            setup.save_settings(
                festival,
                setup.SettingsData(
                    is_open=form.is_open.data,
                    instant_booking=form.instant_booking.data,
                    request_expiry_hours=form.request_expiry_hours.data,
                    max_requests_sent=form.max_requests_sent.data,
                    max_meetings=form.max_meetings.data,
                    reminder_minutes=form.reminder_minutes.data,
                ),
            )
        except SetupError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Matchmaking settings saved."), "success")
            return redirect(url_for("matchmaking.org_settings", slug=festival.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/org_settings.html", festival=festival, form=form), status


# --------------------------------------------------------------------------- sessions


@bp.route("/f/<slug>/manage/matchmaking/sessions", methods=["GET", "POST"])
@organizer_required
def org_sessions(festival: Festival):
    if request.method == "GET":
        return _sessions_page(festival)
    form = _session_form(festival, prefix="new")
    if form.validate_on_submit():
        try:
            setup.save_session(festival, _session_data(form), actor=current_user)
        except SetupError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The session was added."), "success")
            return redirect(url_for("matchmaking.org_sessions", slug=festival.slug))
    return _sessions_page(festival, form=form, status=400)


@bp.route("/f/<slug>/manage/matchmaking/sessions/<int:session_id>", methods=["GET", "POST"])
@organizer_required
def org_edit_session(festival: Festival, session_id: int):
    session = _own(MatchSession, festival, session_id)
    form = _session_form(festival, session)
    if form.validate_on_submit():
        try:
            setup.save_session(
                festival,
                _session_data(form),
                session,
                cancel_orphans=form.cancel_orphans.data,
                actor=current_user,
            )
        except SetupError as exc:
            db.session.rollback()
            session = _own(MatchSession, festival, session_id)
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The session was saved."), "success")
            return redirect(url_for("matchmaking.org_sessions", slug=festival.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "matchmaking/org_session.html",
        festival=festival,
        session=session,
        form=form,
        meetings=len(setup.session_meetings(session)),
    ), status


@bp.post("/f/<slug>/manage/matchmaking/sessions/<int:session_id>/delete")
@organizer_required
def org_delete_session(festival: Festival, session_id: int):
    session = _own(MatchSession, festival, session_id)
    if not EmptyForm(prefix="delete").validate_on_submit():
        abort(400)
    try:
        setup.delete_session(session)
    except SetupError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The session was deleted."), "success")
    return redirect(url_for("matchmaking.org_sessions", slug=festival.slug))


@bp.post("/f/<slug>/manage/matchmaking/sessions/<int:session_id>/breaks")
@organizer_required
def org_add_break(festival: Festival, session_id: int):
    session = _own(MatchSession, festival, session_id)
    form = BreakForm(prefix=f"b{session.id}")
    if form.validate_on_submit():
        try:
            setup.add_break(
                session,
                form.start.data,
                form.end.data,
                cancel_orphans=form.cancel_orphans.data,
                actor=current_user,
            )
        except SetupError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The break was added."), "success")
            return redirect(
                url_for("matchmaking.org_sessions", slug=festival.slug) + f"#session-{session_id}"
            )
    return _sessions_page(festival, break_forms={session_id: form}, status=400)


@bp.post("/f/<slug>/manage/matchmaking/sessions/<int:session_id>/breaks/<int:break_id>/remove")
@organizer_required
def org_remove_break(festival: Festival, session_id: int, break_id: int):
    session = _own(MatchSession, festival, session_id)
    pause = _own_break(festival, session, break_id)
    form = RemoveBreakForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        setup.remove_break(pause, cancel_orphans=form.cancel_orphans.data, actor=current_user)
    except SetupError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The break was removed."), "success")
    return redirect(
        url_for("matchmaking.org_sessions", slug=festival.slug) + f"#session-{session_id}"
    )


# --------------------------------------------------------------------------- tables


@bp.route("/f/<slug>/manage/matchmaking/tables", methods=["GET", "POST"])
@organizer_required
def org_tables(festival: Festival):
    if request.method == "GET":
        return _tables_page(festival)
    form = AddTablesForm()
    if form.validate_on_submit():
        try:
            created = setup.add_tables(festival, form.count.data, form.label_prefix.data or "")
        except SetupError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Tables %(first)s–%(last)s were added.",
                    first=created[0].number,
                    last=created[-1].number,
                ),
                "success",
            )
            return redirect(url_for("matchmaking.org_tables", slug=festival.slug))
    return _tables_page(festival, add_form=form, status=400)


@bp.post("/f/<slug>/manage/matchmaking/tables/<int:table_id>")
@organizer_required
def org_edit_table(festival: Festival, table_id: int):
    table = _own(MatchTable, festival, table_id)
    form = _table_form(festival, table, _profile_choices(festival), formdata=request.form)
    if form.validate_on_submit():
        raw = form.fixed_profile_id.data
        try:
            setup.update_table(
                table, form.label.data or "", int(raw) if raw else None, form.active.data
            )
        except SetupError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Table %(number)s saved.", number=table.number), "success")
            return redirect(
                url_for("matchmaking.org_tables", slug=festival.slug) + f"#table-{table.id}"
            )
    return _tables_page(festival, edited=(table.id, form), status=400)


# --------------------------------------------------------------------------- participants


@bp.get("/f/<slug>/manage/matchmaking/participants")
@organizer_required
def org_participants(festival: Festival):
    kind = request.args.get("kind", "")
    if kind not in PROFILE_KINDS:
        kind = ""
    return render_template(
        "matchmaking/org_participants.html",
        festival=festival,
        rows=grid.participants(festival, kind or None),
        kind=kind,
        kinds=[(k, grid.kind_label(k)) for k in PROFILE_KINDS],
        kind_label=grid.kind_label,
    )


# --------------------------------------------------------------------------- participant: blocks


def _my_profile(festival: Festival) -> MatchProfile:
    from matchmaking.profiles import profile_for

    profile = profile_for(current_user, festival)
    if profile is None:
        abort(403)
    return profile


def _blocks_page(festival: Festival, profile: MatchProfile, form: BlockForm, status=200):
    from matchmaking.slots import blocked_intervals

    rows = setup.blocks(profile)
    own = {(b.starts_at, b.ends_at) for b in rows}
    automatic = [i for i in blocked_intervals(profile) if i not in own]
    return render_template(
        "matchmaking/org_blocks.html",
        festival=festival,
        profile=profile,
        blocks=rows,
        automatic=automatic,
        form=form,
        delete_form=EmptyForm(prefix="delete"),
        home_url=_home_url(festival),
    ), status


def _home_url(festival: Festival) -> str:
    return url_for("matchmaking.home", slug=festival.slug)


@bp.route("/f/<slug>/matchmaking/blocks", methods=["GET", "POST"])
@login_required
def my_blocks(slug: str):
    festival = festival_or_404(slug)
    profile = _my_profile(festival)
    form = BlockForm()
    form.day.choices = _day_choices(festival)
    if form.validate_on_submit():
        try:
            _block, clashes = setup.add_block(
                profile,
                dt.date.fromisoformat(form.day.data),
                form.start.data,
                form.end.data,
                form.note.data or "",
            )
        except SetupError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The blocked time was added."), "success")
            for meeting in clashes:
                flash(
                    _(
                        "You have a meeting at %(time)s on %(date)s: it stays booked. Cancel it "
                        "from your agenda if you cannot come.",
                        time=format_time(meeting.starts_at),
                        date=format_date(meeting.starts_at),
                    ),
                    "warning",
                )
            return redirect(url_for("matchmaking.my_blocks", slug=festival.slug))
    status = 400 if request.method == "POST" else 200
    return _blocks_page(festival, profile, form, status)


@bp.post("/f/<slug>/matchmaking/blocks/<int:block_id>/delete")
@login_required
def my_delete_block(slug: str, block_id: int):
    festival = festival_or_404(slug)
    profile = _my_profile(festival)
    block = get_or_404(MatchBlock, block_id, profile_id=profile.id)
    if not EmptyForm(prefix="delete").validate_on_submit():
        abort(400)
    setup.delete_block(block)
    db.session.commit()
    flash(_("The blocked time was removed."), "success")
    return redirect(url_for("matchmaking.my_blocks", slug=festival.slug))


# --------------------------------------------------------------------------- dashboard


@register_section("matchmaking")
def _matchmaking_section(festival: Festival) -> dict:
    figures = grid.counts(festival)
    has_sessions = db.session.scalar(
        sa.select(sa.func.count(MatchSession.id)).where(MatchSession.festival_id == festival.id)
    )
    summary = " · ".join(
        [
            _("%(n)s profiles", n=figures["profiles"]),
            _("%(n)s pending requests", n=figures["pending"]),
            _("%(n)s accepted", n=figures["accepted"]),
            _("%(n)s meetings published", n=figures["published"]),
        ]
        + ([_("%(n)s drafts", n=figures["drafts"])] if figures["drafts"] else [])
    )
    return {
        "set_up": bool(has_sessions),
        "url": url_for("matchmaking.org_home", slug=festival.slug),
        "summary": summary,
    }
