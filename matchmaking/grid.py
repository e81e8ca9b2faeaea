"""The organizer's view of the matchmaking: the participants' list, the festival's meetings
with their parties and attendance, the tables × slots grid, the dashboard figures and the
labels shown with them. The frame they read (sessions, tables, settings) is
:mod:`matchmaking.setup`."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from matchmaking.models import (
    INVESTOR_KINDS,
    LIVE_REQUEST_STATES,
    MatchProfile,
    MatchSession,
    MatchTable,
    Meeting,
    MeetingRequest,
    MeetingSeat,
)
from matchmaking.setup import (
    get_settings,
    lock_festival,  # noqa: F401 - re-exported: batch.py imports it from here
    sessions,
    tables,
)

MEETING_STATE_LABELS = {
    "scheduled": _l("Scheduled"),
    "held": _l("Took place"),
    "no_show": _l("No-show"),
    "cancelled": _l("Cancelled"),
}
ATTENDANCE_LABELS = {
    "": _l("Not marked"),
    "held": _l("Both came"),
    "partial": _l("One came"),
    "no_show": _l("Nobody came"),
}
PRIORITY_LABELS = {"must": _l("Must meet"), "want": _l("Want to meet")}


def kind_label(kind: str) -> str:
    """The translated label of a profile kind."""
    from matchmaking.taxonomy import KIND_LABELS

    return str(KIND_LABELS.get(kind, kind))


# --------------------------------------------------------------------------- participants


@dataclass
class ParticipantRow:
    profile: MatchProfile
    sent: int
    received: int
    meetings: int
    cap: int


def participants(festival: Festival, kind: str | None = None) -> list[ParticipantRow]:
    """Every profile with its live requests sent and received, live meetings and cap
    (four queries whatever the number of profiles)."""
    query = (
        sa.select(MatchProfile)
        .where(MatchProfile.festival_id == festival.id)
        .options(selectinload(MatchProfile.user))
        .order_by(MatchProfile.name_folded, MatchProfile.id)
    )
    if kind:
        query = query.where(MatchProfile.kind == kind)
    profiles = list(db.session.scalars(query))
    live = sa.and_(
        MeetingRequest.festival_id == festival.id, MeetingRequest.state.in_(LIVE_REQUEST_STATES)
    )
    sent = dict(
        db.session.execute(
            sa.select(MeetingRequest.sender_id, sa.func.count())
            .where(live)
            .group_by(MeetingRequest.sender_id)
        ).all()
    )
    received = dict(
        db.session.execute(
            sa.select(MeetingRequest.recipient_id, sa.func.count())
            .where(live)
            .group_by(MeetingRequest.recipient_id)
        ).all()
    )
    meetings = dict(
        db.session.execute(
            sa.select(MeetingSeat.profile_id, sa.func.count())
            .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
            .where(
                Meeting.festival_id == festival.id,
                Meeting.state != "cancelled",
                MeetingSeat.active.is_(True),
            )
            .group_by(MeetingSeat.profile_id)
        ).all()
    )
    default_cap = get_settings(festival).max_meetings
    return [
        ParticipantRow(
            p,
            sent.get(p.id, 0),
            received.get(p.id, 0),
            meetings.get(p.id, 0),
            p.max_meetings or default_cap,
        )
        for p in profiles
    ]


# --------------------------------------------------------------------------- the grid


def festival_meetings(festival: Festival, *, live_only: bool = True) -> list[Meeting]:
    """The festival's meetings with their seats, parties, request and table loaded (a fixed
    number of queries)."""
    query = (
        sa.select(Meeting)
        .where(Meeting.festival_id == festival.id)
        .options(
            selectinload(Meeting.seats).selectinload(MeetingSeat.profile),
            selectinload(Meeting.request),
            selectinload(Meeting.table),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if live_only:
        query = query.where(Meeting.state != "cancelled")
    return list(db.session.scalars(query))


def parties(meeting: Meeting) -> tuple[MatchProfile, MatchProfile]:
    """The two parties, host first: the one whose table it is, else an investor, else the
    sender of the request."""
    profiles = [s.profile for s in meeting.seats]
    if len(profiles) != 2:
        profiles = [meeting.request.sender, meeting.request.recipient]
    fixed = meeting.table.fixed_profile_id if meeting.table is not None else None

    def rank(p: MatchProfile) -> tuple:
        return (
            p.id != fixed,
            p.kind not in INVESTOR_KINDS,
            p.id != meeting.request.sender_id,
            p.id,
        )

    first, second = sorted(profiles, key=rank)
    return first, second


def attendance(meeting: Meeting) -> str:
    """ "" (not marked), "held" (both came), "partial" (one came), "no_show" (nobody came), or
    the meeting's own final state."""
    if meeting.state in ("held", "no_show"):
        return meeting.state
    marks = [s.attended for s in meeting.seats if s.active]
    if not marks or all(m is None for m in marks):
        return ""
    if all(m is True for m in marks):
        return "held"
    if any(m is True for m in marks):
        return "partial"
    return "no_show"


@dataclass
class Cell:
    slot: object  # scheduler.Slot
    meeting: Meeting | None = None


@dataclass
class GridRow:
    table: MatchTable
    cells: list[Cell] = field(default_factory=list)


@dataclass
class SessionGrid:
    session: MatchSession
    slots: list
    rows: list[GridRow]
    off_grid: list[Meeting]  # live meetings that fit no slot / no table row
    meetings: int = 0


def grid(festival: Festival) -> list[SessionGrid]:
    """Per session, tables × slots with the live meetings; a constant number of queries."""
    from matchmaking.slots import session_slots

    all_tables = tables(festival)
    meetings = festival_meetings(festival)
    by_session: dict[int, list[Meeting]] = defaultdict(list)
    for m in meetings:
        by_session[m.session_id].append(m)
    out = []
    for session in sessions(festival):
        slots = session_slots(session)
        mine = by_session.get(session.id, [])
        at = {(m.table_id, m.starts_at): m for m in mine}
        used_tables = {m.table_id for m in mine}
        rows, placed = [], set()
        for table in all_tables:
            if not table.active and table.id not in used_tables:
                continue
            row = GridRow(table)
            for slot in slots:
                meeting = at.get((table.id, slot.start))
                if meeting is not None and meeting.ends_at == slot.end:
                    placed.add(meeting.id)
                else:
                    meeting = None
                row.cells.append(Cell(slot, meeting))
            rows.append(row)
        off = [m for m in mine if m.id not in placed]
        out.append(SessionGrid(session, slots, rows, off, len(mine)))
    return out


def counts(festival: Festival) -> dict[str, int]:
    """Figures for the dashboard: profiles, live requests by state, live meetings, drafts."""
    profiles = db.session.scalar(
        sa.select(sa.func.count(MatchProfile.id)).where(MatchProfile.festival_id == festival.id)
    )
    requests = Counter(
        dict(
            db.session.execute(
                sa.select(MeetingRequest.state, sa.func.count())
                .where(MeetingRequest.festival_id == festival.id)
                .group_by(MeetingRequest.state)
            ).all()
        )
    )
    meetings = dict(
        db.session.execute(
            sa.select(Meeting.published, sa.func.count())
            .where(Meeting.festival_id == festival.id, Meeting.state != "cancelled")
            .group_by(Meeting.published)
        ).all()
    )
    return {
        "profiles": profiles or 0,
        "pending": requests.get("pending", 0),
        "accepted": requests.get("accepted", 0),
        "published": meetings.get(True, 0),
        "drafts": meetings.get(False, 0),
    }
