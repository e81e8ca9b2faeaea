"""The participant's agenda (own published meetings only, now/next, waiting requests), the table
sheets (who may mark, ticks and closing, ticket scans by short code and QR) and feedback after
a meeting (validation, one row per party, who may give it)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import FestivalRole
from eventday.i18n import LOCAL_TZ
from matchmaking import attendance, booking, feedback
from matchmaking.agenda_views import agenda_groups
from matchmaking.models import (
    MatchSettings,
    MatchTable,
    Meeting,
    MeetingFeedback,
    MeetingRequest,
)
from matchmaking.scheduler import Slot
from tests.conftest import csrf_token, en, vi
from ticketing import operations as ticket_ops
from ticketing import signing
from ticketing.models import TicketType

# --------------------------------------------------------------------------- helpers


def accepted(sender, recipient, message="", state="accepted") -> MeetingRequest:
    request = MeetingRequest(
        festival_id=sender.festival_id,
        sender_id=sender.id,
        recipient_id=recipient.id,
        pair_low=min(sender.id, recipient.id),
        pair_high=max(sender.id, recipient.id),
        message=message,
        state=state,
        expires_at=utcnow() + dt.timedelta(hours=48),
    )
    db.session.add(request)
    db.session.flush()
    return request


def make_meeting(a, b, table, session, start, *, minutes=20, published=True, message="") -> Meeting:
    """An accepted request from ``a`` to ``b`` and its meeting at ``start`` (any time: the
    helper builds its own slot)."""
    request = accepted(a, b, message)
    slot = Slot(session.id * 1000 + 999, start, start + dt.timedelta(minutes=minutes), session.id)
    meeting = booking.create_meeting(request, slot, table.id, published=published)
    db.session.commit()
    return meeting


def local(festival, hm, day=0) -> dt.datetime:
    return dt.datetime.combine(festival.days[day].day, dt.time(*hm), LOCAL_TZ).astimezone(dt.UTC)


def post(client, path: str, data: dict):
    """POST with the session's CSRF token (read from the home page's forms)."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data})


def meeting_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-meeting-id="(\d+)"', html)]


@pytest.fixture
def running_festival(create_festival):
    """A published festival that began yesterday (its second day is today), matchmaking open."""

    def make():
        start = dt.datetime.now(LOCAL_TZ).date() - dt.timedelta(days=1)
        festival = create_festival(state="published", start=start)
        db.session.add(MatchSettings(festival_id=festival.id, is_open=True))
        db.session.commit()
        return festival

    return make


@pytest.fixture
def world(running_festival, create_user, create_profile, create_session, create_tables):
    """A fund hosting table 1, two startups, an angel; yesterday's session 9:00–11:00."""

    class World:
        festival = running_festival()
        fund = create_profile(
            festival,
            "fund",
            user=create_user(locale="en"),
            name="Quỹ Phát triển Quảng Nam",
            headline_vi="Đầu tư nông nghiệp",
            headline_en="We invest in farming",
        )
        startup = create_profile(
            festival, "startup", user=create_user(locale="en"), name="Trà Tây Giang"
        )
        other = create_profile(festival, "startup", user=create_user(locale="en"))
        angel = create_profile(festival, "angel", user=create_user(locale="en"))
        tables = create_tables(festival, n=3, fixed={1: fund})
        session = create_session(festival, day=0)

    return World


# --------------------------------------------------------------------------- agenda


def test_the_agenda_shows_only_my_published_meetings(client, auth, world):
    w = world
    mine = make_meeting(
        w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)), message="Xin gặp"
    )
    theirs = make_meeting(w.other, w.angel, w.tables[1], w.session, local(w.festival, (9, 0)))
    draft = make_meeting(
        w.angel, w.startup, w.tables[2], w.session, local(w.festival, (9, 20)), published=False
    )
    gone = make_meeting(w.other, w.startup, w.tables[1], w.session, local(w.festival, (9, 40)))
    booking.cancel_meeting(gone, reason="Ốm")
    # The draft's request is accepted but has no published meeting: "waiting".
    waiting = db.session.get(MeetingRequest, draft.request_id)

    auth.login(w.startup.user)
    response = client.get(f"/f/{w.festival.slug}/matchmaking/agenda")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert meeting_ids(html) == [mine.id]
    assert theirs.id not in meeting_ids(html) and draft.id not in meeting_ids(html)
    article = re.search(rf'<article[^>]*data-meeting-id="{mine.id}"[^>]*>', html).group(0)
    assert f'data-table="{w.tables[0].number}"' in article
    assert f'data-start="{mine.starts_at.isoformat()}"' in article
    assert "Quỹ Phát triển Quảng Nam" in html and "We invest in farming" in html
    assert "Xin gặp" in html
    # The draft's request is accepted and has no published meeting: waiting for the schedule.
    assert f'data-request-id="{waiting.id}"' in html
    # The cancelled meeting is listed apart, not as a meeting of the agenda.
    assert f'data-cancelled-meeting-id="{gone.id}"' in html
    # Yesterday's meeting is over: feedback is due.
    assert 'data-feedback="due"' in html
    assert f"/f/{w.festival.slug}/matchmaking/feed/{w.startup.feed_token}.ics" in html


def test_now_and_next_follow_the_clock(world):
    w = world
    first = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    second = make_meeting(w.angel, w.startup, w.tables[1], w.session, local(w.festival, (9, 20)))
    third = make_meeting(w.other, w.startup, w.tables[2], w.session, local(w.festival, (9, 40)))
    groups, _ = agenda_groups(w.startup, now=local(w.festival, (9, 25)))
    entries = groups[0].entries
    assert [e.meeting.id for e in entries] == [first.id, second.id, third.id]
    assert [(e.is_now, e.is_next, e.past) for e in entries] == [
        (False, False, True),
        (True, False, False),
        (False, True, False),
    ]
    assert entries[1].other.id == w.angel.id


def test_the_agenda_needs_a_profile(client, auth, world, create_user):
    path = f"/f/{world.festival.slug}/matchmaking/agenda"
    assert client.get(path).status_code == 302  # to the login page
    auth.login(create_user())
    assert client.get(path).status_code in (302, 403)


def test_meeting_ics_download_is_for_the_two_parties(client, auth, world):
    w = world
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    draft = make_meeting(
        w.fund, w.other, w.tables[0], w.session, local(w.festival, (9, 20)), published=False
    )
    path = f"/f/{w.festival.slug}/matchmaking/agenda/meetings/{meeting.id}.ics"
    auth.login(w.startup.user)
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"Meet Qu" in response.data
    auth.logout()
    auth.login(w.other.user)
    assert client.get(path).status_code == 404
    assert (
        client.get(f"/f/{w.festival.slug}/matchmaking/agenda/meetings/{draft.id}.ics").status_code
        == 404
    )


# --------------------------------------------------------------------------- attendance


def sheet_path(w, table) -> str:
    return f"/f/{w.festival.slug}/matchmaking/attendance/tables/{table.id}"


def mark_path(w, seat) -> str:
    return f"/f/{w.festival.slug}/matchmaking/attendance/seats/{seat.id}"


def seat_of(meeting, profile):
    return next(s for s in meeting.seats if s.profile_id == profile.id)


def test_who_may_keep_a_table_sheet(client, auth, world, create_user):
    w = world
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    seat = seat_of(meeting, w.startup)
    # Another participant may neither see the sheet nor tick a seat.
    auth.login(w.other.user)
    assert client.get(sheet_path(w, w.tables[0])).status_code == 403
    assert post(client, mark_path(w, seat), {"attended": "1"}).status_code == 403
    db.session.refresh(seat)
    assert seat.attended is None
    # The startup itself neither (it does not host the table).
    auth.logout()
    auth.login(w.startup.user)
    assert post(client, mark_path(w, seat), {"attended": "1"}).status_code == 403
    # Staff see every table, the host their own; staff and the organizer see the index.
    auth.logout()
    staff = create_user()
    db.session.add(FestivalRole(festival_id=w.festival.id, user_id=staff.id, role="staff"))
    db.session.commit()
    auth.login(staff)
    assert client.get(sheet_path(w, w.tables[1])).status_code == 200
    assert client.get(f"/f/{w.festival.slug}/manage/matchmaking/attendance").status_code == 200
    auth.logout()
    auth.login(w.fund.user)
    assert client.get(sheet_path(w, w.tables[1])).status_code == 403
    assert client.get(f"/f/{w.festival.slug}/manage/matchmaking/attendance").status_code == 403
    day = w.festival.days[0].day.isoformat()
    response = client.get(sheet_path(w, w.tables[0]) + f"?day={day}")
    assert response.status_code == 200
    assert meeting_ids(response.get_data(as_text=True)) == [meeting.id]


def test_ticks_close_the_meeting_held_or_no_show(client, auth, world):
    w = world
    held = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    missed = make_meeting(w.fund, w.other, w.tables[0], w.session, local(w.festival, (9, 20)))
    auth.login(w.fund.user)  # the host of table 1
    post(client, mark_path(w, seat_of(held, w.fund)), {"attended": "1"})
    db.session.refresh(held)
    assert held.state == "scheduled"  # one seat still unmarked
    response = post(client, mark_path(w, seat_of(held, w.startup)), {"attended": "1"})
    assert response.status_code == 302
    db.session.refresh(held)
    assert held.state == "held"
    assert all(s.attended and s.marked_at is not None for s in held.seats)

    post(client, mark_path(w, seat_of(missed, w.fund)), {"attended": "1"})
    post(client, mark_path(w, seat_of(missed, w.other)), {"attended": "0"})
    db.session.refresh(missed)
    assert missed.state == "no_show"
    assert seat_of(missed, w.other).attended is False
    # A correction: the startup did come after all.
    post(client, mark_path(w, seat_of(missed, w.other)), {"attended": "1"})
    db.session.refresh(missed)
    assert missed.state == "held"
    # A bad value changes nothing.
    post(client, mark_path(w, seat_of(missed, w.other)), {"attended": "maybe"})
    db.session.refresh(missed)
    assert missed.state == "held"


def test_a_cancelled_or_future_meeting_cannot_be_marked(world):
    w = world
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    with pytest.raises(attendance.AttendanceError) as err:
        attendance.mark(
            meeting.seats[0], True, None, now=meeting.starts_at - dt.timedelta(minutes=45)
        )
    assert err.value.reason == "too_early"
    booking.cancel_meeting(meeting, reason="")
    with pytest.raises(attendance.AttendanceError) as err:
        attendance.mark(meeting.seats[0], True, None, now=meeting.starts_at)
    assert err.value.reason == "cancelled"


def test_close_session_records_unmarked_seats_as_absent(world):
    w = world
    one_marked = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    nobody = make_meeting(w.angel, w.other, w.tables[1], w.session, local(w.festival, (9, 0)))
    attendance.mark(seat_of(one_marked, w.fund), True, None)
    closed = attendance.close_session(w.session, None)
    assert closed == 1
    assert one_marked.state == "no_show"
    assert seat_of(one_marked, w.startup).attended is False
    assert nobody.state == "scheduled"  # nobody knows: left open


_types = itertools.count(1)


def ticket_for(festival, email, name="Nguyễn Văn Khách"):
    ticket_type = TicketType(
        festival_id=festival.id, name_vi=f"Vé kết nối {next(_types)}", price_vnd=0
    )
    db.session.add(ticket_type)
    db.session.flush()
    order = ticket_ops.place_order(
        ticket_ops.OrderRequest(
            festival=festival,
            ticket_type=ticket_type,
            attendees=[ticket_ops.AttendeeData(full_name=name, email=email)],
        )
    )
    db.session.commit()
    ticket = order.tickets[0]
    assert ticket.state == "valid"
    return ticket


def test_scan_by_short_code_marks_the_seat_due_now(client, auth, world, running_festival):
    w = world
    now = utcnow()
    start = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, start)
    ticket = ticket_for(w.festival, w.startup.user.email.upper())
    auth.login(w.fund.user)
    typed = ticket.short_code[:4].lower() + "-" + ticket.short_code[4:].lower()
    response = post(client, sheet_path(w, w.tables[0]), {"code": typed})
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert seat_of(meeting, w.startup).attended is True
    assert seat_of(meeting, w.fund).attended is None

    # An unknown code: a clear error, the typed code kept.
    response = post(client, sheet_path(w, w.tables[0]), {"code": "ZZZZ-ZZZZ"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert en("We found no ticket with this code. Check the code and try again.") in html
    assert 'value="ZZZZ-ZZZZ"' in html

    # A ticket of another festival (short code and signed QR).
    elsewhere = running_festival()
    foreign = ticket_for(elsewhere, w.other.user.email)
    for code in (foreign.short_code, signing.sign_ticket(foreign)):
        response = post(client, sheet_path(w, w.tables[0]), {"code": code})
        assert response.status_code == 400
        assert en("This ticket is for another festival.") in response.get_data(as_text=True)

    # A ticket of this festival whose holder has no meeting at this table now.
    idle = ticket_for(w.festival, w.other.user.email)
    response = post(client, sheet_path(w, w.tables[0]), {"code": idle.short_code})
    assert response.status_code == 400
    assert en("This person has no meeting at this table now or in the next slot.") in (
        response.get_data(as_text=True)
    )


def test_scan_by_qr_text_and_the_next_slot(world):
    w = world
    now = local(w.festival, (9, 15))
    soon = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 20)))
    ticket = ticket_for(w.festival, w.startup.user.email)
    seat = attendance.scan(w.festival, w.tables[0], signing.sign_ticket(ticket), None, now=now)
    assert seat.meeting_id == soon.id and seat.attended is True
    # An hour before: no seat due at this table.
    with pytest.raises(attendance.AttendanceError) as err:
        attendance.scan(
            w.festival, w.tables[0], ticket.short_code, None, now=now - dt.timedelta(hours=1)
        )
    assert err.value.reason == "no_meeting"
    with pytest.raises(attendance.AttendanceError) as err:
        attendance.scan(w.festival, w.tables[0], "   ", None, now=now)
    assert err.value.reason == "no_code"


# --------------------------------------------------------------------------- feedback


def feedback_path(w, meeting) -> str:
    return f"/f/{w.festival.slug}/matchmaking/agenda/meetings/{meeting.id}/feedback"


def rows(meeting):
    return list(
        db.session.scalars(
            sa.select(MeetingFeedback).where(MeetingFeedback.meeting_id == meeting.id)
        )
    )


def test_feedback_is_validated_and_given_once_per_party(client, auth, world):
    w = world
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    path = feedback_path(w, meeting)
    auth.login(w.fund.user)
    assert client.get(path).status_code == 200

    response = post(client, path, {"rating": "7", "invest_interest": "yes"})
    assert response.status_code == 400
    assert en("Choose a rating from 1 to 5.") in response.get_data(as_text=True)
    assert rows(meeting) == []

    response = post(
        client,
        path,
        {
            "rating": "4",
            "invest_interest": "yes",
            "amount_min": "2.000.000.000",
            "amount_max": "500.000.000",
            "note": "Hẹn gặp lại",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert en("The lowest amount must not be above the highest amount.") in html
    assert "Hẹn gặp lại" in html and 'value="2.000.000.000"' in html  # nothing typed is lost
    assert rows(meeting) == []

    response = post(client, path, {"rating": "4", "amount_min": "lots"})
    assert response.status_code == 400
    assert en("Type an amount in đồng, for example 500.000.000.") in response.get_data(as_text=True)

    data = {
        "rating": "4",
        "follow_up": "y",
        "invest_interest": "maybe",
        "amount_min": "500.000.000",
        "amount_max": "1.000.000.000",
    }
    assert post(client, path, data).status_code == 302
    data.update(rating="5", invest_interest="yes", follow_up="")
    assert post(client, path, data).status_code == 302
    (row,) = rows(meeting)
    assert (row.profile_id, row.rating, row.invest_interest, row.follow_up) == (
        w.fund.id,
        5,
        "yes",
        False,
    )
    assert (row.amount_min_vnd, row.amount_max_vnd) == (500_000_000, 1_000_000_000)
    # The form shows the saved values for editing.
    assert 'value="500.000.000"' in client.get(path).get_data(as_text=True)

    # Not a party: 404, nothing saved.
    auth.logout()
    auth.login(w.other.user)
    assert post(client, path, {"rating": "1"}).status_code == 404
    assert len(rows(meeting)) == 1


def test_feedback_opens_after_the_meeting_and_closes_a_week_after_the_festival(world):
    w = world
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, local(w.festival, (9, 0)))
    data = feedback.FeedbackData(rating=3)
    with pytest.raises(feedback.FeedbackError) as err:
        feedback.save_feedback(meeting, w.fund, data, now=meeting.starts_at)
    assert err.value.reason == "not_yet"
    last = w.festival.last_day
    open_until = dt.datetime.combine(
        last + dt.timedelta(days=7), dt.time(23, 59), LOCAL_TZ
    ).astimezone(dt.UTC)
    assert feedback.save_feedback(meeting, w.fund, data, now=open_until).rating == 3
    with pytest.raises(feedback.FeedbackError) as err:
        feedback.save_feedback(meeting, w.fund, data, now=open_until + dt.timedelta(minutes=2))
    assert err.value.reason == "closed"
    # Someone marked absent has nothing to rate.
    seat_of(meeting, w.startup).attended = False
    with pytest.raises(feedback.FeedbackError) as err:
        feedback.save_feedback(meeting, w.startup, data, now=open_until)
    assert err.value.reason == "not_held"
    with pytest.raises(feedback.FeedbackError) as err:
        feedback.save_feedback(meeting, w.other, data, now=open_until)
    assert err.value.reason == "not_party"


# --------------------------------------------------------------------------- query counts


def statements_of(client, path: str) -> int:
    """How many SQL statements one GET of ``path`` runs (it must answer 200)."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    return len(seen)


def test_agenda_query_count_does_not_grow_with_meetings(client, auth, world, create_profile):
    """3 or 12 meetings, each with another person (with an organisation), at different tables
    (labelled), with a request message: the same number of statements."""
    w = world
    more = [
        MatchTable(festival_id=w.festival.id, number=n, label=f"Bàn {n} – Sảnh B") for n in (4, 5)
    ]
    db.session.add_all(more)
    db.session.commit()
    tables = [*w.tables[1:], *more]
    start = local(w.festival, (8, 0))
    counts = []
    made = 0
    for total in (3, 12):
        while made < total:
            startup = create_profile(w.festival, "startup")
            make_meeting(
                startup,
                w.angel,
                tables[made % len(tables)],
                w.session,
                start + dt.timedelta(minutes=20 * made),
                message=f"Xin gặp {made}",
            )
            made += 1
        auth.login(w.angel.user)
        path = f"/f/{w.festival.slug}/matchmaking/agenda"
        assert len(meeting_ids(client.get(path).get_data(as_text=True))) == total
        counts.append(statements_of(client, path))
        counts.append(
            statements_of(client, f"/f/{w.festival.slug}/matchmaking/feed/{w.angel.feed_token}.ics")
        )
        auth.logout()
    assert counts[0] == counts[2]  # the agenda page
    assert counts[1] == counts[3]  # the calendar feed


def test_table_sheet_query_count_does_not_grow_with_meetings(
    client, auth, world, create_user, create_profile
):
    w = world
    staff = create_user()
    db.session.add(FestivalRole(festival_id=w.festival.id, user_id=staff.id, role="staff"))
    db.session.commit()
    table = w.tables[1]
    start = local(w.festival, (8, 0))
    path = sheet_path(w, table) + f"?day={w.festival.days[0].day.isoformat()}"
    auth.login(staff)
    counts = []
    made = 0
    for total in (3, 12):
        while made < total:
            investor = create_profile(w.festival, "angel")
            startup = create_profile(w.festival, "startup")
            make_meeting(
                investor, startup, table, w.session, start + dt.timedelta(minutes=20 * made)
            )
            made += 1
        assert len(meeting_ids(client.get(path).get_data(as_text=True))) == total
        counts.append(statements_of(client, path))
    assert counts[0] == counts[1]


# --------------------------------------------------------------------------- table labels


def test_table_number_is_not_repeated_by_its_label(client, auth, world, create_user):
    """The agenda shows "Table N" big and, under it, only what the label adds: nothing for
    "Bàn 2", "Sảnh B" for "Bàn 4 – Sảnh B", a label without the number whole."""
    w = world
    hall = MatchTable(festival_id=w.festival.id, number=4, label="Bàn 4 – Sảnh B")
    corner = MatchTable(festival_id=w.festival.id, number=5, label="Góc cà phê")
    db.session.add_all([hall, corner])
    db.session.commit()
    start = local(w.festival, (9, 0))
    pairs = ((w.startup, w.tables[1]), (w.other, hall), (w.fund, corner))  # tables[1]: "Bàn 2"
    for n, (other, table) in enumerate(pairs):
        make_meeting(w.angel, other, table, w.session, start + dt.timedelta(minutes=20 * n))
    auth.login(w.angel.user)
    page = client.get(f"/f/{w.festival.slug}/matchmaking/agenda").get_data(as_text=True)
    labels = {}
    for number, block in re.findall(r'data-table="(\d+)"(.*?)</article>', page, flags=re.S):
        found = re.search(r'class="table-label">([^<]*)<', block)
        labels[int(number)] = found.group(1) if found else None
    assert labels == {2: None, 4: "Sảnh B", 5: "Góc cà phê"}
    # The table sheets likewise.
    auth.logout()
    staff = create_user()
    db.session.add(FestivalRole(festival_id=w.festival.id, user_id=staff.id, role="staff"))
    db.session.commit()
    auth.login(staff)
    for table, extra in ((w.tables[1], None), (hall, "Sảnh B"), (corner, "Góc cà phê")):
        sheet = client.get(sheet_path(w, table)).get_data(as_text=True)
        found = re.search(r'id="table-label">([^<]*)<', sheet)
        assert (found.group(1) if found else None) == extra


# --------------------------------------------------------------------------- feature name


def test_breadcrumbs_name_the_feature_like_the_other_pages(client, auth, world, create_user):
    """The agenda and the outcomes page link back with the feature's one name, "Investor
    matchmaking" (as every other matchmaking page), not a second msgid."""
    w = world

    def crumb(path):
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'<p class="breadcrumb">(.*?)</p>', page, flags=re.S)
        assert found is not None, path
        return re.findall(r"<a [^>]*>([^<]*)</a>", found.group(1))

    auth.login(w.angel.user)  # English
    assert crumb(f"/f/{w.festival.slug}/matchmaking/agenda")[-1] == en("Investor matchmaking")
    auth.logout()
    organizer = create_user()
    db.session.add(FestivalRole(festival_id=w.festival.id, user_id=organizer.id, role="organizer"))
    db.session.commit()
    auth.login(organizer)  # Vietnamese
    page = f"/f/{w.festival.slug}/manage/matchmaking/outcomes"
    assert crumb(page)[-1] == vi("Investor matchmaking")


def test_templates_use_one_msgid_for_the_feature():
    """No template of the feature names it with another msgid ("Matchmaking" alone)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "templates" / "matchmaking"
    offenders = [
        p.name
        for p in sorted(folder.glob("*.html"))
        if re.search(r"""_\(\s*['"]Matchmaking['"]\s*\)""", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
