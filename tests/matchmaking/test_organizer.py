"""Organizer pages of the matchmaking: permissions, settings, sessions and breaks, tables,
participants, the grid (moves with conflicts, cancellations, constant query count), the XLSX
export, table signs and lists, the dashboard section, and participants' blocked times."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from eventday.extensions import db
from eventday.i18n import LOCAL_TZ
from matchmaking import booking
from matchmaking.models import (
    MatchBlock,
    MatchBreak,
    MatchSession,
    MatchSettings,
    MatchTable,
    Meeting,
    MeetingRequest,
)
from tests.conftest import csrf_token, en


@pytest.fixture
def organizer(create_user):
    return create_user(locale="en")


@pytest.fixture
def festival(organizer, create_festival):
    """Like ``mm_festival``, with an organizer whose pages are in English."""
    fest = create_festival(organizer, state="published")
    db.session.add(MatchSettings(festival_id=fest.id, is_open=True))
    db.session.commit()
    return fest


def local(festival, day, hh, mm=0):
    date = festival.days[day].day
    return dt.datetime.combine(date, dt.time(hh, mm), LOCAL_TZ).astimezone(dt.UTC)


def accepted(festival, a, b, priority="want", mutual=False):
    request = MeetingRequest(
        festival_id=festival.id,
        sender_id=a.id,
        recipient_id=b.id,
        pair_low=min(a.id, b.id),
        pair_high=max(a.id, b.id),
        priority=priority,
        mutual=mutual,
        state="accepted",
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
    )
    db.session.add(request)
    db.session.flush()
    return request


def book(festival, request, session, index, table, published=True):
    from matchmaking.slots import session_slots

    meeting = booking.create_meeting(
        request, session_slots(session)[index], table.id, published=published
    )
    db.session.commit()
    return meeting


@pytest.fixture
def world(festival, create_profile, create_session, create_tables):
    """Two investors, three startups, one session 9:00–11:00 (break 10:00–10:20: five
    20-minute slots), three tables, one published meeting at table 1 in the first slot."""
    fund = create_profile(festival, "fund", name="Quỹ Đầu tư Tỉnh")
    bank = create_profile(festival, "bank", name="Ngân hàng Nông nghiệp")
    s1 = create_profile(festival, "startup", name="Trà Shan Tuyết")
    s2 = create_profile(festival, "startup", name="Mật ong Bản Lác")
    s3 = create_profile(festival, "startup", name="Gốm Bát Tràng")
    session = create_session(festival, breaks=[((10, 0), (10, 20))])
    tables = create_tables(festival, n=3)
    r1 = accepted(festival, fund, s1, priority="must")
    r2 = accepted(festival, bank, s2)
    meeting = book(festival, r1, session, 0, tables[0])
    return {
        "fund": fund,
        "bank": bank,
        "s1": s1,
        "s2": s2,
        "s3": s3,
        "session": session,
        "tables": tables,
        "r1": r1,
        "r2": r2,
        "meeting": meeting,
    }


def post(client, url, data=None, prefixes=("delete", "run", "publish", "cancel"), **kwargs):
    """POST with the session's CSRF token under every form prefix the data uses."""
    token = csrf_token(client, "/")
    data = dict(data or {})
    keys = {"csrf_token", *(f"{p}-csrf_token" for p in prefixes)}
    keys |= {k.split("-")[0] + "-csrf_token" for k in data if "-" in k}
    for key in keys:
        data.setdefault(key, token)
    return client.post(url, data=data, **kwargs)


def html(response) -> str:
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- permissions

ORG_PAGES = (
    "org_home",
    "org_settings",
    "org_sessions",
    "org_tables",
    "org_participants",
    "org_schedule",
    "org_grid",
    "org_table_signs",
    "org_table_lists",
    "org_schedule_xlsx",
)


def test_organizer_pages_refuse_others(app, client, auth, festival, create_user):
    paths = []
    with app.test_request_context():
        from flask import url_for

        paths = [url_for(f"matchmaking.{e}", slug=festival.slug) for e in ORG_PAGES]
    for path in paths:
        assert client.get(path).status_code == 302, path  # anonymous: to the login page
    auth.login(create_user())
    for path in paths:
        assert client.get(path).status_code == 403, path
    assert post(client, f"/f/{festival.slug}/manage/matchmaking/schedule/run").status_code == 403
    assert (
        post(client, f"/f/{festival.slug}/manage/matchmaking/schedule/publish").status_code == 403
    )


def test_organizer_sees_every_page(app, client, auth, organizer, world, festival):
    auth.login(organizer)
    with app.test_request_context():
        from flask import url_for

        paths = [url_for(f"matchmaking.{e}", slug=festival.slug) for e in ORG_PAGES]
    for path in paths:
        assert client.get(path).status_code == 200, path
    page = html(client.get(f"/f/{festival.slug}/manage/matchmaking"))
    assert 'data-count="profiles">5<' in page
    assert 'data-count="published">1<' in page


def test_other_festivals_objects_are_404(client, auth, organizer, world, festival, create_festival):
    other = create_festival(organizer)
    auth.login(organizer)
    meeting = world["meeting"]
    assert (
        client.get(f"/f/{other.slug}/manage/matchmaking/meetings/{meeting.id}").status_code == 404
    )
    session = world["session"]
    assert (
        client.get(f"/f/{other.slug}/manage/matchmaking/sessions/{session.id}").status_code == 404
    )


# --------------------------------------------------------------------------- settings


def test_settings_validate_and_save(client, auth, organizer, festival):
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/settings"
    bad = {
        "is_open": "y",
        "request_expiry_hours": "0",
        "max_requests_sent": "20",
        "max_meetings": "abc",
        "reminder_minutes": "30",
    }
    response = post(client, url, data=bad)
    assert response.status_code == 400
    assert 'value="abc"' in html(response)  # what was typed stays
    settings = db.session.scalar(
        sa.select(MatchSettings).where(MatchSettings.festival_id == festival.id)
    )
    assert settings.request_expiry_hours == 48
    good = {
        "request_expiry_hours": "24",
        "max_requests_sent": "5",
        "max_meetings": "8",
        "reminder_minutes": "15",
    }
    assert post(client, url, data=good).status_code == 302
    db.session.refresh(settings)
    assert (settings.is_open, settings.instant_booking) == (False, False)
    assert (settings.request_expiry_hours, settings.max_requests_sent) == (24, 5)
    assert (settings.max_meetings, settings.reminder_minutes) == (8, 15)


def test_settings_row_created_when_missing(client, auth, organizer, create_festival):
    festival = create_festival(organizer)
    auth.login(organizer)
    response = post(
        client,
        f"/f/{festival.slug}/manage/matchmaking/settings",
        data={
            "is_open": "y",
            "instant_booking": "y",
            "request_expiry_hours": "48",
            "max_requests_sent": "20",
            "max_meetings": "12",
            "reminder_minutes": "60",
        },
    )
    assert response.status_code == 302
    settings = db.session.scalar(
        sa.select(MatchSettings).where(MatchSettings.festival_id == festival.id)
    )
    assert settings.is_open is True


# --------------------------------------------------------------------------- sessions and breaks


def session_form(festival, **over):
    data = {
        "new-name_vi": "Phiên kết nối sáng",
        "new-name_en": "Morning session",
        "new-day": festival.days[1].day.isoformat(),
        "new-start": "14:00",
        "new-end": "16:00",
        "new-slot_minutes": "30",
        "new-location": "Hội trường B",
    }
    data.update(over)
    return data


def test_session_added_with_its_slots(client, auth, organizer, festival):
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/sessions"
    assert post(client, url, data=session_form(festival)).status_code == 302
    session = db.session.scalar(
        sa.select(MatchSession).where(MatchSession.festival_id == festival.id)
    )
    assert session.starts_at == local(festival, 1, 14)
    assert session.ends_at == local(festival, 1, 16)
    assert session.location == "Hội trường B"
    page = html(client.get(url))
    assert len(re.findall(r'class="chip" data-slot-id=', page)) == 4


def test_session_end_before_start_refused(client, auth, organizer, festival):
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/sessions"
    response = post(client, url, data=session_form(festival, **{"new-end": "13:00"}))
    assert response.status_code == 400
    assert en("The session must end after it starts.") in html(response)
    assert 'value="Phiên kết nối sáng"' in html(response)
    assert db.session.scalar(sa.select(sa.func.count(MatchSession.id))) == 0


def test_session_outside_the_festival_days_or_overlapping_refused(
    client, auth, organizer, festival, create_session
):
    create_session(festival, day=1, start=(13, 0), end=(15, 0))
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/sessions"
    response = post(client, url, data=session_form(festival, **{"new-day": "2001-01-01"}))
    assert response.status_code == 400
    response = post(client, url, data=session_form(festival))
    assert response.status_code == 400
    assert "overlaps" in html(response)
    assert db.session.scalar(sa.select(sa.func.count(MatchSession.id))) == 1


def test_break_must_lie_inside_the_session(client, auth, organizer, festival, create_session):
    session = create_session(festival)  # 9:00–11:00
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/sessions/{session.id}/breaks"
    p = f"b{session.id}-"
    response = post(client, url, data={p + "start": "10:50", p + "end": "11:30"})
    assert response.status_code == 400
    assert en(
        "A break must lie inside the session (%(start)s–%(end)s).", start="09:00", end="11:00"
    ) in html(response)
    response = post(client, url, data={p + "start": "10:00", p + "end": "09:40"})
    assert response.status_code == 400
    assert en("The break must end after it starts.") in html(response)
    assert post(client, url, data={p + "start": "10:00", p + "end": "10:20"}).status_code == 302
    db.session.refresh(session)
    assert [(b.starts_at, b.ends_at) for b in session.breaks] == [
        (local(festival, 0, 10), local(festival, 0, 10, 20))
    ]


def test_session_change_that_orphans_meetings_is_refused_or_cancels_them(
    client, auth, organizer, world, festival
):
    auth.login(organizer)
    session, meeting = world["session"], world["meeting"]  # the meeting: 9:00–9:20
    url = f"/f/{festival.slug}/manage/matchmaking/sessions/{session.id}"
    data = {
        "name_vi": session.name_vi,
        "day": festival.days[0].day.isoformat(),
        "start": "09:10",
        "end": "11:00",
        "slot_minutes": "20",
    }
    response = post(client, url, data=data)
    assert response.status_code == 400
    assert 'data-meetings="1"' in html(response)
    assert "no longer fit in a slot" in html(response)
    db.session.refresh(session)
    assert session.starts_at == local(festival, 0, 9)
    # Explicitly cancelling the meetings that no longer fit: the request stays accepted.
    response = post(client, url, data={**data, "cancel_orphans": "y"})
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert meeting.state == "cancelled"
    assert meeting.request.state == "accepted"
    db.session.refresh(session)
    assert session.starts_at == local(festival, 0, 9, 10)


def test_session_with_meetings_is_not_deleted(client, auth, organizer, world, festival):
    auth.login(organizer)
    session = world["session"]
    post(client, f"/f/{festival.slug}/manage/matchmaking/sessions/{session.id}/delete")
    assert db.session.get(MatchSession, session.id) is not None
    booking.cancel_meeting(world["meeting"])
    db.session.commit()
    post(client, f"/f/{festival.slug}/manage/matchmaking/sessions/{session.id}/delete")
    session_id = session.id
    db.session.expire_all()
    assert db.session.get(MatchSession, session_id) is None


def test_removing_a_break_checks_meetings(client, auth, organizer, world, festival, create_session):
    """A break 10:00–10:10 puts a slot at 10:10; without it the slots are 10:00, 10:20…: the
    draft at 10:10 would fit no slot."""
    auth.login(organizer)
    session = create_session(festival, day=1, breaks=[((10, 0), (10, 10))])
    draft = book(festival, world["r2"], session, 3, world["tables"][1], published=False)
    assert draft.starts_at == local(festival, 1, 10, 10)
    pause = session.breaks[0]
    url = f"/f/{festival.slug}/manage/matchmaking/sessions/{session.id}/breaks/{pause.id}/remove"
    post(client, url, data={})
    assert db.session.get(MatchBreak, pause.id) is not None
    post(client, url, data={"cancel_orphans": "y"})
    pause_id = pause.id
    db.session.expire_all()
    assert db.session.get(MatchBreak, pause_id) is None
    assert db.session.get(Meeting, draft.id).state == "cancelled"


# --------------------------------------------------------------------------- tables


def test_tables_added_numbered_and_fixed_once(client, auth, organizer, world, festival):
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/tables"
    assert post(client, url, data={"count": "2", "label_prefix": "Bàn"}).status_code == 302
    rows = db.session.scalars(
        sa.select(MatchTable)
        .where(MatchTable.festival_id == festival.id)
        .order_by(MatchTable.number)
    ).all()
    assert [(t.number, t.label) for t in rows[3:]] == [(4, "Bàn 4"), (5, "Bàn 5")]
    assert post(client, url, data={"count": "0"}).status_code == 400

    fund = world["fund"]
    t1, t2 = rows[0], rows[1]
    edit = f"/f/{festival.slug}/manage/matchmaking/tables/"
    response = post(
        client,
        edit + str(t1.id),
        data={
            f"t{t1.id}-label": "Bàn VIP",
            f"t{t1.id}-fixed_profile_id": str(fund.id),
            f"t{t1.id}-active": "y",
        },
    )
    assert response.status_code == 302
    response = post(
        client,
        edit + str(t2.id),
        data={
            f"t{t2.id}-label": "",
            f"t{t2.id}-fixed_profile_id": str(fund.id),
            f"t{t2.id}-active": "y",
        },
    )
    assert response.status_code == 400
    assert en("%(name)s already has table %(number)s.", name=fund.display_name, number=1) in html(
        response
    )
    db.session.expire_all()
    assert db.session.get(MatchTable, t1.id).fixed_profile_id == fund.id
    assert db.session.get(MatchTable, t1.id).label == "Bàn VIP"
    assert db.session.get(MatchTable, t2.id).fixed_profile_id is None


def test_a_table_with_meetings_stays_in_use(client, auth, organizer, world, festival):
    auth.login(organizer)
    t1 = world["tables"][0]
    response = post(
        client,
        f"/f/{festival.slug}/manage/matchmaking/tables/{t1.id}",
        data={f"t{t1.id}-label": "", f"t{t1.id}-fixed_profile_id": ""},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(MatchTable, t1.id).active is True


def test_table_signs_and_lists(client, auth, organizer, world, festival):
    auth.login(organizer)
    t1 = world["tables"][0]
    t1.fixed_profile_id = world["fund"].id
    db.session.commit()
    page = html(client.get(f"/f/{festival.slug}/manage/matchmaking/tables/signs"))
    assert len(re.findall(r'class="mm-sign" data-table-id=', page)) == 3
    assert "Quỹ Đầu tư Tỉnh" in page
    assert "@media print" not in page  # the print rules live in the stylesheet
    page = html(client.get(f"/f/{festival.slug}/manage/matchmaking/tables/lists"))
    assert f'data-table-id="{t1.id}" data-meetings="1"' in page
    assert "Trà Shan Tuyết" in page


# --------------------------------------------------------------------------- participants


def test_participants_list_counts_and_filter(client, auth, organizer, world, festival):
    auth.login(organizer)
    page = html(client.get(f"/f/{festival.slug}/manage/matchmaking/participants"))
    fund, s3 = world["fund"], world["s3"]
    assert (
        f'data-profile-id="{fund.id}" data-kind="fund" data-sent="1" data-received="0" '
        'data-meetings="1"' in page
    )
    assert (
        f'data-profile-id="{s3.id}" data-kind="startup" data-sent="0" data-received="0" '
        'data-meetings="0"' in page
    )
    page = html(client.get(f"/f/{festival.slug}/manage/matchmaking/participants?kind=startup"))
    assert f'data-profile-id="{fund.id}"' not in page
    assert len(re.findall(r"data-profile-id=", page)) == 3


# --------------------------------------------------------------------------- grid


def test_grid_shows_meetings_and_free_cells(client, auth, organizer, world, festival):
    auth.login(organizer)
    book(festival, world["r2"], world["session"], 1, world["tables"][1], published=False)
    page = html(client.get(f"/f/{festival.slug}/manage/matchmaking/grid"))
    meeting = world["meeting"]
    assert f'data-meeting-id="{meeting.id}"' in page
    assert 'data-published="1" data-priority="must"' in page
    assert 'data-published="0" data-priority="want"' in page
    assert len(re.findall(r"mm-cell mm-free", page)) == 3 * 5 - 2


def test_grid_query_count_is_constant(client, auth, organizer, world, festival, create_profile):
    auth.login(organizer)
    url = f"/f/{festival.slug}/manage/matchmaking/grid"
    client.get(url)

    def count_queries():
        seen = []

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", before)
        return len(seen)

    few = count_queries()
    for i in range(4):
        investor = create_profile(festival, "angel")
        startup = create_profile(festival, "startup")
        request = accepted(festival, investor, startup)
        book(festival, request, world["session"], 1 + i, world["tables"][2], published=i % 2 == 0)
    assert count_queries() == few


def test_move_refused_on_conflict_and_accepted_when_free(client, auth, organizer, world, festival):
    auth.login(organizer)
    session, tables = world["session"], world["tables"]
    from matchmaking.slots import session_slots

    slots = session_slots(session)
    other = book(festival, world["r2"], session, 1, tables[1])  # bank × s2 at 9:20, table 2
    meeting = world["meeting"]  # fund × s1 at 9:00, table 1
    url = f"/f/{festival.slug}/manage/matchmaking/meetings/{meeting.id}"
    assert client.get(url).status_code == 200
    response = post(client, url, data={"slot_id": str(slots[1].id), "table_id": str(tables[1].id)})
    assert response.status_code == 400
    assert en("Table %(table)s already has a meeting at %(time)s.", table=2, time="09:20") in html(
        response
    )
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).starts_at == slots[0].start
    # Same slot, free table: moved, SEQUENCE raised, both parties mailed (it is published).
    response = post(client, url, data={"slot_id": str(slots[1].id), "table_id": str(tables[2].id)})
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Meeting, meeting.id)
    assert (moved.starts_at, moved.table_id, moved.sequence) == (slots[1].start, tables[2].id, 1)
    assert db.session.get(Meeting, other.id).table_id == tables[1].id


def test_move_by_json_for_drag_and_drop(client, auth, organizer, world, festival):
    auth.login(organizer)
    from matchmaking.slots import session_slots

    slots = session_slots(world["session"])
    meeting = world["meeting"]
    blocked = MatchBlock(
        profile_id=world["s1"].id, starts_at=slots[4].start, ends_at=slots[4].end, note=""
    )
    db.session.add(blocked)
    db.session.commit()
    url = f"/f/{festival.slug}/manage/matchmaking/meetings/{meeting.id}"
    headers = {"Accept": "application/json"}
    data = {"slot_id": str(slots[4].id), "table_id": str(world["tables"][0].id)}
    response = post(client, url, data=data, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["ok"] is False
    assert world["s1"].display_name in " ".join(response.get_json()["messages"])
    data["slot_id"] = str(slots[3].id)
    response = post(client, url, data=data, headers=headers)
    assert response.status_code == 200 and response.get_json()["ok"] is True
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).starts_at == slots[3].start


def test_cancel_meeting(client, auth, organizer, world, festival):
    auth.login(organizer)
    meeting = world["meeting"]
    url = f"/f/{festival.slug}/manage/matchmaking/meetings/{meeting.id}/cancel"
    response = post(client, url, data={"cancel-reason": "Ốm", "cancel-keep_request": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert (meeting.state, meeting.cancel_reason, meeting.sequence) == ("cancelled", "Ốm", 1)
    assert meeting.request.state == "accepted"
    assert all(not s.active for s in meeting.seats)


def test_cancel_meeting_marked_meanwhile_is_refused_with_a_message(
    client, auth, organizer, world, festival, monkeypatch
):
    from matchmaking import booking

    def marked_meanwhile(meeting, **kwargs):
        raise booking.MeetingError("The meeting took place meanwhile.", "not_scheduled")

    monkeypatch.setattr(booking, "cancel_meeting", marked_meanwhile)
    auth.login(organizer)
    meeting = world["meeting"]
    url = f"/f/{festival.slug}/manage/matchmaking/meetings/{meeting.id}/cancel"
    response = post(client, url, data={"cancel-reason": ""}, follow_redirects=True)
    assert response.status_code == 200
    assert "The meeting took place meanwhile." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).state == "scheduled"


def test_organizer_nav_reaches_attendance_and_outcomes(client, auth, organizer, festival):
    auth.login(organizer)
    html = client.get(f"/f/{festival.slug}/manage/matchmaking").get_data(as_text=True)
    assert f"/f/{festival.slug}/manage/matchmaking/attendance" in html
    assert f"/f/{festival.slug}/manage/matchmaking/outcomes" in html


# --------------------------------------------------------------------------- exports


def test_schedule_xlsx_contains_the_meetings(client, auth, organizer, world, festival):
    from openpyxl import load_workbook

    book(festival, world["r2"], world["session"], 2, world["tables"][1], published=False)
    auth.login(organizer)
    response = client.get(f"/f/{festival.slug}/manage/matchmaking/schedule.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3
    assert rows[1][2] == "09:00" and rows[1][4] == "Bàn 1"
    assert rows[1][5] == "Quỹ Đầu tư Tỉnh" and rows[1][7] == "Trà Shan Tuyết"
    assert rows[2][5] == "Ngân hàng Nông nghiệp" and rows[2][7] == "Mật ong Bản Lác"
    assert rows[2][2] == "09:40"


def test_xlsx_keeps_formula_like_names_as_text(
    client, auth, organizer, festival, create_profile, create_session, create_tables
):
    from openpyxl import load_workbook

    evil = create_profile(festival, "angel", name='=HYPERLINK("http://x")')
    startup = create_profile(festival, "startup")
    session = create_session(festival)
    tables = create_tables(festival, n=1)
    book(festival, accepted(festival, evil, startup), session, 0, tables[0])
    auth.login(organizer)
    data = client.get(f"/f/{festival.slug}/manage/matchmaking/schedule.xlsx").data
    ws = load_workbook(io.BytesIO(data)).active
    cell = ws.cell(row=2, column=6)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


# --------------------------------------------------------------------------- dashboard


def test_dashboard_section_summarises(client, auth, organizer, world, festival):
    auth.login(organizer)
    page = html(client.get(f"/f/{festival.slug}/manage"))
    section = page[page.index('data-section="matchmaking"') :][:1500]
    assert f"/f/{festival.slug}/manage/matchmaking" in section
    assert "5" in section


# --------------------------------------------------------------------------- participants' blocks


def test_participant_blocks_times(client, auth, world, festival, create_user):
    s1 = world["s1"]
    auth.login(s1.user)
    url = f"/f/{festival.slug}/matchmaking/blocks"
    assert client.get(url).status_code == 200
    day = festival.days[0].day.isoformat()
    response = post(client, url, data={"day": "2001-01-01", "start": "09:00", "end": "10:00"})
    assert response.status_code == 400
    response = post(client, url, data={"day": day, "start": "10:00", "end": "09:00"})
    assert response.status_code == 400
    response = post(client, url, data={"day": day, "start": "08:30", "end": "09:10", "note": "Họp"})
    assert response.status_code == 302
    # It overlaps s1's published 9:00 meeting: the meeting stays, a warning says so.
    follow = html(client.get(url))
    assert "flash-warning" in follow
    block = db.session.scalar(sa.select(MatchBlock).where(MatchBlock.profile_id == s1.id))
    assert (block.starts_at, block.ends_at, block.note) == (
        local(festival, 0, 8, 30),
        local(festival, 0, 9, 10),
        "Họp",
    )
    assert f'data-block-id="{block.id}"' in follow
    # Somebody else cannot remove it; its owner can.
    auth.logout()
    auth.login(world["s2"].user)
    assert post(client, f"{url}/{block.id}/delete").status_code == 404
    auth.logout()
    auth.login(s1.user)
    block_id = block.id
    assert post(client, f"{url}/{block_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(MatchBlock, block_id) is None


def test_blocks_need_a_profile(client, auth, festival, create_user):
    url = f"/f/{festival.slug}/matchmaking/blocks"
    assert client.get(url).status_code == 302
    auth.login(create_user())
    assert client.get(url).status_code == 403


# --------------------------------------------------------------------------- huge ids

HUGE = 2**63  # beyond SQLite's integers and PostgreSQL's id columns

# Every ``<int:…>`` argument of the matchmaking routes (the next test checks the list is whole).
INT_ROUTE_ARGS = (
    ("matchmaking.profile", "profile_id"),
    ("matchmaking.send_request", "profile_id"),
    ("matchmaking.accept_request", "request_id"),
    ("matchmaking.decline_request", "request_id"),
    ("matchmaking.cancel_request", "request_id"),
    ("matchmaking.meeting_ics", "meeting_id"),
    ("matchmaking.feedback", "meeting_id"),
    ("matchmaking.table_sheet", "table_id"),
    ("matchmaking.mark_seat", "seat_id"),
    ("matchmaking.close_session", "session_id"),
    ("matchmaking.my_delete_block", "block_id"),
    ("matchmaking.org_edit_session", "session_id"),
    ("matchmaking.org_delete_session", "session_id"),
    ("matchmaking.org_add_break", "session_id"),
    ("matchmaking.org_remove_break", "session_id"),
    ("matchmaking.org_remove_break", "break_id"),
    ("matchmaking.org_edit_table", "table_id"),
    ("matchmaking.org_move_meeting", "meeting_id"),
    ("matchmaking.org_cancel_meeting", "meeting_id"),
)


def _int_args(rule) -> list[str]:
    from werkzeug.routing.converters import IntegerConverter

    return [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]


def test_every_int_route_is_in_the_huge_id_list(app):
    found = {
        (rule.endpoint, name)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("matchmaking.")
        for name in _int_args(rule)
    }
    assert found == set(INT_ROUTE_ARGS)


@pytest.mark.parametrize(("endpoint", "arg"), INT_ROUTE_ARGS)
def test_huge_ids_are_404(
    app, client, auth, organizer, world, festival, create_profile, endpoint, arg
):
    """An id beyond the column's range is "not found", not a database error (500), for a
    user who may use the page (an organizer of the festival with a profile in it); the other
    ids of the URL are real ones."""
    from flask import url_for

    create_profile(festival, "angel", user=organizer)
    session = world["session"]
    db.session.add(
        MatchBreak(
            session_id=session.id,
            starts_at=local(festival, 0, 10, 40),
            ends_at=local(festival, 0, 10, 50),
        )
    )
    db.session.commit()
    real = {
        "profile_id": world["s1"].id,
        "request_id": world["r1"].id,
        "meeting_id": world["meeting"].id,
        "table_id": world["tables"][0].id,
        "seat_id": world["meeting"].seats[0].id,
        "session_id": session.id,
        "break_id": session.breaks[0].id,
        "block_id": 1,
    }
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: real[name] for name in _int_args(rule)}
    values[arg] = HUGE
    with app.test_request_context():
        url = url_for(endpoint, slug=festival.slug, **values)
    auth.login(organizer)
    response = client.get(url) if "GET" in rule.methods else post(client, url)
    assert response.status_code == 404, url
