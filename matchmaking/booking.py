"""Meetings: creating them (instant booking on acceptance), moving and cancelling them, and the
scheduling instance the batch run and instant booking share.

The rules every placement keeps:
- a person is never in two live meetings whose times overlap, nor at a time they cannot meet
  (``slots.festival_blocked``: blocked times and published pitch slots);
- a participant with a table fixed to them meets at that table, and a table fixed to someone
  hosts only their meetings; a table never holds two live meetings at overlapping times;
- a person has at most ``min(settings.max_meetings, profile.max_meetings)`` live meetings.

Locking: one order everywhere, all ``FOR UPDATE``, so that two transactions never wait on
each other (no deadlock):

1. the request row(s) being changed (``requests.lock_request``, ``lock_request`` here);
2. the festival's ``MatchSettings`` row (``lock_festival``: one booking at a time per
   festival, tables are shared by everybody; batch runs and publishing hold it too);
3. the meeting row(s);
4. the rows of the persons concerned, ordered by id (``lock_profiles``).

A step may be left out, never taken after a later one. ``requests.send_request`` /
``accept`` / ``decline`` / ``cancel`` (the views lock the request first), ``book_instant``
(festival, persons), ``move_meeting`` (festival, meeting, persons), ``cancel_meeting``
(request, festival, meeting) and ``batch.run_batch`` / ``batch.publish`` (festival, meetings;
they read requests without locking them: whoever changes a request takes the festival lock
before writing, so it waits for the run) keep it. The partial unique indexes on meeting seats
(a person, a start) and meetings (a table, a start) back this up in the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import format_time
from matchmaking import scheduler, slots
from matchmaking.models import (
    MatchProfile,
    MatchSettings,
    MatchTable,
    Meeting,
    MeetingRequest,
    MeetingSeat,
)

# Tests switch the row locks off to show what they prevent (the negative control).
_LOCK = True
UNLIMITED = 10**6


# --- settings, caps, locks -------------------------------------------------------------------


def settings_for(festival: Festival) -> MatchSettings:
    """The festival's settings row (a default one, not committed, when there is none)."""
    from matchmaking.profiles import get_settings

    return get_settings(festival)


def meeting_cap(profile: MatchProfile, settings: MatchSettings) -> int:
    """How many live meetings ``profile`` may have."""
    cap = settings.max_meetings or UNLIMITED
    return min(cap, profile.max_meetings) if profile.max_meetings else cap


def lock_festival(festival: Festival) -> MatchSettings:
    """Take the festival's booking lock (its settings row, FOR UPDATE) and return the row as
    committed by now (read again under the lock: what another transaction changed shows)."""
    settings = settings_for(festival)
    if not _LOCK:
        return settings
    locked = db.session.scalar(
        sa.select(MatchSettings)
        .where(MatchSettings.festival_id == festival.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return locked or settings


def lock_request(request_id: int) -> MeetingRequest | None:
    """The request row, FOR UPDATE and read again (the first lock of the order above)."""
    stmt = sa.select(MeetingRequest).where(MeetingRequest.id == request_id)
    if _LOCK:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def lock_profiles(*profiles: MatchProfile) -> list[MatchProfile]:
    """Lock the persons' rows in id order (the same order everywhere: no deadlock)."""
    ids = sorted({p.id for p in profiles})
    stmt = sa.select(MatchProfile).where(MatchProfile.id.in_(ids)).order_by(MatchProfile.id)
    if _LOCK:
        stmt = stmt.with_for_update()
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


# --- queries ---------------------------------------------------------------------------------


def live_meetings(festival: Festival) -> list[Meeting]:
    """Every meeting of the festival not cancelled (scheduled, held, no-show), by time."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.festival_id == festival.id, Meeting.state != "cancelled")
            .options(selectinload(Meeting.seats))
            .order_by(Meeting.starts_at, Meeting.table_id)
            .execution_options(populate_existing=True)
        )
    )


def live_meeting_of(request: MeetingRequest) -> Meeting | None:
    return db.session.scalar(
        sa.select(Meeting).where(Meeting.request_id == request.id, Meeting.state != "cancelled")
    )


def person_meetings(profile: MatchProfile) -> list[Meeting]:
    """The person's live meetings (not cancelled), by time."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
            .where(MeetingSeat.profile_id == profile.id, Meeting.state != "cancelled")
            .options(selectinload(Meeting.seats), selectinload(Meeting.table))
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def live_meeting_count(profile_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(MeetingSeat.id))
        .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
        .where(MeetingSeat.profile_id == profile_id, Meeting.state != "cancelled")
    )


def other_party(meeting_or_request, profile: MatchProfile) -> MatchProfile:
    request = getattr(meeting_or_request, "request", None) or meeting_or_request
    return request.recipient if request.sender_id == profile.id else request.sender


# --- the scheduling instance -----------------------------------------------------------------


@dataclass
class InstanceContext:
    """Maps the ids of an ``Instance`` back to rows."""

    festival: Festival
    settings: MatchSettings
    slots: dict[int, scheduler.Slot] = field(default_factory=dict)  # incl. off-grid ones
    tables: dict[int, MatchTable] = field(default_factory=dict)
    requests: dict[int, MeetingRequest] = field(default_factory=dict)
    meetings: dict[int, Meeting] = field(default_factory=dict)  # request id -> live meeting
    profiles: dict[int, MatchProfile] = field(default_factory=dict)
    off_grid: dict[int, int] = field(default_factory=dict)  # meeting id -> synthetic slot id


def _weight(request: MeetingRequest) -> int:
    return request.weight


def load_instance(
    festival: Festival, *, include_unpublished_as_locked: bool = False
) -> tuple[scheduler.Instance, InstanceContext]:
    """The festival as a scheduling instance: accepted requests (with or without a live
    meeting), published meetings (and held / no-show ones) locked, unpublished meetings as
    the previous schedule — or locked too with ``include_unpublished_as_locked`` (instant
    booking: nothing existing moves). A live meeting off the slot grid (its session was
    edited) gets a slot of its own that nobody but its two parties may use."""
    settings = settings_for(festival)
    ctx = InstanceContext(festival=festival, settings=settings)
    grid = slots.festival_slots(festival)
    ctx.slots = {s.id: s for s in grid}
    by_start = {(s.session_id, s.start, s.end): s for s in grid}
    tables = list(
        db.session.scalars(
            sa.select(MatchTable)
            .where(MatchTable.festival_id == festival.id, MatchTable.active)
            .order_by(MatchTable.number)
        )
    )
    ctx.tables = {t.id: t for t in tables}
    # The scheduler picks "the lowest table": order table ids by table number.
    table_ids = [t.id for t in tables]
    profiles = list(
        db.session.scalars(sa.select(MatchProfile).where(MatchProfile.festival_id == festival.id))
    )
    ctx.profiles = {p.id: p for p in profiles}
    requests = list(
        db.session.scalars(
            sa.select(MeetingRequest).where(
                MeetingRequest.festival_id == festival.id, MeetingRequest.state == "accepted"
            )
        )
    )
    ctx.requests = {r.id: r for r in requests}
    locked: list[scheduler.Placement] = []
    previous: dict[int, scheduler.Placement] = {}
    synthetic: list[scheduler.Slot] = []
    own_slot: dict[int, set[int]] = {}  # person -> off-grid slots of their locked meetings
    for meeting in live_meetings(festival):
        request = ctx.requests.get(meeting.request_id)
        if request is None:  # a live meeting of a request no longer accepted: still holds seats
            request = db.session.get(MeetingRequest, meeting.request_id)
            ctx.requests[request.id] = request
        ctx.meetings[request.id] = meeting
        fixed = meeting.published or meeting.state != "scheduled" or include_unpublished_as_locked
        slot = by_start.get((meeting.session_id, meeting.starts_at, meeting.ends_at))
        if slot is None:
            if not fixed:
                continue  # off the grid and not locked: the run places it afresh
            slot = scheduler.Slot(
                -meeting.id, meeting.starts_at, meeting.ends_at, meeting.session_id
            )
            synthetic.append(slot)
            ctx.slots[slot.id] = slot
            ctx.off_grid[meeting.id] = slot.id
            for person in (request.sender_id, request.recipient_id):
                own_slot.setdefault(person, set()).add(slot.id)
        placement = scheduler.Placement(request.id, slot.id, meeting.table_id)
        (locked.append(placement) if fixed else previous.__setitem__(request.id, placement))
    blocked = slots.festival_blocked(festival, profiles)
    all_slots = grid + synthetic
    unavailable = {}
    synthetic_ids = {s.id for s in synthetic}
    for p in profiles:
        ids = slots.unavailable_slots(grid, blocked.get(p.id, []))
        ids |= synthetic_ids - own_slot.get(p.id, set())
        if ids:
            unavailable[p.id] = ids
    fixed_table = {t.fixed_profile_id: t.id for t in tables if t.fixed_profile_id in ctx.profiles}
    instance = scheduler.Instance(
        slots=all_slots,
        tables=table_ids,
        requests=[
            scheduler.Request(r.id, r.sender_id, r.recipient_id, _weight(r))
            for r in ctx.requests.values()
        ],
        fixed_table=fixed_table,
        unavailable=unavailable,
        caps={p.id: meeting_cap(p, settings) for p in profiles},
        locked=locked,
        previous=previous,
    )
    return instance, ctx


# --- writing meetings ------------------------------------------------------------------------


class BookingConflict(Exception):
    """The database refused a meeting (a unique index: a person or a table taken meanwhile)."""


def new_uid() -> str:
    return f"meeting-{uuid.uuid4().hex}@eventday"


def create_meeting(
    request: MeetingRequest, slot: scheduler.Slot, table_id: int, *, published: bool
) -> Meeting:
    """A scheduled meeting for ``request`` at ``slot`` and table, with one seat per party.
    Checks nothing but the database's unique indexes (``BookingConflict``)."""
    meeting = Meeting(
        festival_id=request.festival_id,
        request_id=request.id,
        session_id=slot.session_id,
        table_id=table_id,
        starts_at=slot.start,
        ends_at=slot.end,
        state="scheduled",
        published=published,
        uid=new_uid(),
        sequence=0,
    )
    for profile_id in (request.sender_id, request.recipient_id):
        meeting.seats.append(
            MeetingSeat(profile_id=profile_id, starts_at=slot.start, ends_at=slot.end)
        )
    try:
        with db.session.begin_nested():
            db.session.add(meeting)
            db.session.flush()
    except IntegrityError as exc:
        raise BookingConflict(str(exc.orig)) from exc
    return meeting


def book_instant(request: MeetingRequest) -> Meeting | None:
    """Book the earliest slot and lowest table free for both parties of an accepted request
    (published at once, both mailed). None when nothing is free: the request stays accepted
    and the organizers' batch run may still place it."""
    if request.state != "accepted":
        return None
    festival = db.session.get(Festival, request.festival_id)
    lock_festival(festival)
    lock_profiles(request.sender, request.recipient)
    existing = live_meeting_of(request)
    if existing is not None:
        return existing
    instance, ctx = load_instance(festival, include_unpublished_as_locked=True)
    placement = scheduler.earliest(
        instance, scheduler.Request(request.id, request.sender_id, request.recipient_id, 1)
    )
    if placement is None:
        return None
    try:
        meeting = create_meeting(
            request, ctx.slots[placement.slot_id], placement.table_id, published=True
        )
    except BookingConflict:
        return None
    from matchmaking import notifications

    notifications.meeting_confirmed(meeting)
    return meeting


def placement_conflicts(
    request: MeetingRequest,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    table: MatchTable | None,
    *,
    ignore_meeting_id: int | None = None,
) -> list[str]:
    """Translated reasons why ``request`` cannot meet at that time and table (empty: it can).
    Used by ``move_meeting`` and by the organizers' grid."""
    festival = db.session.get(Festival, request.festival_id)
    out: list[str] = []
    interval = (starts_at, ends_at)
    if table is None or table.festival_id != festival.id or not table.active:
        out.append(_("That table does not exist or is not in use."))
    parties = [request.sender, request.recipient]
    others = [
        m
        for m in live_meetings(festival)
        if m.id != ignore_meeting_id and m.request_id != request.id
    ]
    if table is not None:
        for m in others:
            if m.table_id == table.id and slots.overlaps((m.starts_at, m.ends_at), interval):
                out.append(
                    _(
                        "Table %(table)s already has a meeting at %(time)s.",
                        table=table.number,
                        time=format_time(m.starts_at),
                    )
                )
        owns = {
            t.id: t
            for t in db.session.scalars(
                sa.select(MatchTable).where(
                    MatchTable.fixed_profile_id.in_([p.id for p in parties]), MatchTable.active
                )
            )
        }
        if owns and table.id not in owns:
            for own in owns.values():
                out.append(
                    _(
                        "%(name)s meets at their own table %(table)s.",
                        name=own.fixed_profile.display_name,
                        table=own.number,
                    )
                )
        party_ids = {p.id for p in parties}
        if table.fixed_profile_id is not None and table.fixed_profile_id not in party_ids:
            # A table fixed to someone hosts only that person's meetings.
            out.append(
                _(
                    "Table %(table)s is reserved for %(name)s.",
                    table=table.number,
                    name=table.fixed_profile.display_name,
                )
            )
    blocked = slots.festival_blocked(festival, parties)
    for p in parties:
        for m in others:
            if any(s.profile_id == p.id for s in m.seats) and slots.overlaps(
                (m.starts_at, m.ends_at), interval
            ):
                out.append(
                    _(
                        "%(name)s already has a meeting at %(time)s.",
                        name=p.display_name,
                        time=format_time(m.starts_at),
                    )
                )
        if any(slots.overlaps(b, interval) for b in blocked.get(p.id, [])):
            out.append(_("%(name)s is not available at that time.", name=p.display_name))
    return out


def move_meeting(
    meeting: Meeting, starts_at: dt.datetime, table_id: int, *, actor=None
) -> list[str]:
    """Move a meeting to the slot starting at ``starts_at`` and to a table. Returns translated
    conflict messages (nothing changes then); empty when moved — the sequence is raised and,
    if the meeting is published, both parties are mailed."""
    festival = db.session.get(Festival, meeting.festival_id)
    lock_festival(festival)
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.id == meeting.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    request = meeting.request
    lock_profiles(request.sender, request.recipient)
    if meeting.state != "scheduled":
        return [_("Only a scheduled meeting can be moved.")]
    grid = slots.festival_slots(festival)
    slot = next(
        (s for s in grid if s.start == starts_at and s.session_id == meeting.session_id), None
    )
    slot = slot or next((s for s in grid if s.start == starts_at), None)
    if slot is None:
        return [_("No matchmaking slot starts at that time.")]
    table = db.session.get(MatchTable, table_id)
    if slot.start == meeting.starts_at and table_id == meeting.table_id:
        return []
    found = placement_conflicts(request, slot.start, slot.end, table, ignore_meeting_id=meeting.id)
    if found:
        return found
    meeting.session_id = slot.session_id
    meeting.starts_at, meeting.ends_at = slot.start, slot.end
    meeting.table_id = table.id
    meeting.sequence += 1
    for seat in meeting.seats:
        seat.starts_at, seat.ends_at = slot.start, slot.end
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        db.session.refresh(meeting)
        return [_("Someone else took that time or table meanwhile. Please try again.")]
    if meeting.published:
        from matchmaking import notifications

        notifications.meeting_changed(meeting)
    return []


class MeetingError(Exception):
    """A translated message for the user; ``code`` names the case for tests and callers."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def cancel_meeting(meeting: Meeting, *, reason: str = "", actor=None, keep_request=False) -> None:
    """Cancel a scheduled meeting: its seats are freed and the sequence raised (calendars drop
    it); both parties are mailed if it was published. The request is cancelled too unless
    ``keep_request`` (then it stays accepted and a batch run may place it again). A meeting
    already cancelled is left alone; one held or missed (no-show) cannot be cancelled
    (``MeetingError``). Locks the request, the festival, then the meeting (the order above)."""
    meeting_id, request_id = meeting.id, meeting.request_id
    lock_request(request_id)
    lock_festival(db.session.get(Festival, meeting.festival_id))
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if meeting.state == "cancelled":
        return
    if meeting.state != "scheduled":
        raise MeetingError(
            _("This meeting has already taken place and can no longer be cancelled."),
            "not_scheduled",
        )
    meeting.state = "cancelled"
    meeting.cancel_reason = (reason or "")[:500]
    meeting.sequence += 1
    for seat in meeting.seats:
        seat.active = False
    if not keep_request and meeting.request.state in ("pending", "accepted"):
        meeting.request.state = "cancelled"
    db.session.flush()
    if meeting.published:
        from matchmaking import notifications

        notifications.meeting_cancelled(meeting)
