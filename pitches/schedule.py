"""The stage schedule: pitch slots, the automatic placement of shortlisted pitches, the overlaps
the organizer's grid shows, and the operations on programme items (add, edit, delete, move,
auto-schedule).

The core (``slots``, ``auto_schedule``, ``conflicts``) is pure: plain ids and aware UTC
datetimes in, plain data out. Intervals are half-open, ``[starts_at, ends_at)``: an item ending
at 10:00 and one starting at 10:00 do not overlap.

Matchmaking does not exist yet: ``busy`` (application id -> the startup's confirmed matchmaking
meetings) is accepted by the core, and ``matchmaking_busy`` fills it once a
``matchmaking`` package offers ``confirmed_meetings(festival, application_ids)``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalDay, Stage
from eventday.i18n import LOCAL_TZ, format_time, localized
from pitches.models import (
    ITEM_KINDS,
    Assignment,
    PitchApplication,
    PitchCall,
    ProgrammeItem,
    Round,
    Unavailability,
)

Interval = tuple[dt.datetime, dt.datetime]

ITEM_KIND_LABELS = {
    "pitch": _l("Pitch"),
    "opening": _l("Opening ceremony"),
    "forum": _l("Forum"),
    "workshop": _l("Workshop"),
    "break": _l("Break"),
    "awards": _l("Awards ceremony"),
    "closing": _l("Closing"),
    "other": _l("Other"),
}
HAND_KINDS = tuple(k for k in ITEM_KINDS if k != "pitch")  # made by hand in the item form

# Why a pitch could not be placed.
LEFT_OUT_REASONS = ("no_slots", "unavailable", "matchmaking", "no_free_slot")
LEFT_OUT_LABELS = {
    "no_slots": _l("There is no pitch slot on the chosen stages that day."),
    "unavailable": _l("The startup or one of its judges is unavailable at every free slot."),
    "matchmaking": _l("The startup has matchmaking meetings at every free slot."),
    "no_free_slot": _l(
        "Every slot is taken on its stage, or its startup or judges are on stage elsewhere."
    ),
}


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# --------------------------------------------------------------------------- slots


def slots(
    day: dt.date,
    start: dt.time,
    end: dt.time,
    pitch_minutes: int,
    qa_minutes: int,
    buffer_minutes: int,
    breaks: Iterable[Interval] = (),
) -> list[Interval]:
    """The pitch slots of a day between ``start`` and ``end`` (Vietnam's local times), in UTC.

    A slot is pitch + Q&A long; the buffer follows it before the next slot. A slot that would
    overlap a break (any aware interval: a lunch break, or an item already on the stage) is
    skipped: the next one starts when the break ends.
    """
    length = dt.timedelta(minutes=pitch_minutes + qa_minutes)
    step_gap = dt.timedelta(minutes=buffer_minutes)
    if length <= dt.timedelta(0):
        return []
    begin = dt.datetime.combine(day, start, LOCAL_TZ).astimezone(dt.UTC)
    finish = dt.datetime.combine(day, end, LOCAL_TZ).astimezone(dt.UTC)
    blocked = sorted((b[0].astimezone(dt.UTC), b[1].astimezone(dt.UTC)) for b in breaks)
    out: list[Interval] = []
    cursor = begin
    while cursor + length <= finish:
        slot = (cursor, cursor + length)
        hit = [b for b in blocked if overlaps(slot, b)]
        if hit:
            cursor = max(b[1] for b in hit)
            continue
        out.append(slot)
        cursor = slot[1] + step_gap
    return out


# --------------------------------------------------------------------------- auto-schedule


@dataclass(frozen=True)
class Pitch:
    """A shortlisted application to place. ``startup_id`` identifies the startup (its
    organisation): one startup is never in two places at once, even with two applications."""

    id: int
    startup_id: int
    preferred_stage_id: int | None = None


@dataclass(frozen=True)
class Booked:
    """Something already on a stage: it blocks its stage, and its startup and judges."""

    stage_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    startup_id: int | None = None
    judge_ids: frozenset[int] = frozenset()
    id: int | None = None
    application_id: int | None = None


@dataclass(frozen=True)
class Placement:
    application_id: int
    stage_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def _hits(interval: Interval, intervals: Iterable[Interval]) -> bool:
    return any(overlaps(interval, other) for other in intervals)


def auto_schedule(
    pitches: Sequence[Pitch],
    stages: Sequence[int],
    slots_by_stage: Mapping[int, Sequence[Interval]],
    unavailable: Mapping[tuple[str, int], Sequence[Interval]],
    judges_of: Mapping[int, Iterable[int]],
    busy: Mapping[int, Sequence[Interval]] | None = None,
    *,
    existing: Sequence[Booked] = (),
) -> tuple[list[Placement], dict[int, str]]:
    """Place each pitch in a free slot; return (placements, {application id: reason}).

    - ``stages``: the stage ids to use, in order of preference after a pitch's own
      ``preferred_stage_id`` (its track's stage), which is tried first.
    - ``unavailable``: ``("application", id)`` and ``("judge", id)`` -> intervals.
    - ``judges_of``: application id -> the judges who sit on its pitch.
    - ``busy``: application id -> the startup's confirmed matchmaking meetings.
    - ``existing``: items already on stage (opening, forums, pitches scheduled earlier).

    Guarantees: no two placements or existing items overlap on a stage; no startup and no
    judge is in two overlapping places; nothing overlaps an unavailability of the application
    or one of its judges, nor a matchmaking meeting. The most constrained pitches go first
    (fewest usable slots), then by id, so the result is deterministic.
    """
    busy = busy or {}
    stage_items: dict[int, list[Interval]] = {}
    startup_items: dict[int, list[Interval]] = {}
    judge_items: dict[int, list[Interval]] = {}
    for item in existing:
        iv = (item.starts_at, item.ends_at)
        stage_items.setdefault(item.stage_id, []).append(iv)
        if item.startup_id is not None:
            startup_items.setdefault(item.startup_id, []).append(iv)
        for judge in item.judge_ids:
            judge_items.setdefault(judge, []).append(iv)

    def candidates(pitch: Pitch) -> list[tuple[int, Interval]]:
        order = [s for s in stages if s == pitch.preferred_stage_id]
        order += [s for s in stages if s != pitch.preferred_stage_id]
        return [(s, slot) for s in order for slot in slots_by_stage.get(s, ())]

    def unavailable_at(pitch: Pitch, slot: Interval) -> bool:
        if _hits(slot, unavailable.get(("application", pitch.id), ())):
            return True
        return any(
            _hits(slot, unavailable.get(("judge", j), ())) for j in judges_of.get(pitch.id, ())
        )

    def usable(pitch: Pitch) -> list[tuple[int, Interval]]:
        return [
            (s, slot)
            for s, slot in candidates(pitch)
            if not _hits(slot, stage_items.get(s, ()))
            and not unavailable_at(pitch, slot)
            and not _hits(slot, busy.get(pitch.id, ()))
        ]

    order = sorted(pitches, key=lambda p: (len(usable(p)), p.id))
    placements: list[Placement] = []
    left_out: dict[int, str] = {}
    for pitch in order:
        judges = set(judges_of.get(pitch.id, ()))
        chosen = None
        for stage_id, slot in candidates(pitch):
            if _hits(slot, stage_items.get(stage_id, ())):
                continue
            if unavailable_at(pitch, slot) or _hits(slot, busy.get(pitch.id, ())):
                continue
            if _hits(slot, startup_items.get(pitch.startup_id, ())):
                continue
            if any(_hits(slot, judge_items.get(j, ())) for j in judges):
                continue
            chosen = (stage_id, slot)
            break
        if chosen is None:
            left_out[pitch.id] = _reason(pitch, candidates(pitch), unavailable_at, busy)
            continue
        stage_id, slot = chosen
        placements.append(Placement(pitch.id, stage_id, slot[0], slot[1]))
        stage_items.setdefault(stage_id, []).append(slot)
        startup_items.setdefault(pitch.startup_id, []).append(slot)
        for j in judges:
            judge_items.setdefault(j, []).append(slot)
    placements.sort(key=lambda p: (p.starts_at, p.stage_id))
    return placements, left_out


def _reason(pitch, candidates, unavailable_at, busy) -> str:
    if not candidates:
        return "no_slots"
    if all(unavailable_at(pitch, slot) for _s, slot in candidates):
        return "unavailable"
    if all(
        unavailable_at(pitch, slot) or _hits(slot, busy.get(pitch.id, ()))
        for _s, slot in candidates
    ):
        return "matchmaking"
    return "no_free_slot"


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class Conflict:
    """``kind``: stage, startup, judge (two items), unavailable or matchmaking (one item).
    ``subject_id`` is the judge's id for judge conflicts."""

    kind: str
    first_id: int | None
    second_id: int | None = None
    subject_id: int | None = None


def conflicts(
    items: Sequence[Booked],
    unavailable: Mapping[tuple[str, int], Sequence[Interval]] | None = None,
    busy: Mapping[int, Sequence[Interval]] | None = None,
) -> list[Conflict]:
    """Every overlap among ``items`` (by their ``id``): two on one stage, one startup or one
    judge in two places; and an item at a time its application or a judge is unavailable
    or its startup has a matchmaking meeting."""
    unavailable = unavailable or {}
    busy = busy or {}
    found: list[Conflict] = []
    ordered = sorted(items, key=lambda i: (i.starts_at, i.id or 0))
    for n, a in enumerate(ordered):
        for b in ordered[n + 1 :]:
            if b.starts_at >= a.ends_at:
                break
            if a.stage_id == b.stage_id:
                found.append(Conflict("stage", a.id, b.id))
            if a.startup_id is not None and a.startup_id == b.startup_id:
                found.append(Conflict("startup", a.id, b.id))
            for judge in sorted(a.judge_ids & b.judge_ids):
                found.append(Conflict("judge", a.id, b.id, judge))
    for item in ordered:
        iv = (item.starts_at, item.ends_at)
        app_id = item.application_id
        if app_id is not None and _hits(iv, unavailable.get(("application", app_id), ())):
            found.append(Conflict("unavailable", item.id))
        for judge in sorted(item.judge_ids):
            if _hits(iv, unavailable.get(("judge", judge), ())):
                found.append(Conflict("unavailable", item.id, subject_id=judge))
        if app_id is not None and _hits(iv, busy.get(app_id, ())):
            found.append(Conflict("matchmaking", item.id))
    return found


# --------------------------------------------------------------------------- operations


class ScheduleError(Exception):
    """A schedule change that cannot be done; ``message()`` tells the organizer why.

    Reasons: conflict (with ``messages``), bad_stage, bad_kind, bad_times, outside_day,
    no_call, no_day."""

    def __init__(self, reason: str, messages: Sequence[str] = ()):
        super().__init__(reason)
        self.reason = reason
        self.messages = list(messages)

    def message(self) -> str:
        if self.reason == "conflict":
            return " ".join(self.messages)
        if self.reason == "bad_stage":
            return _("Choose one of this festival's stages.")
        if self.reason == "bad_kind":
            return _("Choose what kind of item this is.")
        if self.reason == "bad_times":
            return _("The end must come after the start.")
        if self.reason == "outside_day":
            return _("The item must fall within one of the festival's days.")
        if self.reason == "no_call":
            return _("Set up the call for pitches first: its slot lengths are used.")
        if self.reason == "no_day":
            return _("That day is not one of the festival's days.")
        return _("The schedule could not be changed.")


@dataclass
class ItemData:
    kind: str
    stage_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    title_vi: str
    title_en: str | None = None
    description: str = ""
    speakers: str = ""


def new_uid() -> str:
    return f"{uuid.uuid4()}@eventday"


def lock_items(festival: Festival) -> list[ProgrammeItem]:
    """Serialise schedule writes of one festival: lock its row, then its items (fixed order)."""
    db.session.execute(sa.select(Festival.id).where(Festival.id == festival.id).with_for_update())
    return list(
        db.session.scalars(
            sa.select(ProgrammeItem)
            .where(ProgrammeItem.festival_id == festival.id)
            .order_by(ProgrammeItem.id)
            .with_for_update()
        )
    )


def festival_items(festival: Festival) -> list[ProgrammeItem]:
    return list(
        db.session.scalars(
            sa.select(ProgrammeItem)
            .where(ProgrammeItem.festival_id == festival.id)
            .options(
                selectinload(ProgrammeItem.judges),
                selectinload(ProgrammeItem.application),
                selectinload(ProgrammeItem.stage),
            )
            .order_by(ProgrammeItem.starts_at, ProgrammeItem.stage_id, ProgrammeItem.id)
        )
    )


def booked(item: ProgrammeItem, stage_id=None, starts_at=None, ends_at=None) -> Booked:
    """A programme item as plain data for the core (optionally at another place and time)."""
    app = item.application
    return Booked(
        stage_id=stage_id if stage_id is not None else item.stage_id,
        starts_at=starts_at or item.starts_at,
        ends_at=ends_at or item.ends_at,
        startup_id=app.organisation_id if app is not None else None,
        judge_ids=frozenset(j.id for j in item.judges),
        id=item.id,
        application_id=item.application_id,
    )


def unavailability(festival: Festival) -> dict[tuple[str, int], list[Interval]]:
    out: dict[tuple[str, int], list[Interval]] = {}
    for row in db.session.scalars(
        sa.select(Unavailability).where(Unavailability.festival_id == festival.id)
    ):
        key = ("application", row.application_id) if row.application_id else ("judge", row.judge_id)
        out.setdefault(key, []).append((row.starts_at, row.ends_at))
    return out


def matchmaking_busy(festival: Festival, application_ids: Iterable[int]) -> dict[int, list]:
    """The startups' confirmed matchmaking meetings, once matchmaking exists (else none)."""
    try:
        from matchmaking import operations as matchmaking
    except ImportError:
        return {}
    meetings = getattr(matchmaking, "confirmed_meetings", None)
    return meetings(festival, list(application_ids)) if meetings else {}


def conflict_messages(
    found: Sequence[Conflict], items_by_id: Mapping[int, ProgrammeItem], judges: Mapping[int, str]
) -> list[str]:
    """The conflicts as translated sentences naming the items and people concerned."""

    def label(item_id):
        item = items_by_id.get(item_id)
        if item is None:
            return _("the moved item")
        return _(
            "%(title)s (%(start)s, %(stage)s)",
            title=localized(item, "title"),
            start=format_time(item.starts_at),
            stage=localized(item.stage, "name") if item.stage else "",
        )

    out = []
    for c in found:
        if c.kind == "stage":
            out.append(
                _(
                    "%(a)s and %(b)s are on the same stage at the same time.",
                    a=label(c.first_id),
                    b=label(c.second_id),
                )
            )
        elif c.kind == "startup":
            out.append(
                _(
                    "%(a)s and %(b)s need the same startup at the same time.",
                    a=label(c.first_id),
                    b=label(c.second_id),
                )
            )
        elif c.kind == "judge":
            out.append(
                _(
                    "Judge %(judge)s would sit on %(a)s and %(b)s at the same time.",
                    judge=judges.get(c.subject_id, "?"),
                    a=label(c.first_id),
                    b=label(c.second_id),
                )
            )
        elif c.kind == "unavailable" and c.subject_id is not None:
            out.append(
                _(
                    "Judge %(judge)s is unavailable during %(a)s.",
                    judge=judges.get(c.subject_id, "?"),
                    a=label(c.first_id),
                )
            )
        elif c.kind == "unavailable":
            out.append(_("The startup is unavailable during %(a)s.", a=label(c.first_id)))
        elif c.kind == "matchmaking":
            out.append(
                _("The startup has a matchmaking meeting during %(a)s.", a=label(c.first_id))
            )
    return out


def _judge_names(items: Iterable[ProgrammeItem]) -> dict[int, str]:
    return {j.id: j.full_name for item in items for j in item.judges}


def _check_place(festival: Festival, item: ProgrammeItem, others: list[ProgrammeItem]) -> None:
    """Refuse ``item`` (already at its new place) if it overlaps something. The others'
    judges and applications are loaded in one go (not two queries per item)."""
    everything = _with_relations([o for o in others if o.id != item.id])
    moved = booked(item)
    found = [
        c
        for c in conflicts(
            [moved] + [booked(o) for o in everything],
            unavailability(festival),
            matchmaking_busy(festival, [item.application_id] if item.application_id else []),
        )
        if item.id in (c.first_id, c.second_id)
    ]
    if found:
        by_id = {o.id: o for o in everything}
        by_id[item.id] = item
        raise ScheduleError(
            "conflict", conflict_messages(found, by_id, _judge_names([item, *everything]))
        )


def _check_data(festival: Festival, data: ItemData, *, pitch: bool = False) -> Stage:
    if not pitch and data.kind not in HAND_KINDS:
        raise ScheduleError("bad_kind")
    stage = db.session.get(Stage, data.stage_id)
    if stage is None or stage.festival_id != festival.id:
        raise ScheduleError("bad_stage")
    _check_times(festival, data.starts_at, data.ends_at)
    return stage


def _check_times(festival: Festival, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise ScheduleError("bad_times")
    for day in festival.days:
        begin = dt.datetime.combine(day.day, day.starts_at, LOCAL_TZ)
        end = dt.datetime.combine(day.day, day.ends_at, LOCAL_TZ)
        if begin <= starts_at and ends_at <= end:
            return
    raise ScheduleError("outside_day")


def create_item(festival: Festival, data: ItemData) -> ProgrammeItem:
    """Add an opening, forum, workshop, break, awards, closing or other item."""
    others = lock_items(festival)
    stage = _check_data(festival, data)
    item = ProgrammeItem(festival_id=festival.id, uid=new_uid(), sequence=0)
    _fill(item, data)
    item.stage = stage
    db.session.add(item)
    db.session.flush()
    _check_place(festival, item, others)
    return item


def update_item(item: ProgrammeItem, data: ItemData) -> ProgrammeItem:
    """Edit an item (a pitch keeps its kind, application and judges; its title may change)."""
    festival = db.session.get(Festival, item.festival_id)
    others = lock_items(festival)
    is_pitch = item.kind == "pitch"
    if is_pitch:
        data.kind = "pitch"
    stage = _check_data(festival, data, pitch=is_pitch)
    _fill(item, data)
    item.stage = stage
    db.session.flush()
    _check_place(festival, item, others)
    return item


def _fill(item: ProgrammeItem, data: ItemData) -> None:
    item.kind = data.kind
    item.stage_id = data.stage_id
    item.starts_at = data.starts_at
    item.ends_at = data.ends_at
    item.title_vi = data.title_vi.strip()
    item.title_en = (data.title_en or "").strip() or None
    item.description = data.description or ""
    item.speakers = "\n".join(s.strip() for s in (data.speakers or "").splitlines() if s.strip())


def delete_item(item: ProgrammeItem, user) -> None:
    """Remove an item. A pitch's application goes back to "shortlisted". Once published, the
    next publication announces the removal (a cancelled event)."""
    festival = db.session.get(Festival, item.festival_id)
    lock_items(festival)
    application = item.application
    db.session.delete(item)
    db.session.flush()
    if application is not None and application.state == "scheduled":
        _change_state(application, "shortlisted", user)


def move_item(item: ProgrammeItem, stage: Stage, starts_at: dt.datetime) -> ProgrammeItem:
    """Move an item to ``stage`` at ``starts_at`` (same length); refused with the conflicts
    it would create."""
    festival = db.session.get(Festival, item.festival_id)
    others = lock_items(festival)
    if stage.festival_id != festival.id:
        raise ScheduleError("bad_stage")
    ends_at = starts_at + (item.ends_at - item.starts_at)
    _check_times(festival, starts_at, ends_at)
    item.stage_id = stage.id
    item.stage = stage
    item.starts_at = starts_at
    item.ends_at = ends_at
    db.session.flush()
    _check_place(festival, item, others)
    return item


def _change_state(application: PitchApplication, state: str, user) -> None:
    """Through P1's ``calls.change_state`` (mails the startup); a plain update while that
    module is not there yet."""
    try:
        from pitches import calls
    except ImportError:
        calls = None
    change = getattr(calls, "change_state", None) if calls else None
    if change is not None:
        change(application, state, user)
    else:
        application.state = state
        db.session.flush()


def judges_by_application(application_ids: Iterable[int]) -> dict[int, set[int]]:
    """The judges of each application's latest round (the round with the highest position
    among those that assigned it judges): they sit on its pitch."""
    ids = list(application_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Assignment.application_id, Assignment.judge_id, Round.position, Round.id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Assignment.application_id.in_(ids))
    ).all()
    latest: dict[int, tuple[int, int]] = {}
    for app_id, _judge, position, round_id in rows:
        key = (position, round_id)
        if app_id not in latest or key > latest[app_id]:
            latest[app_id] = key
    out: dict[int, set[int]] = {app_id: set() for app_id in ids}
    for app_id, judge, position, round_id in rows:
        if latest[app_id] == (position, round_id):
            out[app_id].add(judge)
    return out


@dataclass
class AutoResult:
    items: list[ProgrammeItem]
    left_out: dict[int, str]  # application id -> reason (LEFT_OUT_REASONS)
    applications: dict[int, PitchApplication]


def apply_auto_schedule(
    festival: Festival, day: dt.date, stage_ids: Sequence[int], user
) -> AutoResult:
    """Place every shortlisted application without a pitch item on ``day`` on the given
    stages, create their pitch items (with their judges) and move them to "scheduled"."""
    from eventday.accounts.models import User

    current = lock_items(festival)
    call = db.session.scalar(sa.select(PitchCall).where(PitchCall.festival_id == festival.id))
    if call is None:
        raise ScheduleError("no_call")
    festival_day = db.session.scalar(
        sa.select(FestivalDay).where(FestivalDay.festival_id == festival.id, FestivalDay.day == day)
    )
    if festival_day is None:
        raise ScheduleError("no_day")
    stages = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Stage).where(Stage.festival_id == festival.id, Stage.id.in_(stage_ids))
        )
    }
    if not stages or len(stages) != len(set(stage_ids)):
        raise ScheduleError("bad_stage")
    stage_order = [s for s in stage_ids if s in stages]

    scheduled_apps = {i.application_id for i in current if i.application_id is not None}
    applications = {
        a.id: a
        for a in db.session.scalars(
            sa.select(PitchApplication)
            .where(
                PitchApplication.festival_id == festival.id,
                PitchApplication.state == "shortlisted",
            )
            .options(selectinload(PitchApplication.track))
            .order_by(PitchApplication.id)
        )
        if a.id not in scheduled_apps
    }
    pitches = [
        Pitch(a.id, a.organisation_id, a.track.stage_id if a.track else None)
        for a in applications.values()
    ]
    existing = [booked(i) for i in _with_relations(current)]
    slots_by_stage = {
        sid: slots(
            day,
            festival_day.starts_at,
            festival_day.ends_at,
            call.pitch_minutes,
            call.qa_minutes,
            call.buffer_minutes,
            [(b.starts_at, b.ends_at) for b in existing if b.stage_id == sid],
        )
        for sid in stage_order
    }
    judges_of = judges_by_application(applications)
    placements, left_out = auto_schedule(
        pitches,
        stage_order,
        slots_by_stage,
        unavailability(festival),
        judges_of,
        matchmaking_busy(festival, applications),
        existing=existing,
    )
    judge_ids = {j for p in placements for j in judges_of.get(p.application_id, ())}
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(judge_ids)))}
        if judge_ids
        else {}
    )
    created = []
    for p in placements:
        application = applications[p.application_id]
        item = ProgrammeItem(
            festival_id=festival.id,
            stage_id=p.stage_id,
            kind="pitch",
            title_vi=application.title,
            title_en=application.title,
            description=application.summary_vi or "",
            application_id=application.id,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            uid=new_uid(),
            sequence=0,
        )
        item.judges = [users[j] for j in sorted(judges_of.get(application.id, ()))]
        db.session.add(item)
        created.append(item)
    db.session.flush()
    for item in created:
        _change_state(applications[item.application_id], "scheduled", user)
    return AutoResult(created, left_out, applications)


def _with_relations(items: list[ProgrammeItem]) -> list[ProgrammeItem]:
    if not items:
        return items
    ids = [i.id for i in items]
    return list(
        db.session.scalars(
            sa.select(ProgrammeItem)
            .where(ProgrammeItem.id.in_(ids))
            .options(selectinload(ProgrammeItem.judges), selectinload(ProgrammeItem.application))
        )
    )
