"""Batch scheduling for organizers: solve every accepted request at once and write the result
as draft (unpublished) meetings, then publish the drafts.

A run holds the festival-level lock (the ``MatchSettings`` row, ``FOR UPDATE``) from loading the
instance to writing the result, so two organizers cannot run or publish at the same time, and
participants' cancellations (which take the same lock before writing) wait for the run. After
the solve the target requests are read again and any no longer accepted is skipped. Lock order
(see ``booking``): festival, then meetings; requests are read, never locked, here.
Published meetings are locked in the instance and never touched. Draft meetings were never
mailed: the run moves them (with their seats), creates new ones, and deletes the drafts the new
schedule leaves out (nothing was announced, so there is nothing to cancel).

Nothing is written unless the independent checker (``matchmaking.checker.verify``) accepts the
schedule: a CP-SAT schedule it rejects is replaced by the greedy one, and if that is rejected
too the run raises :class:`ScheduleError` (a translated message) having written nothing."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from matchmaking.grid import lock_festival
from matchmaking.models import Meeting, MeetingRequest, ScheduleRun

log = logging.getLogger("eventday.matchmaking")

LEFT_OUT_LABELS = {
    "locked_conflict": _l("Published meetings take every slot both are free in"),
    "cap": _l("One of them has reached their meeting cap"),
    "no_common_slot": _l("No slot where both are free"),
    "full": _l("All tables are taken in the slots both are free in"),
}


class ScheduleError(Exception):
    """No valid schedule could be computed; ``message`` is translated. Nothing was written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def _valid(instance, result, label: str) -> bool:
    from matchmaking.checker import verify

    problems = verify(instance, result)
    for problem in problems[:20]:
        log.error("batch run: the %s schedule is invalid: %s", label, problem)
    if len(problems) > 20:
        log.error("batch run: the %s schedule has %d problems", label, len(problems))
    return not problems


def _solve(instance, time_limit: float, solver: str):
    """The CP-SAT schedule, or the greedy one when CP-SAT fails, does worse or is rejected by
    the checker; ScheduleError when the greedy one is rejected too (or fails)."""
    from matchmaking import scheduler

    result = None
    if solver == "cpsat":
        try:
            result = scheduler.solve(instance, time_limit=time_limit)
        except Exception:  # the fallback below must run whatever went wrong
            log.exception("CP-SAT failed; falling back to the greedy schedule")
        if result is not None and not _valid(instance, result, "CP-SAT"):
            log.error("batch run: falling back to the greedy schedule")
            result = None
    try:
        fallback = scheduler.greedy(instance)
    except Exception:
        log.exception("the greedy schedule failed")
        fallback = None
    wanted = fallback is not None and (result is None or fallback.objective > result.objective)
    if wanted and _valid(instance, fallback, "greedy"):
        return fallback
    if result is None:
        raise ScheduleError(
            _(
                "No valid schedule could be computed, so nothing was changed. Please try "
                "again; if it happens again, contact the technical team."
            )
        )
    return result


def run_batch(
    festival: Festival, actor, *, time_limit: float = 20, solver: str = "cpsat"
) -> ScheduleRun:
    """Schedule all accepted requests; published meetings stay exactly where they are, drafts
    are rewritten to match the new schedule. Flushes, does not commit."""
    from matchmaking import booking

    lock_festival(festival)
    instance, ctx = booking.load_instance(festival)
    result = _solve(instance, time_limit, solver)

    slot_of = ctx.slots  # the grid's slots and the synthetic ones of off-grid locked meetings
    target = {p.request_id: p for p in result.placements}
    # Read the requests again: one cancelled while the solver ran gets no meeting. (Not
    # FOR UPDATE: the lock order is request before festival, and the festival is held.)
    still = (
        set(
            db.session.scalars(
                sa.select(MeetingRequest.id).where(
                    MeetingRequest.id.in_(list(target)), MeetingRequest.state == "accepted"
                )
            )
        )
        if target
        else set()
    )
    locked = {p.request_id for p in instance.locked}  # existing meetings: left as they are
    gone = [rid for rid in target if rid not in still and rid not in locked]
    for rid in gone:
        log.info("batch run: request %s is no longer accepted; not placed", rid)
        del target[rid]
    live = list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.festival_id == festival.id, Meeting.state != "cancelled")
            .options(selectinload(Meeting.seats))
            .order_by(Meeting.id)
            .with_for_update()
        )
    )
    has_meeting = {m.request_id for m in live}
    moving, dropped = [], []
    for meeting in live:
        if meeting.published or meeting.state != "scheduled":
            continue
        placement = target.get(meeting.request_id)
        if placement is None:
            dropped.append(meeting)
            continue
        slot = slot_of[placement.slot_id]
        if (meeting.starts_at, meeting.ends_at, meeting.table_id) != (
            slot.start,
            slot.end,
            placement.table_id,
        ):
            moving.append((meeting, slot, placement.table_id))

    # Phase 1: take the drafts that move out of the unique indexes (table × start, person ×
    # start) so that swapping two drafts never trips them; delete the dropped drafts.
    for meeting in dropped:
        db.session.delete(meeting)
    for meeting, _slot, _table in moving:
        meeting.state = "cancelled"
        for seat in meeting.seats:
            seat.active = False
    db.session.flush()
    # Phase 2: put them at their new places, then create the new meetings.
    for meeting, slot, table_id in moving:
        meeting.state = "scheduled"
        meeting.session_id = slot.session_id
        meeting.table_id = table_id
        meeting.starts_at, meeting.ends_at = slot.start, slot.end
        for seat in meeting.seats:
            seat.active = True
            seat.starts_at, seat.ends_at = slot.start, slot.end
    db.session.flush()
    new_ids = [rid for rid in target if rid not in has_meeting]
    requests = (
        {
            r.id: r
            for r in db.session.scalars(
                sa.select(MeetingRequest).where(MeetingRequest.id.in_(new_ids))
            )
        }
        if new_ids
        else {}
    )
    for rid in sorted(new_ids, key=lambda r: (slot_of[target[r].slot_id].start, r)):
        placement = target[rid]
        booking.create_meeting(
            requests[rid], slot_of[placement.slot_id], placement.table_id, published=False
        )
    db.session.flush()

    run = ScheduleRun(
        festival_id=festival.id,
        created_by_id=getattr(actor, "id", None),
        solver="greedy" if result.solver.startswith("greedy") else "cpsat",
        optimal=bool(result.optimal),
        objective=int(result.objective),
        bound=result.bound,
        wall_ms=int(round(result.wall_s * 1000)),
        placed=len(target),
        moved=len(moving),
        left_out=[
            {"request_id": rid, "reason": reason} for rid, reason in sorted(result.left_out.items())
        ],
    )
    db.session.add(run)
    db.session.flush()
    return run


def draft_count(festival: Festival) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.festival_id == festival.id,
            Meeting.state == "scheduled",
            Meeting.published.is_(False),
        )
    )


def publish(festival: Festival, actor) -> int:
    """Publish every draft meeting and mail both parties. Returns how many were published."""
    from matchmaking import notifications

    lock_festival(festival)
    drafts = list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.festival_id == festival.id,
                Meeting.state == "scheduled",
                Meeting.published.is_(False),
            )
            .order_by(Meeting.starts_at, Meeting.id)
            .with_for_update()
        )
    )
    for meeting in drafts:
        meeting.published = True
    db.session.flush()
    for meeting in drafts:
        notifications.meeting_confirmed(meeting)
    return len(drafts)


def runs(festival: Festival, limit: int = 5) -> list[ScheduleRun]:
    return list(
        db.session.scalars(
            sa.select(ScheduleRun)
            .where(ScheduleRun.festival_id == festival.id)
            .options(selectinload(ScheduleRun.created_by))
            .order_by(ScheduleRun.created_at.desc(), ScheduleRun.id.desc())
            .limit(limit)
        )
    )


def left_out_report(run: ScheduleRun) -> list[dict]:
    """The run's left-out requests with both parties and the translated reason (requests
    deleted since are skipped)."""
    ids = [e["request_id"] for e in run.left_out]
    if not ids:
        return []
    requests = {
        r.id: r
        for r in db.session.scalars(
            sa.select(MeetingRequest)
            .where(MeetingRequest.id.in_(ids))
            .options(selectinload(MeetingRequest.sender), selectinload(MeetingRequest.recipient))
        )
    }
    out = []
    for entry in run.left_out:
        request = requests.get(entry["request_id"])
        if request is None:
            continue
        out.append(
            {
                "request": request,
                "reason": entry["reason"],
                "label": LEFT_OUT_LABELS.get(entry["reason"], entry["reason"]),
            }
        )
    return out
