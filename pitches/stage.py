"""The published programme and the live stage: which items the public sees, their current
times (delays applied), what is on a stage now and next, and the stage manager's start, end
and delay. Operations flush, never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, Stage
from eventday.i18n import LOCAL_TZ, to_local
from pitches.models import TRANSITIONS, PitchApplication, ProgrammeItem, ProgrammeVersion

MAX_DELAY_MINUTES = 180

ITEM_KIND_LABELS = {
    "pitch": _l("Pitch"),
    "opening": _l("Opening"),
    "forum": _l("Forum"),
    "workshop": _l("Workshop"),
    "break": _l("Break"),
    "awards": _l("Awards ceremony"),
    "closing": _l("Closing"),
    "other": _l("Other"),
}
ITEM_STATUS_LABELS = {
    "planned": _l("Planned"),
    "started": _l("On stage now"),
    "ended": _l("Ended"),
    "delayed": _l("Delayed"),
}
STARTUP_STAGE_LABELS = {
    "idea": _l("Idea"),
    "prototype": _l("Prototype"),
    "first_revenue": _l("First revenue"),
    "growth": _l("Growth"),
}


class StageError(Exception):
    """A stage manager's action that cannot be done; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'ended', 'not_started', 'bad_delay', 'other_stage'


# --------------------------------------------------------------------------- reading


def latest_version(festival: Festival) -> ProgrammeVersion | None:
    return db.session.scalar(
        sa.select(ProgrammeVersion)
        .where(ProgrammeVersion.festival_id == festival.id)
        .order_by(ProgrammeVersion.number.desc())
        .limit(1)
    )


def _item_options():
    return (
        selectinload(ProgrammeItem.stage),
        selectinload(ProgrammeItem.application).selectinload(PitchApplication.organisation),
        selectinload(ProgrammeItem.application).selectinload(PitchApplication.track),
    )


@dataclass
class PublicItem:
    """A published item as the public sees it: times, titles, stage and texts from the latest
    published snapshot; status and delay from the live row (the stage manager's clicks)."""

    id: int | None  # the live row's, None once removed (until the next publication)
    uid: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    title_vi: str
    title_en: str | None
    stage_id: int | None
    description: str
    speakers: str
    application: PitchApplication | None
    status: str = "planned"
    delay_minutes: int = 0
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


def published_items(festival: Festival, stage: Stage | None = None) -> list[PublicItem]:
    """The items of the latest published version as published (unpublished edits are not
    shown), with the live status and delay, ordered by current start; empty before the first
    publication. Four queries whatever the count."""
    version = latest_version(festival)
    if version is None or not version.snapshot:
        return []
    # A removed item stays in later snapshots as "cancelled" (for calendars): not shown.
    entries = {
        uid: entry
        for uid, entry in version.snapshot.items()
        if isinstance(entry, dict)
        and entry.get("status") != "cancelled"
        and (stage is None or entry.get("stage_id") == stage.id)
    }
    if not entries:
        return []
    live = {
        row.uid: row
        for row in db.session.execute(
            sa.select(
                ProgrammeItem.id,
                ProgrammeItem.uid,
                ProgrammeItem.status,
                ProgrammeItem.delay_minutes,
                ProgrammeItem.started_at,
                ProgrammeItem.ended_at,
            ).where(ProgrammeItem.festival_id == festival.id, ProgrammeItem.uid.in_(entries))
        )
    }
    app_ids = {e["application_id"] for e in entries.values() if e.get("application_id")}
    applications = (
        {
            a.id: a
            for a in db.session.scalars(
                sa.select(PitchApplication)
                .where(PitchApplication.id.in_(app_ids))
                .options(
                    selectinload(PitchApplication.organisation),
                    selectinload(PitchApplication.track),
                )
            )
        }
        if app_ids
        else {}
    )
    items = []
    for uid, entry in entries.items():
        row = live.get(uid)
        item = PublicItem(
            id=row.id if row else None,
            uid=uid,
            kind=entry.get("kind", "other"),
            starts_at=dt.datetime.fromisoformat(entry["starts_at"]),
            ends_at=dt.datetime.fromisoformat(entry["ends_at"]),
            title_vi=entry.get("title", ""),
            title_en=entry.get("title_en"),
            stage_id=entry.get("stage_id"),
            description=entry.get("description", ""),
            speakers=entry.get("speakers", ""),
            application=applications.get(entry.get("application_id")),
        )
        if row is not None:
            item.status = row.status
            item.delay_minutes = row.delay_minutes or 0
            item.started_at, item.ended_at = row.started_at, row.ended_at
        items.append(item)
    return sorted(items, key=_order)


def _order(item) -> tuple:
    return (current_start(item), item.id or 0, item.uid)


def stage_items(stage: Stage, day: dt.date | None = None) -> list[ProgrammeItem]:
    """All the stage's items (published or not) — of one local day when ``day`` is given."""
    query = (
        sa.select(ProgrammeItem)
        .where(ProgrammeItem.stage_id == stage.id)
        .options(*_item_options())
        .order_by(ProgrammeItem.starts_at, ProgrammeItem.id)
    )
    items = list(db.session.scalars(query))
    if day is not None:
        items = [i for i in items if local_day(i) == day]
    return items


def local_day(item: ProgrammeItem | PublicItem) -> dt.date:
    return to_local(item.starts_at).date()


def current_start(item: ProgrammeItem | PublicItem) -> dt.datetime:
    """The planned start moved by the delays the stage manager announced."""
    return item.starts_at + dt.timedelta(minutes=item.delay_minutes or 0)


def current_end(item: ProgrammeItem | PublicItem) -> dt.datetime:
    return item.ends_at + dt.timedelta(minutes=item.delay_minutes or 0)


@dataclass
class StageNow:
    current: ProgrammeItem | PublicItem | None
    live: bool  # the current item is marked started (else it is the next one planned)
    next: ProgrammeItem | PublicItem | None


def now_and_next(
    items: list[ProgrammeItem] | list[PublicItem], now: dt.datetime | None = None
) -> StageNow:
    """The item marked started (the latest started if several), else the next planned one by
    current time — after the last ended one, or not finished yet when none has ended — and the
    planned one after it."""
    now = now or utcnow()
    ordered = sorted(items, key=_order)
    started = [i for i in ordered if i.status == "started"]
    if started:
        current = max(started, key=lambda i: (i.started_at or current_start(i), *_order(i)[1:]))
        live = True
    else:
        # After the last item the stage manager marked, what comes next (items before it that
        # were never marked count as skipped); with nothing marked yet, the next by the clock.
        marked = [i for i in ordered if i.status == "ended"]
        today = now.astimezone(LOCAL_TZ).date()
        waiting = [i for i in ordered if i.status in ("planned", "delayed")]
        if marked:
            anchor = _order(marked[-1])
            upcoming = [i for i in waiting if _order(i) > anchor and local_day(i) >= today]
        else:
            upcoming = [i for i in waiting if current_end(i) > now]
        current = upcoming[0] if upcoming else None
        live = False
    nxt = None
    if current is not None:
        after = [
            i
            for i in ordered
            if i is not current
            and i.status in ("planned", "delayed")
            and _order(i) > _order(current)
        ]
        nxt = after[0] if after else None
    return StageNow(current, live, nxt)


# --------------------------------------------------------------------------- writing


def _lock_stage_items(stage: Stage) -> list[ProgrammeItem]:
    """Lock the stage's items in id order (one stage manager's click at a time)."""
    return list(
        db.session.scalars(
            sa.select(ProgrammeItem)
            .where(ProgrammeItem.stage_id == stage.id)
            .order_by(ProgrammeItem.id)
            .with_for_update()
        )
    )


def _change_application_state(application: PitchApplication, new_state: str, user) -> bool:
    """Move an application through ``calls.change_state`` (it mails the startup); False when
    the move is not allowed from its current state."""
    if new_state not in TRANSITIONS.get(application.state, ()):
        return False
    from pitches.calls import change_state  # lazily: the call module imports much

    change_state(application, new_state, user)
    return True


def _end(item: ProgrammeItem, now: dt.datetime, user) -> None:
    item.status = "ended"
    item.ended_at = now
    if item.kind == "pitch" and item.application is not None:
        _change_application_state(item.application, "pitched", user)


def start_item(stage: Stage, item: ProgrammeItem, user) -> list[ProgrammeItem]:
    """Mark ``item`` started; the item running on the stage (if any) ends. Returns the ended."""
    if item.stage_id != stage.id:
        raise StageError("other_stage")
    locked = _lock_stage_items(stage)
    db.session.refresh(item)
    if item.status == "ended":
        raise StageError("ended")
    now = utcnow()
    ended = []
    for other in locked:
        if other.id != item.id and other.status == "started":
            _end(other, now, user)
            ended.append(other)
    item.status = "started"
    item.started_at = now
    item.ended_at = None
    db.session.flush()
    return ended


def end_item(stage: Stage, item: ProgrammeItem, user) -> None:
    if item.stage_id != stage.id:
        raise StageError("other_stage")
    _lock_stage_items(stage)
    db.session.refresh(item)
    if item.status == "ended":
        raise StageError("ended")
    if item.status != "started":
        raise StageError("not_started")
    _end(item, utcnow(), user)
    db.session.flush()


def delay_item(stage: Stage, item: ProgrammeItem, minutes: int) -> list[ProgrammeItem]:
    """Shift ``item`` and the stage's later items of the same day by ``minutes`` (ended items
    stay where they were). Returns the shifted items."""
    if item.stage_id != stage.id:
        raise StageError("other_stage")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_DELAY_MINUTES:
        raise StageError("bad_delay")
    locked = _lock_stage_items(stage)
    db.session.refresh(item)
    if item.status == "ended":
        raise StageError("ended")
    day = local_day(item)
    shifted = []
    for other in locked:
        if other.status == "ended" or local_day(other) != day:
            continue
        if (other.starts_at, other.id) < (item.starts_at, item.id):
            continue
        other.delay_minutes = (other.delay_minutes or 0) + minutes
        if other.status == "planned":
            other.status = "delayed"
        shifted.append(other)
    db.session.flush()
    return shifted


def default_day(festival: Festival, now: dt.datetime | None = None) -> dt.date | None:
    """Today in Vietnam when it is a festival day, else the first day."""
    today = (now or utcnow()).astimezone(LOCAL_TZ).date()
    days = [d.day for d in festival.days]
    if today in days:
        return today
    return days[0] if days else None
