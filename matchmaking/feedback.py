"""Feedback after a meeting: each party rates it (1–5), says whether they want a follow-up and
how interested they are in investing, with an amount range in đồng (an investor: what they
might invest; a startup: what was discussed). One row per meeting and party, editable until a
week after the festival's last day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ
from matchmaking.models import INVEST_INTEREST, MatchProfile, Meeting, MeetingFeedback

EDIT_DAYS = 7
MAX_AMOUNT_VND = 1_000_000_000_000  # a thousand billion đồng: anything above is a typo

ERRORS = {
    "not_party": _l("Only the two people of this meeting can give feedback on it."),
    "not_yet": _l("Feedback opens once the meeting has taken place."),
    "not_held": _l("This meeting did not take place, so there is no feedback to give."),
    "closed": _l("Feedback for this festival is closed (it stays open a week after the last day)."),
    "bad_rating": _l("Choose a rating from 1 to 5."),
    "bad_interest": _l("Choose your interest in investing: none, maybe or yes."),
    "bad_amount": _l("Type an amount in đồng, for example 500.000.000."),
    "amount_order": _l("The lowest amount must not be above the highest amount."),
}

INTEREST_LABELS = {
    "none": _l("No"),
    "maybe": _l("Maybe"),
    "yes": _l("Yes"),
}


class FeedbackError(Exception):
    """``reason`` is a key of ``ERRORS``; ``field`` names the form field at fault, if any."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def message(self) -> str:
        return str(ERRORS[self.reason])


@dataclass
class FeedbackData:
    rating: int | None
    follow_up: bool = False
    invest_interest: str = "none"
    amount_min_vnd: int | None = None
    amount_max_vnd: int | None = None
    note: str = ""


def parse_amount(raw: str | None) -> int | None:
    """'500.000.000', '500,000,000', '500 000 000 đ', '500000000' -> 500000000; '' -> None."""
    text = (raw or "").strip().lower()
    for unit in ("vnđ", "vnd", "đồng", "đ", "₫"):
        text = text.replace(unit, "")
    text = re.sub(r"\s+", " ", text.strip())
    if not text:
        return None
    if re.fullmatch(r"\d+", text) or re.fullmatch(r"\d{1,3}([., ])\d{3}(?:\1\d{3})*", text):
        value = int(re.sub(r"\D", "", text))
        if value <= MAX_AMOUNT_VND:
            return value
    raise FeedbackError("bad_amount")


def deadline(festival: Festival) -> dt.datetime:
    """The end (Vietnam time) of the seventh day after the festival's last day."""
    last = festival.last_day or (utcnow().astimezone(LOCAL_TZ).date())
    day = last + dt.timedelta(days=EDIT_DAYS + 1)
    return dt.datetime.combine(day, dt.time(0), LOCAL_TZ).astimezone(dt.UTC)


def seat_of(meeting: Meeting, profile: MatchProfile | None):
    if profile is None:
        return None
    return next((s for s in meeting.seats if s.profile_id == profile.id), None)


def is_party(meeting: Meeting, profile: MatchProfile | None) -> bool:
    return meeting.published and seat_of(meeting, profile) is not None


def check_open(meeting: Meeting, profile: MatchProfile, now: dt.datetime | None = None) -> None:
    """Raise unless ``profile`` may give (or change) feedback on ``meeting`` now: a party of a
    published meeting that was held, or whose end has passed while their seat is marked
    attended or not marked; not after the deadline."""
    now = now or utcnow()
    seat = seat_of(meeting, profile)
    if seat is None or not meeting.published:
        raise FeedbackError("not_party")
    if meeting.state in ("cancelled", "no_show") or seat.attended is False:
        raise FeedbackError("not_held")
    if meeting.state != "held" and meeting.ends_at > now:
        raise FeedbackError("not_yet")
    festival = db.session.get(Festival, meeting.festival_id)
    if now >= deadline(festival):
        raise FeedbackError("closed")


def can_give(meeting: Meeting, profile: MatchProfile, now: dt.datetime | None = None) -> bool:
    try:
        check_open(meeting, profile, now)
    except FeedbackError:
        return False
    return True


def feedback_of(meeting: Meeting, profile: MatchProfile) -> MeetingFeedback | None:
    return db.session.scalar(
        sa.select(MeetingFeedback).where(
            MeetingFeedback.meeting_id == meeting.id, MeetingFeedback.profile_id == profile.id
        )
    )


def given_for(profile: MatchProfile, meeting_ids: list[int]) -> set[int]:
    """The ids among ``meeting_ids`` the person has given feedback on."""
    if not meeting_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(MeetingFeedback.meeting_id).where(
                MeetingFeedback.profile_id == profile.id,
                MeetingFeedback.meeting_id.in_(meeting_ids),
            )
        )
    )


def validate(data: FeedbackData) -> None:
    if data.rating is None or not 1 <= int(data.rating) <= 5:
        raise FeedbackError("bad_rating", "rating")
    if data.invest_interest not in INVEST_INTEREST:
        raise FeedbackError("bad_interest", "invest_interest")
    for field in ("amount_min_vnd", "amount_max_vnd"):
        value = getattr(data, field)
        if value is not None and not 0 <= value <= MAX_AMOUNT_VND:
            raise FeedbackError("bad_amount", field)
    if (
        data.amount_min_vnd is not None
        and data.amount_max_vnd is not None
        and data.amount_min_vnd > data.amount_max_vnd
    ):
        raise FeedbackError("amount_order", "amount_min_vnd")


def save_feedback(
    meeting: Meeting, profile: MatchProfile, data: FeedbackData, *, now: dt.datetime | None = None
) -> MeetingFeedback:
    """Create or update the party's feedback (one per meeting and party: a second sending
    updates the first). The meeting row is locked so a double submit does not race."""
    db.session.scalar(sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    check_open(meeting, profile, now)
    validate(data)
    feedback = feedback_of(meeting, profile)
    if feedback is None:
        feedback = MeetingFeedback(meeting_id=meeting.id, profile_id=profile.id)
        db.session.add(feedback)
    feedback.rating = int(data.rating)
    feedback.follow_up = bool(data.follow_up)
    feedback.invest_interest = data.invest_interest
    feedback.amount_min_vnd = data.amount_min_vnd
    feedback.amount_max_vnd = data.amount_max_vnd
    feedback.note = (data.note or "").strip()[:5000]
    db.session.flush()
    return feedback
