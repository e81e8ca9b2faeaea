"""Time slots of the matchmaking sessions and the times each participant cannot meet.

A session from ``starts_at`` to ``ends_at`` is cut into slots of ``slot_minutes``; a slot never
overlaps a break (the next slot starts when the break ends) and a last slot that would run past
the end of the session is dropped. Slot ids are stable: ``session.id * 1000 + index``.

A participant cannot meet during their blocked times (``MatchBlock`` rows), during the published
pitch slots of their organisation, and — when they judge pitches — during the pitches they
judge (both from the latest published programme)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from matchmaking.models import MatchBlock, MatchProfile, MatchSession
from matchmaking.scheduler import Slot

Interval = tuple[dt.datetime, dt.datetime]
SLOTS_PER_SESSION = 1000  # slot id = session id * 1000 + index


def session_slots(session: MatchSession) -> list[Slot]:
    """The session's slots in time order (breaks skipped, the last partial slot dropped)."""
    length = dt.timedelta(minutes=session.slot_minutes)
    breaks = sorted((b.starts_at, b.ends_at) for b in session.breaks)
    out: list[Slot] = []
    start = session.starts_at
    while start + length <= session.ends_at and len(out) < SLOTS_PER_SESSION:
        end = start + length
        clash = next((b for b in breaks if b[0] < end and start < b[1]), None)
        if clash is not None:
            start = max(start, clash[1])
            continue
        out.append(Slot(session.id * SLOTS_PER_SESSION + len(out), start, end, session.id))
        start = end
    return out


def festival_sessions(festival: Festival) -> list[MatchSession]:
    return list(
        db.session.scalars(
            sa.select(MatchSession)
            .where(MatchSession.festival_id == festival.id)
            .options(selectinload(MatchSession.breaks))
            .order_by(MatchSession.starts_at, MatchSession.id)
        )
    )


def festival_slots(festival: Festival) -> list[Slot]:
    """Every slot of the festival's sessions, by start time."""
    slots = [s for session in festival_sessions(festival) for s in session_slots(session)]
    return sorted(slots, key=lambda s: (s.start, s.end, s.id))


def slot_by_id(festival: Festival, slot_id: int) -> Slot | None:
    session = db.session.get(MatchSession, slot_id // SLOTS_PER_SESSION)
    if session is None or session.festival_id != festival.id:
        return None
    return next((s for s in session_slots(session) if s.id == slot_id), None)


def slot_at(festival: Festival, starts_at: dt.datetime) -> Slot | None:
    """The slot starting at ``starts_at`` (the first by session when sessions share a start)."""
    return next((s for s in festival_slots(festival) if s.start == starts_at), None)


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open intervals: a meeting ending at 10:00 and one starting at 10:00 do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


def festival_blocked(
    festival: Festival, profiles: Iterable[MatchProfile] | None = None
) -> dict[int, list[Interval]]:
    """profile id -> the intervals that profile cannot meet (see the module docstring).
    ``profiles`` defaults to every profile of the festival."""
    if profiles is None:
        profiles = list(
            db.session.scalars(
                sa.select(MatchProfile).where(MatchProfile.festival_id == festival.id)
            )
        )
    profiles = list(profiles)
    ids = [p.id for p in profiles]
    out: dict[int, list[Interval]] = defaultdict(list)
    if not ids:
        return out
    for block in db.session.scalars(sa.select(MatchBlock).where(MatchBlock.profile_id.in_(ids))):
        out[block.profile_id].append((block.starts_at, block.ends_at))
    for profile_id, interval in _pitch_intervals(festival, profiles):
        out[profile_id].append(interval)
    for intervals in out.values():
        intervals.sort()
    return out


def blocked_intervals(profile: MatchProfile) -> list[Interval]:
    """The intervals ``profile`` cannot meet, by start."""
    return festival_blocked(profile.festival, [profile]).get(profile.id, [])


def _pitch_intervals(festival: Festival, profiles: list[MatchProfile]):
    """(profile id, interval) for each published pitch of a profile's organisation and each
    published pitch a profile's user judges."""
    try:
        from pitches.models import PitchApplication
        from pitches.publishing import published_items
    except ImportError:  # pragma: no cover - the pitches package is part of the app
        return
    items = [i for i in published_items(festival, include_cancelled=False) if i.kind == "pitch"]
    if not items:
        return
    app_ids = {i.application_id for i in items if i.application_id}
    org_of = (
        dict(
            db.session.execute(
                sa.select(PitchApplication.id, PitchApplication.organisation_id).where(
                    PitchApplication.id.in_(app_ids)
                )
            ).all()
        )
        if app_ids
        else {}
    )
    by_org = defaultdict(list)
    by_user = defaultdict(list)
    for p in profiles:
        if p.organisation_id:
            by_org[p.organisation_id].append(p.id)
        by_user[p.user_id].append(p.id)
    for item in items:
        interval = (item.starts_at, item.ends_at)
        for pid in by_org.get(org_of.get(item.application_id), ()):
            yield pid, interval
        for judge in item.judge_ids:
            for pid in by_user.get(judge, ()):
                yield pid, interval


def unavailable_slots(slots: list[Slot], intervals: list[Interval]) -> set[int]:
    """Ids of the slots overlapping any of ``intervals``."""
    return {s.id for s in slots if any(overlaps((s.start, s.end), i) for i in intervals)}
