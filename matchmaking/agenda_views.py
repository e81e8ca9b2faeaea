"""A participant's agenda (phone first) with ICS downloads and a personal feed; the table
sheets where hosts, staff and organizers mark attendance (ticks and ticket scans); feedback
after a meeting; the organizers' outcomes page and its XLSX export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from eventday.db import utcnow
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ, localized
from eventday.permissions import (
    festival_role_required,
    has_festival_role,
    organizer_required,
    public,
)
from matchmaking import attendance, feedback, ics, outcomes
from matchmaking.models import (
    MatchProfile,
    MatchSession,
    MatchTable,
    Meeting,
    MeetingRequest,
    MeetingSeat,
)
from matchmaking.util import check_id, get_or_404
from matchmaking.views import bp, festival_or_404

PREFIX = "/f/<slug>/matchmaking"
MANAGE = "/f/<slug>/manage/matchmaking"

# ``{{ table|table_extra }}``: what a table's label adds under a big "Table N".
bp.add_app_template_filter(ics.table_extra, "table_extra")


def kind_label(kind: str) -> str:
    from matchmaking.taxonomy import KIND_LABELS

    return str(KIND_LABELS.get(kind, kind))


def _profile_for(festival) -> MatchProfile | None:
    return db.session.scalar(
        sa.select(MatchProfile).where(
            MatchProfile.festival_id == festival.id, MatchProfile.user_id == current_user.id
        )
    )


def _participant(slug: str):
    """The festival and the signed-in user's profile in it; a user without one is sent to
    the matchmaking home page (where they can make one)."""
    festival = festival_or_404(slug)
    profile = _profile_for(festival)
    return festival, profile


def _no_profile_response(festival):
    flash(_("Make your matchmaking profile first."), "warning")
    target = url_for("matchmaking.home", slug=festival.slug)
    if target is None:
        abort(403)
    return redirect(target)


def _ics_response(data: bytes, filename: str, *, cache: str = "private, max-age=300") -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response


# --------------------------------------------------------------------------- agenda


@dataclass
class AgendaEntry:
    meeting: Meeting
    other: MatchProfile | None
    my_seat: MeetingSeat | None
    is_now: bool = False
    is_next: bool = False
    past: bool = False
    feedback_open: bool = False
    feedback_given: bool = False


@dataclass
class AgendaGroup:
    session: MatchSession
    day: dt.date
    entries: list[AgendaEntry] = field(default_factory=list)


def agenda_groups(profile: MatchProfile, now: dt.datetime | None = None):
    """The person's published live meetings grouped by session (in time order), with the
    "now" and "next" flags and whether feedback is due; and the cancelled ones apart."""
    now = now or utcnow()
    meetings = ics.agenda_meetings(profile, include_cancelled=True)
    given = feedback.given_for(profile, [m.id for m in meetings])
    groups: dict[int, AgendaGroup] = {}
    cancelled: list[AgendaEntry] = []
    seen_next = False
    for meeting in meetings:
        entry = AgendaEntry(
            meeting=meeting,
            other=ics.other_party(meeting, profile),
            my_seat=feedback.seat_of(meeting, profile),
        )
        if meeting.state == "cancelled":
            cancelled.append(entry)
            continue
        entry.is_now = meeting.starts_at <= now < meeting.ends_at
        entry.is_next = not seen_next and meeting.starts_at > now
        seen_next = seen_next or entry.is_next
        entry.past = meeting.ends_at <= now
        entry.feedback_given = meeting.id in given
        entry.feedback_open = feedback.can_give(meeting, profile, now)
        group = groups.get(meeting.session_id)
        if group is None:
            group = groups[meeting.session_id] = AgendaGroup(
                meeting.session, meeting.starts_at.astimezone(LOCAL_TZ).date()
            )
        group.entries.append(entry)
    ordered = sorted(groups.values(), key=lambda g: (g.session.starts_at, g.session.id))
    return ordered, cancelled


def waiting_requests(profile: MatchProfile) -> list[MeetingRequest]:
    """Accepted requests of the person without a published live meeting yet."""
    placed = sa.select(Meeting.id).where(
        Meeting.request_id == MeetingRequest.id,
        Meeting.published.is_(True),
        Meeting.state != "cancelled",
    )
    return list(
        db.session.scalars(
            sa.select(MeetingRequest)
            .where(
                MeetingRequest.festival_id == profile.festival_id,
                MeetingRequest.state == "accepted",
                sa.or_(
                    MeetingRequest.sender_id == profile.id,
                    MeetingRequest.recipient_id == profile.id,
                ),
                ~placed.exists(),
            )
            .order_by(MeetingRequest.id)
        )
    )


@bp.get(PREFIX + "/agenda")
@login_required
def agenda(slug: str):
    festival, profile = _participant(slug)
    if profile is None:
        return _no_profile_response(festival)
    groups, cancelled = agenda_groups(profile)
    waiting = waiting_requests(profile)
    hosted = db.session.scalar(
        sa.select(MatchTable).where(MatchTable.fixed_profile_id == profile.id)
    )
    return render_template(
        "matchmaking/agenda.html",
        festival=festival,
        profile=profile,
        groups=groups,
        cancelled=cancelled,
        waiting=[(r, r.recipient if r.sender_id == profile.id else r.sender) for r in waiting],
        hosted=hosted,
        feed_url=url_for(
            "matchmaking.agenda_feed", slug=festival.slug, token=profile.feed_token, _external=True
        ),
        kind_label=kind_label,
        headline=lambda p: ics.headline(p, _lang()),
        table_place=ics.table_place,
        profile_url=lambda p: url_for("matchmaking.profile", slug=festival.slug, profile_id=p.id),
        home_url=url_for("matchmaking.home", slug=festival.slug),
        requests_url=url_for("matchmaking.requests", slug=festival.slug),
    )


def _lang() -> str:
    from eventday.i18n import current_lang

    return current_lang()


@bp.get(PREFIX + "/feed/<token>.ics")
@public
def agenda_feed(slug: str, token: str):
    """The personal calendar feed: no login (a calendar app cannot log in), the secret token
    in the URL names the person."""
    festival = festival_or_404(slug)
    if not token or len(token) > 64:
        abort(404)
    profile = db.session.scalar(
        sa.select(MatchProfile).where(
            MatchProfile.festival_id == festival.id, MatchProfile.feed_token == token
        )
    )
    if profile is None:
        abort(404)
    return _ics_response(ics.agenda_ics(profile), f"{festival.slug}-matchmaking.ics")


def _party_meeting(festival, profile: MatchProfile | None, meeting_id: int) -> Meeting:
    """A published meeting of this festival ``profile`` sits in, or 404 (nobody else learns
    it exists)."""
    meeting = db.session.get(Meeting, check_id(meeting_id))
    if (
        meeting is None
        or meeting.festival_id != festival.id
        or not feedback.is_party(meeting, profile)
    ):
        abort(404)
    return meeting


@bp.get(PREFIX + "/agenda/meetings/<int:meeting_id>.ics")
@login_required
def meeting_ics(slug: str, meeting_id: int):
    festival, profile = _participant(slug)
    meeting = _party_meeting(festival, profile, meeting_id)
    return _ics_response(ics.meeting_ics(meeting, profile), f"meeting-{meeting.id}.ics")


# --------------------------------------------------------------------------- feedback


class FeedbackForm(FlaskForm):
    """Checked by ``feedback.validate`` (translated errors on the fields)."""

    rating = RadioField(
        _l("How useful was this meeting?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validate_choice=False,
    )
    follow_up = BooleanField(_l("I want a follow-up"))
    invest_interest = RadioField(
        _l("Interest in investing"),
        choices=[SelectChoice(k, v) for k, v in feedback.INTEREST_LABELS.items()],
        default="none",
        validate_choice=False,
    )
    amount_min = StringField(_l("Amount from (đồng)"))
    amount_max = StringField(_l("Amount to (đồng)"))
    note = TextAreaField(_l("Note (only the organizers read it)"), validators=[Length(max=5000)])


def _feedback_data(form: FeedbackForm) -> feedback.FeedbackData:
    try:
        rating = int(form.rating.data) if form.rating.data not in (None, "", "None") else None
    except (TypeError, ValueError):
        rating = 0
    amounts = {}
    for name in ("amount_min", "amount_max"):
        try:
            amounts[name] = feedback.parse_amount(getattr(form, name).data)
        except feedback.FeedbackError as exc:
            exc.field = name + "_vnd"
            raise
    return feedback.FeedbackData(
        rating=rating,
        follow_up=bool(form.follow_up.data),
        invest_interest=form.invest_interest.data or "",
        amount_min_vnd=amounts["amount_min"],
        amount_max_vnd=amounts["amount_max"],
        note=form.note.data or "",
    )


def _amount_text(value: int | None) -> str:
    return "" if value is None else f"{value:,}".replace(",", ".")


@bp.route(
    PREFIX + "/agenda/meetings/<int:meeting_id>/feedback",
    methods=["GET", "POST"],
    endpoint="feedback",
)
@login_required
def give_feedback(slug: str, meeting_id: int):
    festival, profile = _participant(slug)
    meeting = _party_meeting(festival, profile, meeting_id)
    existing = feedback.feedback_of(meeting, profile)
    form = FeedbackForm()
    if request.method == "GET" and existing is not None:
        form.rating.data = str(existing.rating)
        form.follow_up.data = existing.follow_up
        form.invest_interest.data = existing.invest_interest
        form.amount_min.data = _amount_text(existing.amount_min_vnd)
        form.amount_max.data = _amount_text(existing.amount_max_vnd)
        form.note.data = existing.note
    error = None
    errors: dict[str, str] = {}
    try:
        feedback.check_open(meeting, profile)
        closed = None
    except feedback.FeedbackError as exc:
        closed = exc.message()
    status = 200
    if request.method == "POST":
        if closed:
            error, status = closed, 400
        elif form.validate_on_submit():
            try:
                data = _feedback_data(form)
                feedback.save_feedback(meeting, profile, data)
            except feedback.FeedbackError as exc:
                db.session.rollback()
                if exc.field:
                    errors[exc.field] = exc.message()
                else:
                    error = exc.message()
                status = 400
            else:
                db.session.commit()
                flash(_("Thank you: your feedback is saved."), "success")
                return redirect(url_for("matchmaking.agenda", slug=festival.slug))
        else:
            error = _("The form could not be sent. Please try again.")
            status = 400
    return render_template(
        "matchmaking/feedback.html",
        festival=festival,
        meeting=meeting,
        other=ics.other_party(meeting, profile),
        profile=profile,
        form=form,
        existing=existing,
        closed=closed,
        error=error,
        errors=errors,
        deadline_day=feedback.deadline(festival).astimezone(LOCAL_TZ).date() - dt.timedelta(days=1),
        table_place=ics.table_place,
    ), status


# --------------------------------------------------------------------------- attendance


class ScanForm(FlaskForm):
    code = StringField(_l("Ticket code or QR"), validators=[Length(max=2000)])


class MarkForm(FlaskForm):
    """CSRF only: ``attended`` ("1"/"0") comes from the button pressed."""


def _table_or_404(festival, table_id: int) -> MatchTable:
    return get_or_404(MatchTable, table_id, festival_id=festival.id)


@bp.get(MANAGE + "/attendance")
@festival_role_required("organizer", "staff")
def table_sheets(festival):
    tables = db.session.scalars(
        sa.select(MatchTable)
        .where(MatchTable.festival_id == festival.id)
        .order_by(MatchTable.number)
    ).all()
    return render_template(
        "matchmaking/table_sheets.html",
        festival=festival,
        tables=tables,
        outcomes_url=url_for("matchmaking.outcomes", slug=festival.slug),
    )


@bp.route(PREFIX + "/attendance/tables/<int:table_id>", methods=["GET", "POST"])
@login_required
def table_sheet(slug: str, table_id: int):
    festival = festival_or_404(slug)
    table = _table_or_404(festival, table_id)
    if not attendance.may_keep_sheet(current_user, festival, table):
        abort(403)
    form = ScanForm()
    scan_error = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            scan_error, status = _("The form could not be sent. Please try again."), 400
        else:
            try:
                seat = attendance.scan(festival, table, form.code.data or "", current_user)
            except attendance.AttendanceError as exc:
                db.session.rollback()
                scan_error, status = exc.message(), 400
            else:
                db.session.commit()
                flash(_("%(name)s is marked present.", name=seat.profile.display_name), "success")
                return redirect(
                    url_for("matchmaking.table_sheet", slug=festival.slug, table_id=table.id)
                )
    day = attendance.sheet_day(festival, request.args.get("day"))
    rows = attendance.table_sheet(table, day)
    return render_template(
        "matchmaking/table_sheet.html",
        festival=festival,
        table=table,
        rows=rows,
        day=day,
        days=attendance.sheet_days(festival),
        form=form,
        mark_form=MarkForm(),
        scan_error=scan_error,
        kind_label=kind_label,
        table_place=ics.table_place,
        is_staff=has_festival_role(current_user, festival, "organizer", "staff"),
    ), status


@bp.post(PREFIX + "/attendance/seats/<int:seat_id>")
@login_required
def mark_seat(slug: str, seat_id: int):
    festival = festival_or_404(slug)
    seat = db.session.get(MeetingSeat, check_id(seat_id))
    if seat is None or seat.meeting.festival_id != festival.id:
        abort(404)
    table = seat.meeting.table
    if not attendance.may_keep_sheet(current_user, festival, table):
        abort(403)
    back = url_for("matchmaking.table_sheet", slug=festival.slug, table_id=table.id)
    day = request.form.get("day")
    if day:
        back = url_for("matchmaking.table_sheet", slug=festival.slug, table_id=table.id, day=day)
    form = MarkForm()
    if not form.validate_on_submit():
        flash(_("The form could not be sent. Please try again."), "danger")
        return redirect(back)
    value = request.form.get("attended")
    if value not in ("0", "1"):
        flash(_("Choose present or absent."), "danger")
        return redirect(back)
    try:
        attendance.mark(seat, value == "1", current_user)
    except attendance.AttendanceError as exc:
        db.session.rollback()
        flash(exc.message(), "danger")
        return redirect(back)
    db.session.commit()
    if value == "1":
        flash(_("%(name)s is marked present.", name=seat.profile.display_name), "success")
    else:
        flash(_("%(name)s is marked absent.", name=seat.profile.display_name), "warning")
    return redirect(back)


# --------------------------------------------------------------------------- outcomes


class CloseSessionForm(FlaskForm):
    """CSRF only."""


@bp.get(MANAGE + "/outcomes", endpoint="outcomes")
@organizer_required
def outcomes_page(festival):
    result = outcomes.compute(festival)
    return render_template(
        "matchmaking/outcomes.html",
        festival=festival,
        result=result,
        range_text=outcomes.amount_range_text,
        kind_label=kind_label,
        close_form=CloseSessionForm(),
        now=utcnow(),
        localized=localized,
        sheets_url=url_for("matchmaking.table_sheets", slug=festival.slug),
        org_home_url=url_for("matchmaking.org_home", slug=festival.slug),
    )


@bp.get(MANAGE + "/outcomes.xlsx")
@organizer_required
def outcomes_xlsx(festival):
    data = outcomes.xlsx_bytes(festival)
    response = Response(
        data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{festival.slug}-matchmaking-outcomes.xlsx"'
    )
    return response


@bp.post(MANAGE + "/outcomes/sessions/<int:session_id>/close")
@organizer_required
def close_session(festival, session_id: int):
    session = get_or_404(MatchSession, session_id, festival_id=festival.id)
    back = url_for("matchmaking.outcomes", slug=festival.slug)
    if not CloseSessionForm().validate_on_submit():
        flash(_("The form could not be sent. Please try again."), "danger")
        return redirect(back)
    closed = attendance.close_session(session, current_user)
    db.session.commit()
    flash(
        _(
            "Session closed: %(n)s meetings recorded as held or no-show.",
            n=closed,
        ),
        "success",
    )
    return redirect(back)
