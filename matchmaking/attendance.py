"""Attendance at the tables: ticking a seat attended or absent, scanning a participant's ticket
(its QR text or short code) to mark them attended at the table they are due at, and closing a
meeting (held when both came, no-show when someone did not) or a whole session.

Who may do it is the view's business (``may_keep_sheet``): the festival's organizers and staff,
and the participant a table is fixed to (its host)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.accounts.models import User
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ
from eventday.permissions import has_festival_role
from matchmaking.models import MatchProfile, MatchSession, MatchTable, Meeting, MeetingSeat
from ticketing import operations as ticketing_ops
from ticketing.models import Ticket

ERRORS = {
    "no_code": _l("Type the ticket's code or scan its QR code."),
    "unknown_ticket": _l("We found no ticket with this code. Check the code and try again."),
    "other_festival": _l("This ticket is for another festival."),
    "ticket_not_valid": _l("This ticket is not valid (unpaid, cancelled or refunded)."),
    "no_profile": _l(
        "The holder of this ticket has no matchmaking profile at this festival "
        "(the ticket's e-mail must be the one they signed in with)."
    ),
    "no_meeting": _l("This person has no meeting at this table now or in the next slot."),
    "cancelled": _l("This meeting was cancelled: attendance cannot be marked."),
    "not_published": _l("This meeting is not published yet."),
    "too_early": _l("This meeting has not started yet: mark attendance when it begins."),
}


class AttendanceError(Exception):
    """``reason`` is a key of ``ERRORS``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        return str(ERRORS[self.reason])


def may_keep_sheet(user, festival: Festival, table: MatchTable) -> bool:
    """Organizers and staff of the festival, and the participant the table is fixed to."""
    if has_festival_role(user, festival, "organizer", "staff"):
        return True
    if user is None or not user.is_authenticated or table.fixed_profile_id is None:
        return False
    host = db.session.get(MatchProfile, table.fixed_profile_id)
    return host is not None and host.user_id == user.id


def _slot_length(meeting: Meeting) -> dt.timedelta:
    minutes = meeting.session.slot_minutes if meeting.session else 0
    return dt.timedelta(minutes=minutes or int((meeting.ends_at - meeting.starts_at).seconds // 60))


def _locked_meeting(meeting_id: int) -> Meeting:
    """The meeting and its seats under a row lock (a concurrent tick waits)."""
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    db.session.scalars(
        sa.select(MeetingSeat)
        .where(MeetingSeat.meeting_id == meeting_id)
        .order_by(MeetingSeat.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return meeting


def close_meeting(meeting: Meeting) -> str:
    """Held when every seat is marked attended, no-show when every seat is marked and someone
    is absent; a meeting with an unmarked seat stays scheduled. Returns the state."""
    if meeting.state == "cancelled":
        return meeting.state
    marks = [seat.attended for seat in meeting.seats]
    if marks and all(m is not None for m in marks):
        meeting.state = "held" if all(marks) else "no_show"
    else:
        meeting.state = "scheduled"
    db.session.flush()
    return meeting.state


def mark(
    seat: MeetingSeat, attended: bool, actor, *, now: dt.datetime | None = None
) -> MeetingSeat:
    """Mark one seat attended or absent (a later tick corrects an earlier one), then close the
    meeting if both seats are marked. Not for cancelled or unpublished meetings, nor before a
    slot ahead of the start."""
    now = now or utcnow()
    meeting = _locked_meeting(seat.meeting_id)
    if meeting.state == "cancelled" or not seat.active:
        raise AttendanceError("cancelled")
    if not meeting.published:
        raise AttendanceError("not_published")
    if now < meeting.starts_at - _slot_length(meeting):
        raise AttendanceError("too_early")
    seat = next(s for s in meeting.seats if s.id == seat.id)
    seat.attended = bool(attended)
    seat.marked_at = now
    close_meeting(meeting)
    return seat


def resolve_ticket(festival: Festival, raw: str) -> Ticket:
    """The ticket a typed short code or a scanned QR text names, at this festival."""
    try:
        return ticketing_ops.find_ticket(festival, raw)
    except ticketing_ops.TicketNotFound as exc:
        raise AttendanceError(exc.reason) from exc


def profile_of_ticket(festival: Festival, ticket: Ticket) -> MatchProfile:
    """The matchmaking profile of the account whose e-mail the ticket carries."""
    if ticket.state != "valid":
        raise AttendanceError("ticket_not_valid")
    email = (ticket.email or "").strip().lower()
    if not email:
        raise AttendanceError("no_profile")
    profile = db.session.scalar(
        sa.select(MatchProfile)
        .join(User, User.id == MatchProfile.user_id)
        .where(MatchProfile.festival_id == festival.id, sa.func.lower(User.email) == email)
    )
    if profile is None:
        raise AttendanceError("no_profile")
    return profile


def due_seat(
    table: MatchTable, profile: MatchProfile, now: dt.datetime | None = None
) -> MeetingSeat | None:
    """The person's seat at this table in the meeting under way, or else the one starting
    within the next slot."""
    now = now or utcnow()
    seats = db.session.scalars(
        sa.select(MeetingSeat)
        .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
        .where(
            MeetingSeat.profile_id == profile.id,
            MeetingSeat.active.is_(True),
            Meeting.table_id == table.id,
            Meeting.published.is_(True),
            Meeting.state != "cancelled",
            Meeting.ends_at > now,
            Meeting.starts_at <= now + dt.timedelta(hours=3),
        )
        .order_by(Meeting.starts_at)
    ).all()
    for seat in seats:
        if seat.meeting.starts_at - _slot_length(seat.meeting) <= now < seat.meeting.ends_at:
            return seat
    return None


def scan(
    festival: Festival, table: MatchTable, code: str, actor, *, now: dt.datetime | None = None
) -> MeetingSeat:
    """Ticket QR text or short code → the ticket → its holder's profile → their seat at this
    table now (or in the next slot) → attended."""
    now = now or utcnow()
    ticket = resolve_ticket(festival, code)
    profile = profile_of_ticket(festival, ticket)
    seat = due_seat(table, profile, now)
    if seat is None:
        raise AttendanceError("no_meeting")
    return mark(seat, True, actor, now=now)


def close_session(session: MatchSession, actor, *, now: dt.datetime | None = None) -> int:
    """The organizer's "close session": every ended, published, still scheduled meeting of the
    session with at least one seat marked has its unmarked seats marked absent and is closed
    (held or no-show). Meetings nobody marked stay scheduled: nobody knows what happened.
    Returns how many meetings were closed."""
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Meeting.id)
        .where(
            Meeting.session_id == session.id,
            Meeting.published.is_(True),
            Meeting.state == "scheduled",
            Meeting.ends_at <= now,
        )
        .order_by(Meeting.id)
    ).all()
    closed = 0
    for meeting_id in ids:
        meeting = _locked_meeting(meeting_id)
        if meeting.state != "scheduled":
            continue
        if all(seat.attended is None for seat in meeting.seats):
            continue
        for seat in meeting.seats:
            if seat.attended is None:
                seat.attended = False
                seat.marked_at = now
        close_meeting(meeting)
        closed += 1
    return closed


@dataclass
class SheetRow:
    meeting: Meeting
    seats: list[MeetingSeat]
    now: bool
    next: bool


def sheet_days(festival: Festival) -> list[dt.date]:
    return [d.day for d in festival.days]


def sheet_day(festival: Festival, raw: str | None, now: dt.datetime | None = None) -> dt.date:
    """The day asked for (one of the festival's), else today if the festival is on, else its
    first day."""
    days = sheet_days(festival)
    if raw:
        try:
            asked = dt.date.fromisoformat(raw)
        except ValueError:
            asked = None
        if asked in days:
            return asked
    today = (now or utcnow()).astimezone(LOCAL_TZ).date()
    if today in days or not days:
        return today
    return days[0]


def table_sheet(table: MatchTable, day: dt.date, now: dt.datetime | None = None) -> list[SheetRow]:
    """The published live meetings at ``table`` on ``day`` (Vietnam date) in time order, with
    "now" and "next" flags."""
    now = now or utcnow()
    start = dt.datetime.combine(day, dt.time(0), LOCAL_TZ).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.table_id == table.id,
            Meeting.published.is_(True),
            Meeting.state != "cancelled",
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at)
        .options(selectinload(Meeting.seats).selectinload(MeetingSeat.profile))
    ).all()
    rows = []
    seen_next = False
    for meeting in meetings:
        is_now = meeting.starts_at <= now < meeting.ends_at
        is_next = not seen_next and meeting.starts_at > now
        seen_next = seen_next or is_next
        rows.append(SheetRow(meeting, list(meeting.seats), is_now, is_next))
    return rows
