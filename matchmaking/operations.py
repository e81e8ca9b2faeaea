"""What other packages may ask of matchmaking (they import this module only).

``pitches.schedule.matchmaking_busy`` calls ``confirmed_meetings`` so that a startup's pitch
is never scheduled during one of its matchmaking meetings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from matchmaking import notifications
from matchmaking.booking import person_meetings  # noqa: F401 - re-exported
from matchmaking.models import (
    MatchProfile,
    MatchSession,
    MatchSettings,
    Meeting,
    MeetingSeat,
    SessionReminder,
)
from matchmaking.slots import blocked_intervals  # noqa: F401 - re-exported

Interval = tuple[dt.datetime, dt.datetime]


def confirmed_meetings(
    festival: Festival, application_ids: Iterable[int]
) -> dict[int, list[Interval]]:
    """application id -> the (start, end) of every live meeting (scheduled, held or no-show;
    published or not) of the festival's profiles whose organisation owns that application."""
    from pitches.models import PitchApplication

    ids = list(application_ids)
    if not ids:
        return {}
    org_of = dict(
        db.session.execute(
            sa.select(PitchApplication.id, PitchApplication.organisation_id).where(
                PitchApplication.id.in_(ids)
            )
        ).all()
    )
    rows = db.session.execute(
        sa.select(MatchProfile.organisation_id, Meeting.starts_at, Meeting.ends_at)
        .join(MeetingSeat, MeetingSeat.profile_id == MatchProfile.id)
        .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
        .where(
            MatchProfile.festival_id == festival.id,
            MatchProfile.organisation_id.in_(set(org_of.values())),
            Meeting.state != "cancelled",
        )
        .order_by(Meeting.starts_at)
    ).all()
    by_org: dict[int, set[Interval]] = defaultdict(set)
    for org_id, start, end in rows:
        by_org[org_id].add((start, end))
    out = {}
    for app_id, org_id in org_of.items():
        if by_org.get(org_id):
            out[app_id] = sorted(by_org[org_id])
    return out


def send_session_reminders(now: dt.datetime | None = None) -> int:
    """Mail each participant with published live meetings in a session starting within its
    festival's ``reminder_minutes`` a list of those meetings — once per person and session (a
    ``SessionReminder`` row; its unique key stops a second run or a parallel one). Returns how
    many mails were queued."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(MatchSession, MatchSettings.reminder_minutes)
        .join(MatchSettings, MatchSettings.festival_id == MatchSession.festival_id)
        .where(MatchSession.starts_at > now, MatchSettings.reminder_minutes > 0)
        .order_by(MatchSession.starts_at, MatchSession.id)
    ).all()
    sessions = [s for s, minutes in rows if s.starts_at <= now + dt.timedelta(minutes=minutes)]
    sent = 0
    for session in sessions:
        meetings = list(
            db.session.scalars(
                sa.select(Meeting)
                .where(
                    Meeting.session_id == session.id,
                    Meeting.state == "scheduled",
                    Meeting.published,
                )
                .order_by(Meeting.starts_at, Meeting.id)
            )
        )
        by_person: dict[int, list[Meeting]] = defaultdict(list)
        for meeting in meetings:
            for seat in meeting.seats:
                by_person[seat.profile_id].append(meeting)
        if not by_person:
            continue
        done = set(
            db.session.scalars(
                sa.select(SessionReminder.profile_id).where(
                    SessionReminder.session_id == session.id
                )
            )
        )
        for profile_id, theirs in sorted(by_person.items()):
            if profile_id in done:
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(SessionReminder(session_id=session.id, profile_id=profile_id))
                    db.session.flush()
            except IntegrityError:
                continue  # another run sent it meanwhile
            notifications.session_reminder(
                db.session.get(MatchProfile, profile_id), session, theirs
            )
            sent += 1
    return sent
