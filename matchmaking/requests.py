"""Meeting requests: send, accept (mutual or not, booking at once in instant mode), decline with
a reason, cancel (either party; cancels the meeting too), and expiry of unanswered requests.

Caps: a person has at most ``settings.max_requests_sent`` pending requests sent, and at most
``booking.meeting_cap`` accepted requests (each is a meeting, held or to be scheduled).

Locking, in this order: the pair's live requests (or the request being answered), the
festival's settings row, the meeting, the two persons' rows by id (see ``booking``). Two
people asking each other at the same moment end with one accepted, mutual request (the second
one waits for the first's locks, then finds its request)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from matchmaking import booking, notifications
from matchmaking.models import (
    DECLINE_REASONS,
    LIVE_REQUEST_STATES,
    PRIORITIES,
    MatchProfile,
    Meeting,
    MeetingRequest,
)

MESSAGE_MAX = 1000
NOTE_MAX = 500


class RequestError(Exception):
    """A translated message for the user; ``code`` names the case for tests and callers."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def _now(now: dt.datetime | None = None) -> dt.datetime:
    return now or utcnow()


def lock_request(request_id: int) -> MeetingRequest | None:
    """The request, locked FOR UPDATE and re-read (what another transaction committed)."""
    return db.session.scalar(
        sa.select(MeetingRequest)
        .where(MeetingRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def live_request_between(a: MatchProfile, b: MatchProfile, *, lock=False) -> MeetingRequest | None:
    stmt = sa.select(MeetingRequest).where(
        MeetingRequest.festival_id == a.festival_id,
        MeetingRequest.pair_low == min(a.id, b.id),
        MeetingRequest.pair_high == max(a.id, b.id),
        MeetingRequest.state.in_(LIVE_REQUEST_STATES),
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def pending_sent_count(profile: MatchProfile, now: dt.datetime | None = None) -> int:
    """Requests the person sent that still wait for an answer (not yet past their expiry:
    an overdue one is as good as expired, whether or not ``expire_due`` ran yet)."""
    return db.session.scalar(
        sa.select(sa.func.count(MeetingRequest.id)).where(
            MeetingRequest.sender_id == profile.id,
            MeetingRequest.state == "pending",
            MeetingRequest.expires_at > _now(now),
        )
    )


def accepted_count(profile: MatchProfile) -> int:
    """Accepted requests of the person, either side: their meetings, held or to be placed."""
    return db.session.scalar(
        sa.select(sa.func.count(MeetingRequest.id)).where(
            MeetingRequest.state == "accepted",
            sa.or_(
                MeetingRequest.sender_id == profile.id, MeetingRequest.recipient_id == profile.id
            ),
        )
    )


def _check_meeting_cap(profile: MatchProfile, settings, *, own: bool) -> None:
    cap = booking.meeting_cap(profile, settings)
    if accepted_count(profile) >= cap:
        if own:
            raise RequestError(
                _("You have reached your limit of %(n)s meetings.", n=cap), "meeting_cap"
            )
        raise RequestError(
            _("%(name)s has reached their limit of meetings.", name=profile.display_name),
            "other_meeting_cap",
        )


def send_request(
    sender: MatchProfile, recipient: MatchProfile, message: str = "", priority: str = "want"
) -> MeetingRequest:
    """Ask ``recipient`` for a meeting. If the recipient had already asked the sender, that
    request is accepted as mutual instead (and returned)."""
    festival = db.session.get(Festival, sender.festival_id)
    settings = booking.settings_for(festival)
    message = (message or "").strip()
    if not settings.is_open:
        raise RequestError(_("Meeting requests are closed for this festival."), "closed")
    if sender.id == recipient.id:
        raise RequestError(_("You cannot ask yourself for a meeting."), "self")
    if recipient.festival_id != sender.festival_id:
        raise RequestError(_("This participant is not at this festival."), "other_festival")
    if priority not in PRIORITIES:
        raise RequestError(_("Choose how much you want this meeting."), "priority")
    if len(message) > MESSAGE_MAX:
        raise RequestError(
            _("Your message is too long (at most %(n)s characters).", n=MESSAGE_MAX), "message"
        )
    existing = live_request_between(sender, recipient, lock=True)
    booking.lock_festival(festival)
    booking.lock_profiles(sender, recipient)
    existing = existing or live_request_between(sender, recipient, lock=True)
    if existing is not None and existing.state == "pending" and existing.expires_at <= _now():
        existing.state = "expired"  # its time is up: expire it now instead of answering it
        existing.responded_at = _now()
        db.session.flush()
        notifications.request_expired(existing)
        existing = None
    if existing is not None:
        if existing.state == "accepted":
            raise RequestError(
                _("You already have a meeting with %(name)s.", name=recipient.display_name),
                "already_meeting",
            )
        if existing.sender_id == sender.id:
            raise RequestError(
                _("You have already asked %(name)s for a meeting.", name=recipient.display_name),
                "duplicate",
            )
        # The recipient asked first: this is the sender's answer, yes and "me too".
        if priority == "must":  # the sender's "must meet" is not lost on the mutual request
            existing.priority = "must"
        accept(existing, sender.user, mutual=True)
        return existing
    if not recipient.visible:
        raise RequestError(_("This participant is not taking requests."), "invisible")
    if pending_sent_count(sender) >= settings.max_requests_sent:
        raise RequestError(
            _(
                "You have %(n)s requests waiting for an answer, the most allowed. Wait for "
                "answers or cancel one.",
                n=settings.max_requests_sent,
            ),
            "request_cap",
        )
    _check_meeting_cap(sender, settings, own=True)
    request = MeetingRequest(
        festival_id=festival.id,
        sender_id=sender.id,
        recipient_id=recipient.id,
        pair_low=min(sender.id, recipient.id),
        pair_high=max(sender.id, recipient.id),
        message=message,
        priority=priority,
        state="pending",
        expires_at=_now() + dt.timedelta(hours=settings.request_expiry_hours),
    )
    db.session.add(request)
    db.session.flush()
    notifications.request_received(request)
    return request


def _answerable(request: MeetingRequest, actor, now: dt.datetime | None = None) -> None:
    if actor is None or request.recipient.user_id != actor.id:
        raise RequestError(_("Only the person asked can answer this request."), "not_recipient")
    if request.state != "pending":
        raise RequestError(_("This request is no longer waiting for an answer."), "not_pending")
    if request.expires_at <= _now(now):
        raise RequestError(_("This request has expired."), "expired")


def accept(request: MeetingRequest, actor, mutual: bool = False) -> Meeting | None:
    """The recipient says yes (``mutual``: they want it too). In instant mode the earliest
    slot and table free for both is booked and both are mailed the meeting; otherwise (or when
    nothing is free) the sender is mailed that the time follows. Returns the meeting or None."""
    _answerable(request, actor)
    festival = db.session.get(Festival, request.festival_id)
    # The settings as committed now, read under the festival lock (not a copy read before).
    settings = booking.lock_festival(festival)
    booking.lock_profiles(request.sender, request.recipient)
    _check_meeting_cap(request.recipient, settings, own=True)
    _check_meeting_cap(request.sender, settings, own=False)
    request.state = "accepted"
    request.mutual = request.mutual or bool(mutual)
    request.responded_at = _now()
    db.session.flush()
    meeting = booking.book_instant(request) if settings.instant_booking else None
    if meeting is None:
        notifications.request_accepted(request)
    return meeting


def decline(request: MeetingRequest, actor, reason: str, note: str = "") -> None:
    """The recipient says no, with a reason (and an optional note the sender reads)."""
    _answerable(request, actor)
    note = (note or "").strip()
    if reason not in DECLINE_REASONS:
        raise RequestError(_("Choose a reason."), "reason")
    if len(note) > NOTE_MAX:
        raise RequestError(
            _("Your note is too long (at most %(n)s characters).", n=NOTE_MAX), "note"
        )
    request.state = "declined"
    request.decline_reason = reason
    request.decline_note = note
    request.responded_at = _now()
    db.session.flush()
    notifications.request_declined(request)


def cancel(request: MeetingRequest, actor) -> None:
    """Either party withdraws: a pending request is withdrawn, an accepted one is called off
    with its meeting (both mailed if the meeting was published)."""
    if actor is None or actor.id not in (request.sender.user_id, request.recipient.user_id):
        raise RequestError(_("Only the two participants can cancel this request."), "not_party")
    # Lock order: the request, the festival (a batch run in progress finishes first, so it
    # never writes a meeting for a request cancelled meanwhile), then the meeting.
    request = lock_request(request.id)
    booking.lock_festival(db.session.get(Festival, request.festival_id))
    if request.state not in LIVE_REQUEST_STATES:
        raise RequestError(_("This request is no longer open."), "not_live")
    meeting = booking.live_meeting_of(request)
    if meeting is not None and meeting.state in ("held", "no_show"):
        raise RequestError(
            _("This meeting has already taken place and can no longer be cancelled."), "past"
        )
    was_pending = request.state == "pending"
    request.state = "cancelled"
    request.responded_at = request.responded_at or _now()
    db.session.flush()
    if was_pending:  # the other side was asked to answer: tell them it is off
        notifications.request_withdrawn(request, actor)
    if meeting is not None:
        booking.cancel_meeting(meeting, reason="", actor=actor)


def expire_due(now: dt.datetime | None = None) -> int:
    """Pending requests past their time become expired (the sender is mailed). Returns how
    many. Rows another transaction holds are skipped (they are being answered)."""
    now = _now(now)
    due = list(
        db.session.scalars(
            sa.select(MeetingRequest)
            .where(MeetingRequest.state == "pending", MeetingRequest.expires_at <= now)
            .order_by(MeetingRequest.id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    for request in due:
        request.state = "expired"
        request.responded_at = now
    db.session.flush()
    for request in due:
        notifications.request_expired(request)
    return len(due)


# --- what the requests page shows ------------------------------------------------------------


def incoming(profile: MatchProfile) -> list[MeetingRequest]:
    """Requests to the person: pending first (oldest first, they expire first), then the rest
    newest first."""
    rows = list(
        db.session.scalars(
            sa.select(MeetingRequest).where(MeetingRequest.recipient_id == profile.id)
        )
    )
    pending = sorted((r for r in rows if r.state == "pending"), key=lambda r: r.expires_at)
    rest = sorted((r for r in rows if r.state != "pending"), key=lambda r: r.id, reverse=True)
    return pending + rest


def outgoing(profile: MatchProfile) -> list[MeetingRequest]:
    return list(
        db.session.scalars(
            sa.select(MeetingRequest)
            .where(MeetingRequest.sender_id == profile.id)
            .order_by(MeetingRequest.id.desc())
        )
    )


def meetings_by_request(request_ids) -> dict[int, Meeting]:
    """The published live meetings of these requests. Drafts of a batch run are the
    organizers' business until published: the parties see "waiting for the schedule"."""
    ids = list(request_ids)
    if not ids:
        return {}
    return {
        m.request_id: m
        for m in db.session.scalars(
            sa.select(Meeting).where(
                Meeting.request_id.in_(ids),
                Meeting.state != "cancelled",
                Meeting.published.is_(True),
            )
        )
    }
