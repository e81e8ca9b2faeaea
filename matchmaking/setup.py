"""The organizer's frame of the matchmaking: settings, sessions and their breaks, tables and
participants' blocked times, with the festival-level lock they serialise on.

Operations take objects and plain data, flush, never commit and raise :class:`SetupError`
(a translated message, and the form field it belongs to) for the view to show.

Changing a session's times, slot length or breaks can leave live meetings outside every slot
("orphans"). Such a change is refused with the number of meetings concerned, unless the
organizer explicitly asks to cancel them (the parties of published ones are mailed; the
requests stay accepted, so the next batch run may place them again). A session
with live meetings cannot be deleted; a table with live meetings cannot be deactivated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ, format_time, localized, to_local
from matchmaking.models import (
    MatchBlock,
    MatchBreak,
    MatchProfile,
    MatchSession,
    MatchSettings,
    MatchTable,
    Meeting,
    MeetingRequest,
    MeetingSeat,
)

MAX_TABLES_AT_ONCE = 200


class SetupError(Exception):
    """A change to the matchmaking frame that cannot be made: ``message`` is translated,
    ``field`` names the form field it belongs to (or None)."""

    def __init__(self, message, field: str | None = None, **extra):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.extra = extra


# --------------------------------------------------------------------------- settings and lock


def get_settings(festival: Festival) -> MatchSettings:
    """The festival's settings (a default row is added when missing; not committed)."""
    from matchmaking.profiles import get_settings as profiles_get_settings

    return profiles_get_settings(festival)


def lock_festival(festival: Festival) -> MatchSettings:
    """Take the festival-level matchmaking lock: the settings row, ``FOR UPDATE``. Batch runs,
    publishing and changes of the frame (sessions, tables) serialise on it."""
    settings = get_settings(festival)
    db.session.flush()
    db.session.refresh(settings, with_for_update=True)
    return settings


@dataclass
class SettingsData:
    is_open: bool
    instant_booking: bool
    request_expiry_hours: int
    max_requests_sent: int
    max_meetings: int
    reminder_minutes: int


def save_settings(festival: Festival, data: SettingsData) -> MatchSettings:
    if data.request_expiry_hours < 1:
        raise SetupError(_l("Requests must stay open at least one hour."), "request_expiry_hours")
    if data.max_requests_sent < 1:
        raise SetupError(_l("Allow at least one open request."), "max_requests_sent")
    if data.max_meetings < 1:
        raise SetupError(_l("Allow at least one meeting per person."), "max_meetings")
    if data.reminder_minutes < 0:
        raise SetupError(
            _l("The reminder cannot come after the session starts."), "reminder_minutes"
        )
    settings = lock_festival(festival)
    for key, value in data.__dict__.items():
        setattr(settings, key, value)
    db.session.flush()
    return settings


# --------------------------------------------------------------------------- sessions and breaks


@dataclass
class SessionData:
    name_vi: str
    name_en: str
    day: dt.date
    start: dt.time
    end: dt.time
    slot_minutes: int
    location: str = ""


def local_at(day: dt.date, time: dt.time) -> dt.datetime:
    """Vietnam wall time on ``day`` as aware UTC."""
    return dt.datetime.combine(day, time, LOCAL_TZ).astimezone(dt.UTC)


def sessions(festival: Festival) -> list[MatchSession]:
    from matchmaking.slots import festival_sessions

    return festival_sessions(festival)


def session_meetings(session: MatchSession, lock: bool = False) -> list[Meeting]:
    query = (
        sa.select(Meeting)
        .where(Meeting.session_id == session.id, Meeting.state == "scheduled")
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if lock:
        query = query.with_for_update()
    return list(db.session.scalars(query))


def orphans(session: MatchSession) -> list[Meeting]:
    """Live meetings of ``session`` that fit no slot of it any more (as it is now in memory)."""
    from matchmaking.slots import session_slots

    fits = {(s.start, s.end) for s in session_slots(session)}
    return [m for m in session_meetings(session, lock=True) if (m.starts_at, m.ends_at) not in fits]


def _lock_session_requests(session: MatchSession | None) -> None:
    """Lock the requests of the session's live meetings (in id order) before the festival: a
    change that cancels meetings keeps the order request → festival → meeting of booking."""
    if session is None or session.id is None:
        return
    ids = (
        sa.select(Meeting.request_id)
        .where(Meeting.session_id == session.id, Meeting.state == "scheduled")
        .scalar_subquery()
    )
    db.session.execute(
        sa.select(MeetingRequest.id)
        .where(MeetingRequest.id.in_(ids))
        .order_by(MeetingRequest.id)
        .with_for_update()
    ).all()


def _settle_orphans(session: MatchSession, cancel: bool, actor) -> list[Meeting]:
    found = orphans(session)
    if found and not cancel:
        raise SetupError(
            _l(
                "%(n)s meetings would no longer fit in a slot of this session. Move them first, "
                "or tick “cancel the meetings that no longer fit”.",
                n=len(found),
            ),
            "cancel_orphans",
            orphans=len(found),
        )
    if found:
        from matchmaking.booking import cancel_meeting

        reason = str(_l("The session's times changed."))
        for meeting in found:
            cancel_meeting(meeting, reason=reason, actor=actor, keep_request=True)
    return found


def _check_session(festival: Festival, data: SessionData, session: MatchSession | None):
    if not any(d.day == data.day for d in festival.days):
        raise SetupError(_l("Pick one of the festival's days."), "day")
    if data.end <= data.start:
        raise SetupError(_l("The session must end after it starts."), "end")
    if not 5 <= data.slot_minutes <= 240:
        raise SetupError(_l("Slots last between 5 and 240 minutes."), "slot_minutes")
    starts_at, ends_at = local_at(data.day, data.start), local_at(data.day, data.end)
    if ends_at - starts_at < dt.timedelta(minutes=data.slot_minutes):
        raise SetupError(_l("The session is shorter than one slot."), "end")
    for other in sessions(festival):
        if session is not None and other.id == session.id:
            continue
        if other.starts_at < ends_at and starts_at < other.ends_at:
            raise SetupError(
                _l(
                    "The session overlaps “%(name)s” (%(start)s–%(end)s): the tables are shared.",
                    name=localized(other, "name"),
                    start=format_time(other.starts_at),
                    end=format_time(other.ends_at),
                ),
                "start",
            )
    return starts_at, ends_at


def save_session(
    festival: Festival,
    data: SessionData,
    session: MatchSession | None = None,
    *,
    cancel_orphans: bool = False,
    actor=None,
) -> MatchSession:
    """Create or change a session. A change that leaves live meetings outside every slot is
    refused unless ``cancel_orphans`` (then those meetings are cancelled)."""
    _lock_session_requests(session)
    lock_festival(festival)
    if not data.name_vi.strip():
        raise SetupError(_l("Give the session a name."), "name_vi")
    starts_at, ends_at = _check_session(festival, data, session)
    if session is None:
        session = MatchSession(festival_id=festival.id)
        db.session.add(session)
    elif any(b.starts_at < starts_at or b.ends_at > ends_at for b in session.breaks):
        raise SetupError(_l("A break would lie outside the session: remove it first."), "start")
    session.name_vi = data.name_vi.strip()
    session.name_en = data.name_en.strip() or None
    session.starts_at, session.ends_at = starts_at, ends_at
    session.slot_minutes = data.slot_minutes
    session.location = data.location.strip()
    db.session.flush()
    _settle_orphans(session, cancel_orphans, actor)
    db.session.flush()
    return session


def delete_session(session: MatchSession) -> None:
    lock_festival(session.festival)
    live = session_meetings(session, lock=True)
    if live:
        raise SetupError(
            _l(
                "The session has %(n)s meetings: move or cancel them before deleting it.",
                n=len(live),
            )
        )
    db.session.delete(session)
    db.session.flush()


def add_break(
    session: MatchSession,
    start: dt.time,
    end: dt.time,
    *,
    cancel_orphans: bool = False,
    actor=None,
) -> MatchBreak:
    _lock_session_requests(session)
    lock_festival(session.festival)
    day = to_local(session.starts_at).date()
    starts_at, ends_at = local_at(day, start), local_at(day, end)
    if ends_at <= starts_at:
        raise SetupError(_l("The break must end after it starts."), "end")
    if starts_at < session.starts_at or ends_at > session.ends_at:
        raise SetupError(
            _l(
                "A break must lie inside the session (%(start)s–%(end)s).",
                start=format_time(session.starts_at),
                end=format_time(session.ends_at),
            ),
            "start",
        )
    for other in session.breaks:
        if other.starts_at < ends_at and starts_at < other.ends_at:
            raise SetupError(
                _l(
                    "The break overlaps the break %(start)s–%(end)s.",
                    start=format_time(other.starts_at),
                    end=format_time(other.ends_at),
                ),
                "start",
            )
    pause = MatchBreak(starts_at=starts_at, ends_at=ends_at)
    session.breaks.append(pause)
    db.session.flush()
    _settle_orphans(session, cancel_orphans, actor)
    return pause


def remove_break(pause: MatchBreak, *, cancel_orphans: bool = False, actor=None) -> None:
    session = pause.session
    _lock_session_requests(session)
    lock_festival(session.festival)
    session.breaks.remove(pause)
    db.session.flush()
    _settle_orphans(session, cancel_orphans, actor)


# --------------------------------------------------------------------------- tables


def tables(festival: Festival, active_only: bool = False) -> list[MatchTable]:
    query = (
        sa.select(MatchTable)
        .where(MatchTable.festival_id == festival.id)
        .options(selectinload(MatchTable.fixed_profile))
        .order_by(MatchTable.number)
    )
    if active_only:
        query = query.where(MatchTable.active.is_(True))
    return list(db.session.scalars(query))


def add_tables(festival: Festival, count: int, label_prefix: str = "") -> list[MatchTable]:
    """``count`` new tables numbered after the highest number; labels "<prefix> <number>"."""
    if not 1 <= count <= MAX_TABLES_AT_ONCE:
        raise SetupError(
            _l("Add between 1 and %(max)s tables at once.", max=MAX_TABLES_AT_ONCE), "count"
        )
    lock_festival(festival)
    top = db.session.scalar(
        sa.select(sa.func.max(MatchTable.number)).where(MatchTable.festival_id == festival.id)
    )
    prefix = label_prefix.strip()
    created = []
    for number in range((top or 0) + 1, (top or 0) + count + 1):
        table = MatchTable(
            festival_id=festival.id, number=number, label=f"{prefix} {number}" if prefix else ""
        )
        db.session.add(table)
        created.append(table)
    db.session.flush()
    return created


def table_meetings_count(table: MatchTable) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.table_id == table.id, Meeting.state == "scheduled"
        )
    )


def update_table(
    table: MatchTable, label: str, fixed_profile_id: int | None, active: bool
) -> MatchTable:
    """Change a table's label, the participant it is fixed to (one table per participant) and
    whether it is in use (a table with live meetings stays in use)."""
    festival = table.festival_id
    lock_festival(db.session.get(Festival, festival))
    db.session.refresh(table, with_for_update=True)
    if fixed_profile_id is not None:
        profile = db.session.get(MatchProfile, fixed_profile_id)
        if profile is None or profile.festival_id != festival:
            raise SetupError(_l("Pick a participant of this festival."), "fixed_profile_id")
        other = db.session.scalar(
            sa.select(MatchTable).where(
                MatchTable.fixed_profile_id == fixed_profile_id, MatchTable.id != table.id
            )
        )
        if other is not None:
            raise SetupError(
                _l(
                    "%(name)s already has table %(number)s.",
                    name=profile.display_name,
                    number=other.number,
                ),
                "fixed_profile_id",
            )
    if not active and table.active:
        busy = table_meetings_count(table)
        if busy:
            raise SetupError(
                _l(
                    "Table %(number)s has %(n)s meetings: move or cancel them first.",
                    number=table.number,
                    n=busy,
                ),
                "active",
            )
    table.label = label.strip()
    table.fixed_profile_id = fixed_profile_id
    table.active = active
    db.session.flush()
    return table


def table_name(table: MatchTable) -> str:
    return table.label or str(_l("Table %(number)s", number=table.number))


# --------------------------------------------------------------------------- blocked times


def blocks(profile: MatchProfile) -> list[MatchBlock]:
    return list(
        db.session.scalars(
            sa.select(MatchBlock)
            .where(MatchBlock.profile_id == profile.id)
            .order_by(MatchBlock.starts_at, MatchBlock.id)
        )
    )


def add_block(
    profile: MatchProfile, day: dt.date, start: dt.time, end: dt.time, note: str = ""
) -> tuple[MatchBlock, list[Meeting]]:
    """A time ``profile`` cannot meet, on a festival day. Returns the block and the person's
    live meetings it overlaps (they stay; the view says so)."""
    festival = profile.festival
    if not any(d.day == day for d in festival.days):
        raise SetupError(_l("Pick one of the festival's days."), "day")
    if end <= start:
        raise SetupError(_l("The blocked time must end after it starts."), "end")
    db.session.refresh(profile, with_for_update=True)
    block = MatchBlock(
        profile_id=profile.id,
        starts_at=local_at(day, start),
        ends_at=local_at(day, end),
        note=note.strip()[:200],
    )
    db.session.add(block)
    db.session.flush()
    clashes = list(
        db.session.scalars(
            sa.select(Meeting)
            .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
            .where(
                MeetingSeat.profile_id == profile.id,
                MeetingSeat.active.is_(True),
                Meeting.state == "scheduled",
                Meeting.starts_at < block.ends_at,
                Meeting.ends_at > block.starts_at,
            )
            .order_by(Meeting.starts_at)
        )
    )
    return block, clashes


def delete_block(block: MatchBlock) -> None:
    db.session.delete(block)
    db.session.flush()
