"""Done when (issue 7, 4): an investor requests a meeting, the startup accepts, both agendas
show it at the same table and time; the ICS parses with the ``icalendar`` package.

The demo festival publishes its batch schedule and then books instantly: the startup's
acceptance places the meeting at once. The startup is the first suggestion the investor's
recommendations page makes (people with a live request are left out there), so the test runs
again on the same live server data. Screenshots of the recommendations, an agenda (phone) and
the organizer grid (desktop) go to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from playwright.sync_api import expect

from eventday.demo import DEMO_PASSWORD, DEMO_SLUG
from eventday.i18n import format_time
from tests.browser.test_free_registration import SCREENSHOTS

pytestmark = pytest.mark.browser

INVESTOR = "nha.dau.tu@eventday.vn"  # a fund, fixed at table 2
ORGANIZER = "tochuc.donggiang@eventday.vn"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
MESSAGE = "Quỹ muốn nghe kế hoạch mở rộng vùng nguyên liệu và nhu cầu vốn của bạn."


@dataclasses.dataclass(frozen=True)
class MeetingRow:
    id: int
    uid: str
    table_id: int
    table_number: int
    table_label: str
    starts_at: dt.datetime
    slot_id: int
    published: bool
    state: str
    parties: frozenset[int]


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator('header form[action$="/logout"]')).to_be_visible()


def url(live_server, endpoint: str, **values) -> str:
    """An absolute URL of the live server (built, not hard-coded: the routes may move)."""
    from flask import url_for

    with live_server.app.test_request_context():
        return live_server.url + url_for(endpoint, slug=DEMO_SLUG, **values)


def profile_of(live_server, email: str) -> tuple[int, str]:
    """(profile id, feed token) of the user's matchmaking profile in the demo festival."""
    from eventday.accounts import operations as account_ops
    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from matchmaking.models import MatchProfile

    with live_server.app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == DEMO_SLUG))
        user = account_ops.find_user_by_email(email)
        profile = db.session.scalar(
            sa.select(MatchProfile).where(
                MatchProfile.festival_id == festival.id, MatchProfile.user_id == user.id
            )
        )
        assert profile is not None, f"{email} has no matchmaking profile in the demo"
        found = (profile.id, profile.feed_token)
        db.session.remove()
    return found


def user_email_of(live_server, profile_id: int) -> str:
    from eventday.extensions import db
    from matchmaking.models import MatchProfile

    with live_server.app.app_context():
        email = db.session.get(MatchProfile, profile_id).user.email
        db.session.remove()
    return email


def live_request(live_server, sender_id: int, recipient_id: int) -> tuple[int, str, str]:
    """(id, state, priority) of the live request from sender to recipient."""
    from eventday.extensions import db
    from matchmaking.models import MeetingRequest

    with live_server.app.app_context():
        request = db.session.scalar(
            sa.select(MeetingRequest).where(
                MeetingRequest.sender_id == sender_id,
                MeetingRequest.recipient_id == recipient_id,
                MeetingRequest.state.in_(("pending", "accepted")),
            )
        )
        assert request is not None, "the request was not stored"
        found = (request.id, request.state, request.priority)
        db.session.remove()
    return found


def meeting_of(live_server, request_id: int) -> MeetingRow:
    """The live meeting booked for the request, with its table and grid slot."""
    from eventday.extensions import db
    from matchmaking.models import Meeting
    from matchmaking.slots import session_slots

    with live_server.app.app_context():
        meeting = db.session.scalar(
            sa.select(Meeting).where(Meeting.request_id == request_id, Meeting.state != "cancelled")
        )
        assert meeting is not None, "the acceptance booked no meeting (instant booking is on)"
        slot = next(s for s in session_slots(meeting.session) if s.start == meeting.starts_at)
        row = MeetingRow(
            id=meeting.id,
            uid=meeting.uid,
            table_id=meeting.table_id,
            table_number=meeting.table.number,
            table_label=meeting.table.label,
            starts_at=meeting.starts_at,
            slot_id=slot.id,
            published=meeting.published,
            state=meeting.state,
            parties=frozenset(s.profile_id for s in meeting.seats if s.active),
        )
        db.session.remove()
    return row


def the_event(data: bytes, uid: str):
    """The VEVENT with this UID in an ICS file, parsed by ``icalendar``."""
    calendar = Calendar.from_ical(data)
    events = [e for e in calendar.walk("VEVENT") if str(e.get("uid")) == uid]
    assert len(events) == 1, [str(e.get("uid")) for e in calendar.walk("VEVENT")]
    return events[0]


def check_event(data: bytes, meeting: MeetingRow) -> None:
    event = the_event(data, meeting.uid)
    assert event.decoded("dtstart") == meeting.starts_at
    assert event.decoded("dtend") > meeting.starts_at
    location = str(event.get("location"))
    assert str(meeting.table_number) in location, location
    if meeting.table_label:
        assert meeting.table_label in location, location
    assert str(event.get("status")) == "CONFIRMED"


def fits_the_phone(page) -> None:
    """No sideways scrolling on a 360 px wide screen."""
    width, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= viewport, (page.url, width, viewport)


def scroll_to_top_of(page, selector: str) -> None:
    """Scroll so the element starts near the top of the screen (for a screenshot)."""
    page.locator(selector).first.evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 8)"
    )


def fetch(context, address: str) -> bytes:
    """GET with the context's cookies (a logged-in download), the body as bytes."""
    response = context.request.get(address)
    assert response.ok, (address, response.status)
    assert response.headers["content-type"].startswith("text/calendar"), response.headers
    return response.body()


def test_investor_requests_startup_accepts_both_agendas_agree_and_the_ics_parses(
    live_server, new_context
):
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    investor_id, investor_token = profile_of(live_server, INVESTOR)

    # --- The investor looks at the suggestions on a phone and picks the first startup.
    investor_ctx = new_context(viewport=PHONE)
    investor = investor_ctx.new_page()
    login(investor, base, INVESTOR)
    investor.goto(url(live_server, "matchmaking.recommendations"))
    suggestions = investor.locator("#mm-suggestions li[data-profile-id]")
    expect(suggestions.first).to_be_visible()
    # A suggestion says why (shared sectors, stage, amount, area…).
    expect(suggestions.first.locator("ul.reasons li[data-reason]").first).to_be_visible()
    fits_the_phone(investor)
    # The filters fill the first screen of a phone: the picture starts at the suggestions.
    scroll_to_top_of(investor, "#mm-asked, #mm-suggestions")
    investor.screenshot(path=str(SCREENSHOTS / "matchmaking-recommendations.png"), full_page=False)
    startup_id = int(suggestions.first.get_attribute("data-profile-id"))
    assert startup_id != investor_id
    startup_email = user_email_of(live_server, startup_id)

    # --- Its profile, the request form: a message and must-meet; sent.
    investor.goto(url(live_server, "matchmaking.profile", profile_id=startup_id))
    expect(investor.locator("#mm-profile")).to_have_attribute("data-profile-id", str(startup_id))
    fits_the_phone(investor)
    form = investor.locator("#mm-request-form")
    form.locator("textarea[name=message]").fill(MESSAGE)
    form.locator("input[name=priority][value=must]").check()
    form.locator("button[type=submit]").click()
    expect(investor.locator(".flash-success")).to_be_visible()
    request_id, state, priority = live_request(live_server, investor_id, startup_id)
    assert (state, priority) == ("pending", "must")
    sent = investor.locator(f'#mm-outgoing article[data-request-id="{request_id}"]')
    expect(sent).to_have_attribute("data-state", "pending")

    # --- The startup (another browser) accepts it, wanting it too.
    startup_ctx = new_context(viewport=PHONE)
    startup = startup_ctx.new_page()
    login(startup, base, startup_email)
    startup.goto(url(live_server, "matchmaking.requests"))
    incoming = startup.locator(f'#mm-incoming article[data-request-id="{request_id}"]')
    expect(incoming).to_have_attribute("data-state", "pending")
    expect(incoming).to_contain_text(MESSAGE)
    fits_the_phone(startup)
    mutual = incoming.locator("form.mm-accept input[name=mutual]")
    if mutual.count():
        mutual.check()
    incoming.locator("form.mm-accept button[type=submit]").click()
    accepted = startup.locator(f'#mm-incoming article[data-request-id="{request_id}"]')
    expect(accepted).to_have_attribute("data-state", "accepted")

    # Instant booking (on once the demo schedule is published) places it at once.
    meeting = meeting_of(live_server, request_id)
    assert meeting.published and meeting.state == "scheduled"
    assert meeting.parties == {investor_id, startup_id}
    # The page confirms the time and table.
    expect(accepted.locator(f'.mm-meeting[data-meeting-id="{meeting.id}"]')).to_be_visible()
    expect(startup.locator(".flash-info")).to_contain_text(str(meeting.table_number))

    # --- Both agendas show it at the same table and time, as stored.
    seen = {}
    for who, page in (("startup", startup), ("investor", investor)):
        page.goto(url(live_server, "matchmaking.agenda"))
        card = page.locator(f'article[data-meeting-id="{meeting.id}"]')
        expect(card).to_be_visible()
        expect(card.locator(".time")).to_contain_text(format_time(meeting.starts_at))
        fits_the_phone(page)
        seen[who] = (card.get_attribute("data-table"), card.get_attribute("data-start"))
    assert seen["startup"] == seen["investor"]
    table, start = seen["startup"]
    assert int(table) == meeting.table_number
    assert dt.datetime.fromisoformat(start) == meeting.starts_at
    # The picture: the meeting's session heading and the meeting (or the meeting alone).
    scroll_to_top_of(
        startup, f'section.agenda-session:has(article[data-meeting-id="{meeting.id}"])'
    )
    if not startup.locator(f'article[data-meeting-id="{meeting.id}"]').evaluate(
        "el => el.getBoundingClientRect().bottom <= window.innerHeight"
    ):
        scroll_to_top_of(startup, f'article[data-meeting-id="{meeting.id}"]')
    startup.screenshot(path=str(SCREENSHOTS / "matchmaking-agenda.png"), full_page=False)

    # --- The calendar: each person's feed (the agenda's link) and the single-meeting file.
    startup_token = profile_of(live_server, startup_email)[1]
    for ctx, page, token in (
        (startup_ctx, startup, startup_token),
        (investor_ctx, investor, investor_token),
    ):
        feed = page.locator("#calendar-feed").get_attribute("href")
        assert feed.endswith(
            url(live_server, "matchmaking.agenda_feed", token=token).removeprefix(base)
        ), feed
        check_event(fetch(ctx, feed), meeting)
        single = page.locator(
            f'article[data-meeting-id="{meeting.id}"] a[href$="/meetings/{meeting.id}.ics"]'
        )
        assert single.get_attribute("href") == url(
            live_server, "matchmaking.meeting_ics", meeting_id=meeting.id
        ).removeprefix(base)
        check_event(fetch(ctx, base + single.get_attribute("href")), meeting)

    # --- The organizer's grid shows it at its table and slot (desktop).
    organizer = new_context(viewport=DESKTOP).new_page()
    login(organizer, base, ORGANIZER)
    organizer.goto(url(live_server, "matchmaking.org_grid"))
    cell = organizer.locator(f'table.mm-grid td[data-meeting-id="{meeting.id}"]')
    expect(cell).to_have_count(1)
    expect(cell).to_have_attribute("data-table-id", str(meeting.table_id))
    expect(cell).to_have_attribute("data-slot-id", str(meeting.slot_id))
    expect(cell).to_have_attribute("data-published", "1")
    expect(cell).to_have_attribute("data-priority", "must")
    # In its session's table: the row of its table, the column of its slot (the start time).
    section = organizer.locator("section.mm-grid-section", has=cell)
    row = section.locator(f'tr[data-table-id="{meeting.table_id}"]')
    expect(row.locator("th[scope=row]")).to_contain_text(str(meeting.table_number))
    expect(row.locator(f'td[data-meeting-id="{meeting.id}"]')).to_have_count(1)
    column = section.locator(f'thead th[data-slot-id="{meeting.slot_id}"]')
    expect(column).to_have_text(format_time(meeting.starts_at))
    slot_ids = section.locator("thead th").evaluate_all("ths => ths.map(t => t.dataset.slotId)")
    cells = row.locator("td").evaluate_all("tds => tds.map(td => td.dataset.meetingId)")
    assert cells[slot_ids.index(str(meeting.slot_id)) - 1] == str(meeting.id)  # th 0: "Table"
    section.scroll_into_view_if_needed()
    organizer.screenshot(path=str(SCREENSHOTS / "matchmaking-grid.png"), full_page=False)
