"""Outcomes of a hand-made festival, figure by figure: meetings scheduled, held, no-shows and
cancelled, follow-ups, indicated investment (investor side, yes/maybe only), ratings, per kind
and per session; the organizer's page and the per-meeting XLSX; drafts never count."""

# The fixtures come from test_agenda.py (imported below); their parameters re-bind the names.
# ruff: noqa: F811

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from eventday.extensions import db
from eventday.festivals.models import FestivalRole
from matchmaking import attendance, booking, feedback, outcomes
from matchmaking.feedback import FeedbackData
from tests.matchmaking.test_agenda import (  # noqa: F401 - fixtures
    local,
    make_meeting,
    post,
    running_festival,
    world,
)

BILLION = 1_000_000_000


def _close_all(meeting, absent=()):
    for seat in meeting.seats:
        attendance.mark(seat, seat.profile_id not in absent, None, now=meeting.ends_at)


@pytest.fixture
def hand_made(world, create_profile, create_session):
    """Seven meetings of a two-day festival (see the test for the figures they must give)."""
    w = world
    bank = create_profile(w.festival, "bank", name="Ngân hàng Nông nghiệp")
    expert = create_profile(w.festival, "expert", name="Chuyên gia Lê Minh")
    third = create_profile(w.festival, "startup", name="Gốm Cơ Tu")
    fund, angel, s1, s2 = w.fund, w.angel, w.startup, w.other
    t1, t2, t3 = w.tables
    f = w.festival
    day2 = create_session(f, day=1)
    m = {
        # Session 1 (yesterday).
        "m1": make_meeting(fund, s1, t1, w.session, local(f, (9, 0))),
        "m2": make_meeting(angel, s2, t2, w.session, local(f, (9, 0))),
        "m3": make_meeting(bank, third, t3, w.session, local(f, (9, 0))),
        # Session 2 (today).
        "m4": make_meeting(fund, s2, t1, day2, local(f, (9, 0), day=1)),
        "m5": make_meeting(expert, s1, t2, day2, local(f, (9, 20), day=1)),
        "m7": make_meeting(fund, third, t1, day2, local(f, (9, 40), day=1)),
        "draft": make_meeting(angel, third, t3, day2, local(f, (9, 0), day=1), published=False),
    }
    _close_all(m["m1"])
    _close_all(m["m2"])
    _close_all(m["m3"], absent=(third.id,))  # the startup did not come
    _close_all(m["m7"])
    booking.cancel_meeting(m["m4"], reason="Trùng lịch")
    give = feedback.save_feedback
    give(m["m1"], fund, FeedbackData(5, True, "yes", 1 * BILLION, 2 * BILLION, "Rất tốt"))
    give(m["m1"], s1, FeedbackData(4, False, "none"))
    give(m["m2"], angel, FeedbackData(3, False, "maybe", 200_000_000, None))
    give(m["m2"], s2, FeedbackData(5, True, "none", 1 * BILLION, 1 * BILLION))  # not investor
    give(m["m7"], fund, FeedbackData(2, False, "none", 500_000_000, 500_000_000))  # "none"
    db.session.commit()
    sessions = (w.session, day2)
    return w, m, sessions, {"bank": bank, "expert": expert, "third": third}


def test_the_figures_of_a_hand_made_festival(hand_made):
    w, m, (first, second), _people = hand_made
    result = outcomes.compute(w.festival)
    t = result.total
    assert (t.scheduled, t.held, t.no_show, t.open, t.cancelled) == (5, 3, 1, 1, 1)
    assert t.follow_ups == 2  # m1 (the fund) and m2 (the startup)
    assert (t.invest_yes, t.invest_maybe) == (1, 1)
    # m1: 1–2 billion; m2: 200 million (one figure = both ends); m7 said "none"; m2's startup
    # is not an investor.
    assert (t.amount_min_vnd, t.amount_max_vnd) == (1_200_000_000, 2_200_000_000)
    assert (t.rating_sum, t.rating_count, t.average_rating) == (19, 5, 3.8)
    # In time and table order; the draft is nobody's meeting yet.
    assert [x.id for x in result.meetings] == [
        m[k].id for k in ("m1", "m2", "m3", "m4", "m5", "m7")
    ]

    kinds = {
        k.kind: (k.participants, k.meetings, k.held, k.absences, k.follow_ups, k.average_rating)
        for k in result.by_kind
    }
    assert kinds == {
        "fund": (1, 2, 2, 0, 1, 3.5),
        "angel": (1, 1, 1, 0, 0, 3.0),
        "bank": (1, 1, 0, 0, 0, None),
        "expert": (1, 1, 0, 0, 0, None),
        "startup": (3, 5, 3, 1, 1, 4.5),
    }

    by_session = {
        row.session.id: (
            row.figures.scheduled,
            row.figures.held,
            row.figures.no_show,
            row.figures.open,
            row.figures.cancelled,
            row.figures.follow_ups,
            row.figures.amount_min_vnd,
            row.figures.amount_max_vnd,
        )
        for row in result.by_session
    }
    assert by_session == {
        first.id: (3, 2, 1, 0, 0, 2, 1_200_000_000, 2_200_000_000),
        second.id: (2, 1, 0, 1, 1, 0, 0, 0),
    }


def test_amounts_read_like_a_report(app):
    with force_locale("en"):
        assert outcomes.amount_range_text(1_200_000_000, 3_500_000_000) == "1.2–3.5 billion đồng"
        assert outcomes.amount_range_text(350_000_000, 1_200_000_000) == (
            "350 million – 1.2 billion đồng"
        )
        assert outcomes.amount_range_text(2 * BILLION, 2 * BILLION) == "2 billion đồng"
    assert outcomes.short_amount(1_200_000_000, "vi") == ("1,2", "billion")
    assert outcomes.short_amount(350_000_000, "vi") == ("350", "million")


def organizer_of(festival):
    role = db.session.scalar(
        sa.select(FestivalRole).where(
            FestivalRole.festival_id == festival.id, FestivalRole.role == "organizer"
        )
    )
    return role.user


def test_the_organizers_page_and_xlsx(client, auth, hand_made):
    w, m, (first, _second), _people = hand_made
    base = f"/f/{w.festival.slug}/manage/matchmaking"
    auth.login(w.startup.user)
    assert client.get(f"{base}/outcomes").status_code == 403
    assert client.get(f"{base}/outcomes.xlsx").status_code == 403
    assert post(client, f"{base}/outcomes/sessions/{first.id}/close", {}).status_code == 403
    auth.logout()

    organizer = organizer_of(w.festival)
    organizer.locale = "en"
    db.session.commit()
    auth.login(organizer)
    response = client.get(f"{base}/outcomes")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-min="1200000000" data-max="2200000000" data-yes="1" data-maybe="1"' in html
    assert 'data-figure="held" data-value="3"' in html
    assert 'data-figure="no_show" data-value="1"' in html
    assert 'data-figure="follow_ups" data-value="2"' in html
    assert "Indicated investment: 1.2–2.2 billion đồng" in html

    response = client.get(f"{base}/outcomes.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "Meeting" and "Indicated from (đồng)" in header
    assert len(body) == 6 and m["draft"].id not in [r[0] for r in body]
    row = next(r for r in body if r[0] == m["m1"].id)
    record = dict(zip(header, row, strict=True))
    assert record["State"] == "Took place"
    assert {record["Party 1"], record["Party 2"]} == {w.fund.display_name, w.startup.display_name}
    kinds = {record["Party 1 kind"], record["Party 2 kind"]}
    assert kinds == {"Investment fund", "Startup"}  # labels, not codes
    assert (record["Indicated from (đồng)"], record["Indicated to (đồng)"]) == (
        1 * BILLION,
        2 * BILLION,
    )
    cancelled = dict(zip(header, next(r for r in body if r[0] == m["m4"].id), strict=True))
    assert cancelled["State"] == "Cancelled"
