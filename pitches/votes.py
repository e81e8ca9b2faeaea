"""The audience vote: a checked-in attendee votes once per ticket for a pitch of the published
programme. Nothing here says who a ticket belongs to: the vote keeps the ticket id only, and
the answers name no one."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from eventday.extensions import db
from eventday.festivals.models import Festival
from pitches.models import AudienceVote, PitchApplication, PitchCall
from pitches.stage import published_items
from ticketing import operations as ticketing_ops
from ticketing.checkin.models import Scan
from ticketing.models import Ticket


class VoteError(Exception):
    """``reason``: closed, no_code, unknown_ticket, other_festival, ticket_not_valid,
    not_checked_in, bad_choice, already_voted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def call_of(festival: Festival) -> PitchCall | None:
    return db.session.scalar(sa.select(PitchCall).where(PitchCall.festival_id == festival.id))


def vote_open(festival: Festival) -> bool:
    call = call_of(festival)
    return bool(call and call.audience_vote_open)


# A withdrawn or de-scheduled startup is out of the vote even while its pitch is published.
VOTABLE_STATES = ("scheduled", "pitched", "awarded")


def candidates(festival: Festival) -> list[PitchApplication]:
    """The applications still in the running with a pitch in the published programme, in
    programme order."""
    seen: dict[int, PitchApplication] = {}
    for item in published_items(festival):
        if (
            item.kind == "pitch"
            and item.application is not None
            and item.application.state in VOTABLE_STATES
        ):
            seen.setdefault(item.application.id, item.application)
    return list(seen.values())


def resolve_ticket(festival: Festival, raw: str) -> Ticket:
    """The ticket a typed short code or a scanned QR text names, at this festival."""
    try:
        return ticketing_ops.find_ticket(festival, raw)
    except ticketing_ops.TicketNotFound as exc:
        # Anyone may vote: a typed code is not confirmed to exist at another festival (codes
        # can be guessed; a signed QR cannot).
        guessable = exc.reason == "other_festival" and not exc.signed
        raise VoteError("unknown_ticket" if guessable else exc.reason) from exc


def checked_in(festival: Festival, ticket: Ticket) -> bool:
    """True when a scan at this festival let the ticket in."""
    return (
        db.session.scalar(
            sa.select(Scan.id)
            .where(
                Scan.festival_id == festival.id,
                Scan.ticket_id == ticket.id,
                sa.or_(Scan.admits, sa.and_(Scan.status == "ok", Scan.type == "entry")),
            )
            .limit(1)
        )
        is not None
    )


def cast_vote(festival: Festival, raw_code: str, application_id: int | None) -> AudienceVote:
    """Record one vote for the ticket ``raw_code`` names. The unique (festival, ticket) index
    decides a race between two phones: the loser gets ``already_voted``."""
    if not vote_open(festival):
        raise VoteError("closed")
    ticket = resolve_ticket(festival, raw_code)
    if ticket.state != "valid":
        raise VoteError("ticket_not_valid")
    if not checked_in(festival, ticket):
        raise VoteError("not_checked_in")
    choices = {a.id for a in candidates(festival)}
    if application_id not in choices:
        raise VoteError("bad_choice")
    vote = AudienceVote(festival_id=festival.id, ticket_id=ticket.id, application_id=application_id)
    try:
        with db.session.begin_nested():
            db.session.add(vote)
            db.session.flush()
    except IntegrityError as exc:
        raise VoteError("already_voted") from exc
    return vote


@dataclass
class ResultRow:
    application: PitchApplication
    votes: int
    share: float  # 0..1 of all votes


def results(festival: Festival) -> tuple[list[ResultRow], int]:
    """Votes per candidate (most first, then programme order) and the total."""
    counts = dict(
        db.session.execute(
            sa.select(AudienceVote.application_id, sa.func.count(AudienceVote.id))
            .where(AudienceVote.festival_id == festival.id)
            .group_by(AudienceVote.application_id)
        ).all()
    )
    total = sum(counts.values())
    rows = [
        ResultRow(a, counts.get(a.id, 0), (counts.get(a.id, 0) / total) if total else 0.0)
        for a in candidates(festival)
    ]
    rows.sort(key=lambda r: -r.votes)  # stable: ties keep programme order
    return rows, total


def set_vote_flags(festival: Festival, *, open_: bool, on_projector: bool) -> PitchCall:
    call = call_of(festival)
    if call is None:
        raise VoteError("no_call")
    call.audience_vote_open = open_
    call.audience_vote_on_projector = on_projector
    db.session.flush()
    return call
