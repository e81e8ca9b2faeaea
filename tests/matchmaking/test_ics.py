"""ICS of meetings: files parse with ``icalendar``; the UID stays and SEQUENCE rises when a
meeting moves; a cancelled meeting is a CANCELLED event (METHOD CANCEL in its own file, kept in
the feed so calendars remove it); the personal feed holds only the person's published meetings
and answers a bad token with 404."""

# The fixtures come from test_agenda.py (imported below); their parameters re-bind the names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from matchmaking import booking, ics, slots
from tests.matchmaking.test_agenda import (  # noqa: F401 - fixtures
    make_meeting,
    running_festival,
    world,
)


def events(data: bytes) -> list:
    return [c for c in Calendar.from_ical(data).walk() if c.name == "VEVENT"]


def utc(value) -> dt.datetime:
    return value.astimezone(dt.UTC)


def test_a_meeting_file_names_the_other_party_in_the_viewers_language(world):
    w = world
    grid = slots.session_slots(w.session)
    meeting = make_meeting(
        w.fund, w.startup, w.tables[0], w.session, grid[0].start, message="Xin được gặp quỹ"
    )
    cal = Calendar.from_ical(ics.meeting_ics(meeting, w.startup))
    assert str(cal["method"]) == "REQUEST"
    (event,) = events(ics.meeting_ics(meeting, w.startup))
    assert str(event["uid"]) == meeting.uid
    assert int(event["sequence"]) == 0
    assert utc(event.decoded("dtstart")) == meeting.starts_at
    assert utc(event.decoded("dtend")) == meeting.ends_at
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert str(event["summary"]) == "Meet Quỹ Phát triển Quảng Nam"  # the startup reads English
    assert str(event["status"]) == "CONFIRMED"
    location = str(event["location"])
    assert w.festival.venue_name in location and w.tables[0].label in location
    description = str(event["description"])
    assert "We invest in farming" in description and "Xin được gặp quỹ" in description
    # The fund sees the startup's name.
    (other_side,) = events(ics.meeting_ics(meeting, w.fund))
    assert str(other_side["summary"]) == "Meet Trà Tây Giang"
    assert str(other_side["uid"]) == meeting.uid


def test_a_move_keeps_the_uid_and_raises_the_sequence(world):
    w = world
    grid = slots.session_slots(w.session)
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, grid[0].start)
    (before,) = events(ics.meeting_ics(meeting, w.startup))
    # The fund meets at its own table 1: the move is to a later slot there.
    assert booking.move_meeting(meeting, grid[2].start, w.tables[0].id) == []
    (after,) = events(ics.meeting_ics(meeting, w.startup))
    assert str(after["uid"]) == str(before["uid"]) == meeting.uid
    assert int(after["sequence"]) > int(before["sequence"])
    assert utc(after.decoded("dtstart")) == grid[2].start
    assert utc(after.decoded("dtend")) == grid[2].end


def test_a_cancelled_meeting_is_a_cancelled_event(world):
    w = world
    grid = slots.session_slots(w.session)
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, grid[0].start)
    sequence = meeting.sequence
    booking.cancel_meeting(meeting, reason="Bận việc")
    data = ics.meeting_ics(meeting, w.startup)
    assert str(Calendar.from_ical(data)["method"]) == "CANCEL"
    (event,) = events(data)
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) > sequence
    # The feed keeps it, cancelled, so calendars remove it.
    feed = {str(e["uid"]): e for e in events(ics.agenda_ics(w.startup))}
    assert str(feed[meeting.uid]["status"]) == "CANCELLED"


def test_the_feed_holds_the_persons_published_meetings_only(world):
    w = world
    grid = slots.session_slots(w.session)
    mine = make_meeting(w.fund, w.startup, w.tables[0], w.session, grid[0].start)
    second = make_meeting(w.angel, w.startup, w.tables[1], w.session, grid[1].start)
    draft = make_meeting(w.other, w.startup, w.tables[2], w.session, grid[2].start, published=False)
    theirs = make_meeting(w.other, w.angel, w.tables[2], w.session, grid[0].start)
    cal = Calendar.from_ical(ics.agenda_ics(w.startup))
    assert str(cal["method"]) == "PUBLISH"
    uids = [str(e["uid"]) for e in events(ics.agenda_ics(w.startup))]
    assert uids == [mine.uid, second.uid]
    assert draft.uid not in uids and theirs.uid not in uids


def test_the_feed_url_needs_the_right_token(client, world, create_festival):
    w = world
    grid = slots.session_slots(w.session)
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, grid[0].start)
    base = f"/f/{w.festival.slug}/matchmaking/feed"
    response = client.get(f"{base}/{w.startup.feed_token}.ics")  # no login
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert [str(e["uid"]) for e in events(response.data)] == [meeting.uid]
    assert client.get(f"{base}/not-the-token.ics").status_code == 404
    assert client.get(f"{base}/{w.startup.feed_token[:-1]}.ics").status_code == 404
    # The right token under another festival's address: 404.
    elsewhere = create_festival(state="published")
    path = f"/f/{elsewhere.slug}/matchmaking/feed/{w.startup.feed_token}.ics"
    assert client.get(path).status_code == 404


def test_the_file_does_not_give_away_the_other_partys_email(world):
    w = world
    grid = slots.session_slots(w.session)
    meeting = make_meeting(w.fund, w.startup, w.tables[0], w.session, grid[0].start)
    data = ics.meeting_ics(meeting, w.startup)
    (event,) = events(data)
    assert str(event["attendee"]) == f"mailto:{w.startup.user.email}"
    unfolded = data.replace(b"\r\n ", b"")
    assert w.fund.user.email.encode() not in unfolded
