"""Instant booking, moving and cancelling meetings, the scheduling instance, and the
cross-package ``confirmed_meetings``."""

import datetime as dt

import pytest
import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ
from eventday.mail import OutboxMail
from matchmaking import booking, operations, slots
from matchmaking.models import MatchBlock, Meeting, MeetingRequest, MeetingSeat


def local(festival, hm, day=0):
    return dt.datetime.combine(festival.days[day].day, dt.time(*hm), LOCAL_TZ).astimezone(dt.UTC)


def accepted(sender, recipient, **fields):
    request = MeetingRequest(
        festival_id=sender.festival_id,
        sender_id=sender.id,
        recipient_id=recipient.id,
        pair_low=min(sender.id, recipient.id),
        pair_high=max(sender.id, recipient.id),
        state="accepted",
        expires_at=utcnow() + dt.timedelta(hours=48),
        **fields,
    )
    db.session.add(request)
    db.session.flush()
    return request


def mails(template=None):
    stmt = sa.select(OutboxMail.recipient, OutboxMail.template).order_by(OutboxMail.id)
    if template:
        stmt = stmt.where(OutboxMail.template == template)
    return list(db.session.execute(stmt))


@pytest.fixture
def world(mm_festival, create_profile, create_session, create_tables):
    festival = mm_festival()
    session = create_session(festival, start=(9, 0), end=(10, 0), slot_minutes=20)
    tables = create_tables(festival, n=2)
    fund = create_profile(festival, "fund")
    startups = [create_profile(festival, "startup") for _ in range(4)]
    return festival, session, tables, fund, startups


def test_instant_booking_takes_the_earliest_slot_and_lowest_table(world):
    festival, session, tables, fund, (a, b, c, _) = world
    first = booking.book_instant(accepted(a, fund))
    assert (first.starts_at, first.table_id) == (local(festival, (9, 0)), tables[0].id)
    assert first.published and first.state == "scheduled" and first.sequence == 0
    assert first.uid.startswith("meeting-") and first.uid.endswith("@eventday")
    assert sorted(s.profile_id for s in first.seats) == sorted([a.id, fund.id])
    assert all(s.starts_at == first.starts_at and s.active for s in first.seats)
    # The fund is busy at 9:00: the next request with the fund goes to 9:20.
    second = booking.book_instant(accepted(b, fund))
    assert second.starts_at == local(festival, (9, 20))
    # Another pair is free at 9:00, but table 1 is taken there: table 2.
    other = booking.book_instant(accepted(c, b))
    assert (other.starts_at, other.table_id) == (local(festival, (9, 0)), tables[1].id)
    assert mails("matchmaking_meeting_confirmed") == [
        (first.request.sender.user.email, "matchmaking_meeting_confirmed"),
        (fund.user.email, "matchmaking_meeting_confirmed"),
        (b.user.email, "matchmaking_meeting_confirmed"),
        (fund.user.email, "matchmaking_meeting_confirmed"),
        (c.user.email, "matchmaking_meeting_confirmed"),
        (b.user.email, "matchmaking_meeting_confirmed"),
    ]
    assert booking.person_meetings(fund) == [first, second]


def test_a_full_slot_moves_the_meeting_on(world, create_profile):
    festival, session, tables, fund, (a, b, c, d) = world
    booking.book_instant(accepted(a, fund))
    booking.book_instant(accepted(c, b))  # both tables taken at 9:00
    meeting = booking.book_instant(accepted(d, create_profile(festival, "angel")))
    assert meeting.starts_at == local(festival, (9, 20)) and meeting.table_id == tables[0].id


def test_overlapping_sessions_are_checked_by_overlap_not_equal_start(
    world, create_session, create_profile
):
    festival, session, tables, fund, (a, b, *_) = world
    # A second session on another grid, 9:10–10:10: its 9:10 slot overlaps 9:00–9:20.
    create_session(festival, start=(9, 10), end=(10, 10), slot_minutes=20)
    db.session.add(
        MatchBlock(
            profile_id=a.id, starts_at=local(festival, (9, 0)), ends_at=local(festival, (9, 5))
        )
    )
    db.session.flush()
    first = booking.book_instant(accepted(b, fund))
    assert first.starts_at == local(festival, (9, 0))
    # a is blocked at 9:00; the fund is in a meeting until 9:20, so 9:10 overlaps: 9:20.
    second = booking.book_instant(accepted(a, fund))
    assert second.starts_at == local(festival, (9, 20))


def test_blocked_times_are_respected(world):
    festival, session, tables, fund, (a, *_) = world
    db.session.add(
        MatchBlock(
            profile_id=fund.id, starts_at=local(festival, (8, 30)), ends_at=local(festival, (9, 30))
        )
    )
    db.session.flush()
    meeting = booking.book_instant(accepted(a, fund))
    assert meeting.starts_at == local(festival, (9, 40))


def test_a_fixed_table_is_used_by_its_participant(
    mm_festival, create_profile, create_session, create_tables
):
    festival = mm_festival()
    create_session(festival, start=(9, 0), end=(10, 0))
    fund = create_profile(festival, "fund")
    startup = create_profile(festival)
    tables = create_tables(festival, n=3, fixed={3: fund})
    meeting = booking.book_instant(accepted(startup, fund))
    assert meeting.table_id == tables[2].id


def test_caps_festival_and_personal(world):
    festival, session, tables, fund, (a, b, c, d) = world
    fund.max_meetings = 2
    db.session.flush()
    assert booking.book_instant(accepted(a, fund)) is not None
    assert booking.book_instant(accepted(b, fund)) is not None
    assert booking.book_instant(accepted(c, fund)) is None
    settings = booking.settings_for(festival)
    settings.max_meetings = 1
    assert booking.meeting_cap(fund, settings) == 1
    assert booking.book_instant(accepted(d, a)) is None  # a already has one meeting
    fund.max_meetings = None
    assert booking.meeting_cap(fund, settings) == 1


def test_nothing_free_leaves_the_request_accepted(world):
    festival, session, tables, fund, (a, b, c, d) = world
    for s in (a, b, c):
        assert booking.book_instant(accepted(s, fund)) is not None
    request = accepted(d, fund)
    assert booking.book_instant(request) is None
    assert request.state == "accepted" and booking.live_meeting_of(request) is None


def test_move_reports_conflicts_and_moves(world):
    festival, session, tables, fund, (a, b, c, _) = world
    m1 = booking.book_instant(accepted(a, fund))  # 9:00 table 1
    booking.book_instant(accepted(b, fund))  # 9:20 table 1
    m3 = booking.book_instant(accepted(c, b))  # 9:00 table 2
    before = len(mails())
    # The fund is busy at 9:20; table 2 is taken at 9:00.
    found = booking.move_meeting(m1, local(festival, (9, 20)), tables[1].id, actor=None)
    assert len(found) == 1 and fund.display_name in found[0]
    found = booking.move_meeting(m1, local(festival, (9, 0)), tables[1].id, actor=None)
    assert len(found) == 1
    assert booking.move_meeting(m1, local(festival, (9, 5)), tables[0].id, actor=None)
    db.session.add(
        MatchBlock(
            profile_id=a.id, starts_at=local(festival, (9, 40)), ends_at=local(festival, (10, 0))
        )
    )
    db.session.flush()
    found = booking.move_meeting(m1, local(festival, (9, 40)), tables[0].id, actor=None)
    assert len(found) == 1 and a.display_name in found[0]
    assert m1.starts_at == local(festival, (9, 0)) and m1.sequence == 0
    assert len(mails()) == before
    # Move m3 to 9:40 at table 2: free for b and c.
    assert booking.move_meeting(m3, local(festival, (9, 40)), tables[1].id, actor=None) == []
    assert m3.starts_at == local(festival, (9, 40)) and m3.sequence == 1
    assert all(s.starts_at == m3.starts_at for s in m3.seats)
    assert [t for _, t in mails()[before:]] == ["matchmaking_meeting_changed"] * 2


def test_move_to_another_participants_own_table_is_refused(
    mm_festival, create_profile, create_session, create_tables
):
    festival = mm_festival()
    create_session(festival, start=(9, 0), end=(10, 0))
    fund = create_profile(festival, "fund")
    startup = create_profile(festival)
    tables = create_tables(festival, n=2, fixed={1: fund})
    meeting = booking.book_instant(accepted(startup, fund))
    assert meeting.table_id == tables[0].id
    found = booking.move_meeting(meeting, local(festival, (9, 20)), tables[1].id, actor=None)
    assert len(found) == 1 and fund.display_name in found[0]
    assert booking.move_meeting(meeting, local(festival, (9, 20)), tables[0].id, actor=None) == []


def test_cancel_frees_the_seats(world):
    festival, session, tables, fund, (a, b, *_) = world
    meeting = booking.book_instant(accepted(a, fund))
    before = len(mails())
    booking.cancel_meeting(meeting, reason="Quỹ bận", actor=None)
    assert meeting.state == "cancelled" and meeting.sequence == 1
    assert meeting.cancel_reason == "Quỹ bận"
    assert not any(s.active for s in meeting.seats)
    assert meeting.request.state == "cancelled"
    assert [t for _, t in mails()[before:]] == ["matchmaking_meeting_cancelled"] * 2
    assert booking.person_meetings(fund) == []
    # The slot is free again.
    assert booking.book_instant(accepted(b, fund)).starts_at == meeting.starts_at
    # keep_request: the request stays accepted for the next batch run.
    again = booking.person_meetings(fund)[0]
    booking.cancel_meeting(again, reason="", actor=None, keep_request=True)
    assert again.request.state == "accepted"


def test_seats_unique_index_backs_up_the_rule(world):
    festival, session, tables, fund, (a, b, *_) = world
    grid = slots.festival_slots(festival)
    booking.create_meeting(accepted(a, fund), grid[0], tables[0].id, published=False)
    with pytest.raises(booking.BookingConflict):
        booking.create_meeting(accepted(b, fund), grid[0], tables[1].id, published=False)
    # The failed insert is rolled back to its savepoint: the session goes on.
    assert db.session.scalar(sa.select(sa.func.count(MeetingSeat.id))) == 2


def test_load_instance_locks_published_and_keeps_unpublished_as_previous(world):
    festival, session, tables, fund, (a, b, c, d) = world
    grid = slots.festival_slots(festival)
    published = booking.create_meeting(accepted(a, fund), grid[0], tables[0].id, published=True)
    draft = booking.create_meeting(accepted(b, fund), grid[1], tables[0].id, published=False)
    waiting = accepted(c, d, priority="must")
    accepted(d, a, mutual=True)
    pending = accepted(b, c)
    pending.state = "pending"
    db.session.flush()
    instance, ctx = booking.load_instance(festival)
    assert [p.request_id for p in instance.locked] == [published.request_id]
    assert instance.previous[draft.request_id].slot_id == grid[1].id
    weights = {r.id: r.weight for r in instance.requests}
    assert pending.id not in weights and weights[waiting.id] == 3
    assert sorted(weights.values()) == [1, 1, 2, 3]
    assert instance.caps[fund.id] == 12 and instance.tables == [t.id for t in tables]
    assert ctx.meetings[draft.request_id] is draft and ctx.slots[grid[0].id] == grid[0]
    instance, _ = booking.load_instance(festival, include_unpublished_as_locked=True)
    assert len(instance.locked) == 2 and not instance.previous


def test_off_grid_locked_meetings_keep_their_time(world):
    festival, session, tables, fund, (a, b, *_) = world
    grid = slots.festival_slots(festival)
    meeting = booking.create_meeting(accepted(a, fund), grid[0], tables[0].id, published=True)
    session.slot_minutes = 30  # the grid changes under a published meeting
    db.session.flush()
    instance, ctx = booking.load_instance(festival)
    slot_id = ctx.off_grid[meeting.id]
    assert ctx.slots[slot_id].start == meeting.starts_at
    # Nobody but the meeting's own parties may use its slot.
    others = [p for p in instance.caps if p not in (a.id, fund.id)]
    assert others and all(slot_id in instance.unavailable[p] for p in others)
    assert all(slot_id not in instance.unavailable.get(p, ()) for p in (a.id, fund.id))
    # Instant booking does not overlap it: 9:00–9:30 overlaps 9:00–9:20, next 9:30.
    assert booking.book_instant(accepted(b, fund)).starts_at == local(festival, (9, 30))


def test_an_off_grid_locked_meeting_passes_the_checker(world, create_profile):
    """Its parties are available in their own placeholder slot (they meet there), so the
    checker accepts the schedules built around it; both parties stay busy there."""
    from matchmaking import scheduler
    from matchmaking.checker import verify

    festival, session, tables, fund, (a, b, c, _) = world
    grid = slots.festival_slots(festival)
    meeting = booking.create_meeting(accepted(a, fund), grid[0], tables[0].id, published=True)
    accepted(b, fund)
    accepted(a, c)
    accepted(c, b)
    session.slot_minutes = 30  # the grid changes under a published meeting
    db.session.flush()
    instance, ctx = booking.load_instance(festival)
    placeholder = ctx.off_grid[meeting.id]
    assert scheduler.Placement(meeting.request_id, placeholder, tables[0].id) in instance.locked
    for result in (scheduler.solve(instance, time_limit=2.0), scheduler.greedy(instance)):
        assert verify(instance, result) == []
        assert len(result.placements) == 4  # the locked one and the three requests
        there = [p for p in result.placements if p.slot_id == placeholder]
        assert [p.request_id for p in there] == [meeting.request_id]


def test_confirmed_meetings_for_pitch_applications(world):
    from pitches.models import PitchApplication

    festival, session, tables, fund, (a, b, *_) = world
    application = PitchApplication(
        festival_id=festival.id, organisation_id=a.organisation_id, title="X", title_folded="x"
    )
    other = PitchApplication(
        festival_id=festival.id, organisation_id=b.organisation_id, title="Y", title_folded="y"
    )
    db.session.add_all([application, other])
    db.session.flush()
    meeting = booking.book_instant(accepted(a, fund))
    cancelled = booking.book_instant(accepted(b, fund))
    booking.cancel_meeting(cancelled, reason="", actor=None)
    got = operations.confirmed_meetings(festival, [application.id, other.id])
    assert got == {application.id: [(meeting.starts_at, meeting.ends_at)]}
    assert operations.confirmed_meetings(festival, []) == {}
    from pitches.schedule import matchmaking_busy

    assert matchmaking_busy(festival, [application.id]) == got
    assert db.session.get(Meeting, meeting.id).state == "scheduled"


def test_move_onto_a_third_persons_fixed_table_is_refused(
    mm_festival, create_profile, create_session, create_tables
):
    """A table fixed to someone hosts only that person's meetings (the manual move's rule)."""
    festival = mm_festival()
    create_session(festival, start=(9, 0), end=(10, 0))
    bank = create_profile(festival, "bank", name="Ngân hàng Hợp tác")
    fund, startup = create_profile(festival, "fund"), create_profile(festival)
    tables = create_tables(festival, n=3, fixed={2: bank})
    meeting = booking.book_instant(accepted(startup, fund))
    assert meeting.table_id == tables[0].id
    found = booking.move_meeting(meeting, local(festival, (9, 20)), tables[1].id, actor=None)
    assert len(found) == 1 and bank.display_name in found[0] and "2" in found[0]
    assert (meeting.table_id, meeting.starts_at, meeting.sequence) == (
        tables[0].id,
        local(festival, (9, 0)),
        0,
    )
    assert booking.placement_conflicts(
        meeting.request, meeting.starts_at, meeting.ends_at, tables[1], ignore_meeting_id=meeting.id
    )
    # The owner's own meetings may use it; a free table still takes anybody.
    assert (
        booking.placement_conflicts(
            accepted(startup, bank), meeting.ends_at, local(festival, (9, 40)), tables[1]
        )
        == []
    )
    assert booking.move_meeting(meeting, local(festival, (9, 20)), tables[2].id, actor=None) == []


@pytest.mark.parametrize("state", ["held", "no_show"])
def test_cancel_refuses_a_meeting_that_took_place(world, state):
    festival, session, tables, fund, (a, *_) = world
    meeting = booking.book_instant(accepted(a, fund))
    meeting.state = state
    db.session.flush()
    before = len(mails())
    with pytest.raises(booking.MeetingError) as err:
        booking.cancel_meeting(meeting, reason="", actor=None)
    assert err.value.code == "not_scheduled" and err.value.message
    assert (meeting.state, meeting.sequence, meeting.request.state) == (state, 0, "accepted")
    assert all(s.active for s in meeting.seats) and len(mails()) == before
    # A meeting already cancelled is left alone (no second mail, no second sequence bump).
    meeting.state = "scheduled"
    booking.cancel_meeting(meeting, reason="", actor=None)
    booking.cancel_meeting(meeting, reason="", actor=None)
    assert meeting.sequence == 1 and len(mails()) == before + 2
