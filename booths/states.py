"""A booth's state, derived from its flags and its active booking: never stored."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from booths.models import Booth, BoothApplication, BoothBooking
from eventday.db import utcnow
from eventday.extensions import db


def derive_state(
    blocked: bool,
    application_state: str | None,
    hold_expires_at: dt.datetime | None,
    now: dt.datetime,
) -> str:
    """'blocked', 'held' (an unexpired hold), 'pending' (awaiting approval), 'booked' or
    'available' — an expired hold frees the booth even before the expiry job runs."""
    if blocked:
        return "blocked"
    if application_state == "approved":
        return "booked"
    if application_state == "pending":
        return "pending"
    if application_state == "held" and hold_expires_at is not None and hold_expires_at > now:
        return "held"
    return "available"


def active_bookings_query(festival_id: int) -> sa.Select:
    """Each booth of the festival with its active booking's application (if any)."""
    return (
        sa.select(
            Booth.id,
            Booth.blocked,
            BoothApplication.state,
            BoothApplication.hold_expires_at,
            BoothApplication.id,
            BoothApplication.exhibitor_id,
        )
        .outerjoin(BoothBooking, sa.and_(BoothBooking.booth_id == Booth.id, BoothBooking.active))
        .outerjoin(BoothApplication, BoothApplication.id == BoothBooking.application_id)
        .where(Booth.festival_id == festival_id)
    )


def booth_states(festival_id: int, now: dt.datetime | None = None) -> dict[int, str]:
    """Every booth's state in one query."""
    now = now or utcnow()
    return {
        booth_id: derive_state(blocked, state, expires, now)
        for booth_id, blocked, state, expires, _app, _exhibitor in db.session.execute(
            active_bookings_query(festival_id)
        )
    }


def booth_occupants(festival_id: int, now: dt.datetime | None = None) -> dict[int, tuple]:
    """booth id -> (state, application id or None, exhibitor id or None), one query."""
    now = now or utcnow()
    out = {}
    for booth_id, blocked, state, expires, app_id, exhibitor_id in db.session.execute(
        active_bookings_query(festival_id)
    ):
        derived = derive_state(blocked, state, expires, now)
        keeps = derived in ("held", "pending", "booked")
        out[booth_id] = (derived, app_id if keeps else None, exhibitor_id if keeps else None)
    return out
