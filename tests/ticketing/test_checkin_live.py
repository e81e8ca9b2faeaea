"""Live arrivals figures against a known set of scans, who may see them, and name badges."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from eventday.accounts import operations as account_ops
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.i18n import LOCAL_TZ
from tests.conftest import area
from ticketing import operations as ticket_ops
from ticketing import signing
from ticketing.checkin import live
from ticketing.checkin import operations as ops
from ticketing.checkin.models import CheckinList, Gate
from ticketing.qrimage import svg_text


def at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm, ss), LOCAL_TZ)


@dataclass
class GateDay:
    festival: object
    organizer: object
    day1: dt.date
    day2: dt.date
    tickets: dict
    orders: dict
    devices: dict
    lists: dict
    gates: dict
    groups: dict
    areas: dict
    resident: object
    investor: object


@pytest.fixture
def gate_day(create_user, create_festival, create_ticket_type):
    """A two-day festival that ended yesterday: gates, a single-entry list for everyone, an
    investor room with re-entry and exits, three devices and a known set of scans."""
    organizer = create_user()
    day1 = dt.datetime.now(LOCAL_TZ).date() - dt.timedelta(days=2)
    day2 = day1 + dt.timedelta(days=1)
    festival = create_festival(organizer=organizer, state="published", start=day1, days=2)
    groups = {g.kind: g for g in festival.groups}
    areas = {"dg": area("commune", "20467"), "tg": area("commune", "20455")}
    resident = create_ticket_type(festival, name_vi="Vé cư dân", position=1)
    investor = create_ticket_type(festival, name_vi="Thẻ nhà đầu tư", position=2)

    tickets, orders = {}, {}
    people = {
        "t1": (resident, "youth", "dg"),
        "t2": (resident, "youth", "dg"),
        "t3": (resident, "farmers", "tg"),
        "t4": (resident, "farmers", None),
        "t5": (resident, "youth", "dg"),  # cancelled before the festival
        "t6": (resident, "youth", "tg"),  # comes on day 2 only
        "t7": (resident, "youth", "tg"),  # arrives a little before midnight on day 1
        "i1": (investor, None, None),
        "i2": (investor, "farmers", "dg"),
    }
    for key, (ticket_type, group, home) in people.items():
        order = ticket_ops.place_order(
            ticket_ops.OrderRequest(
                festival=festival,
                ticket_type=ticket_type,
                attendees=[
                    ticket_ops.AttendeeData(
                        full_name=f"Người dự {key.upper()}",
                        phone="+84905123456",
                        email=f"{key}@example.vn",
                        participant_group_id=groups[group].id if group else None,
                        home_area_id=areas[home].id if home else None,
                    )
                ],
            )
        )
        orders[key], tickets[key] = order, order.tickets[0]
    ticket_ops.cancel_order(orders["t5"])

    gates = {
        name: Gate(festival_id=festival.id, name=label, position=i)
        for i, (name, label) in enumerate(
            [("main", "Cổng chính"), ("ocop", "Khu OCOP"), ("room", "Phòng nhà đầu tư")]
        )
    }
    main = CheckinList(festival_id=festival.id, name="Vào cửa ngày hội")
    room = CheckinList(
        festival_id=festival.id, name="Phòng kết nối đầu tư", allow_reentry=True, track_exits=True
    )
    room.ticket_types = [investor]
    db.session.add_all([*gates.values(), main, room])
    db.session.flush()
    devices = {}
    for key, checkin_list, gate in (
        ("main", main, gates["main"]),
        ("ocop", main, gates["ocop"]),
        ("room", room, gates["room"]),
        ("old", main, gates["main"]),
    ):
        device, code = ops.create_device(festival, checkin_list, f"Máy {key}", gate)
        devices[key], _token = ops.pair_device(code)
    ops.revoke_device(devices["old"])  # revoked, never scanned: not listed

    def scan(device, checkin_list, key, when, kind="entry", expect="ok"):
        result = ops.scan_ticket(
            ops.ScanRequest(
                checkin_list=checkin_list,
                short_code=tickets[key].short_code,
                type=kind,
                scanned_at=when,
                device=devices[device],
            )
        )
        assert result.status == expect, (key, when, result.status)

    scan("main", main, "t1", at(day1, 7, 58))
    scan("main", main, "t2", at(day1, 8, 0))
    scan("ocop", main, "t3", at(day1, 8, 14, 59))
    scan("ocop", main, "t4", at(day1, 8, 15))
    scan("main", main, "t1", at(day1, 8, 20), expect="already_checked_in")
    scan("main", main, "t5", at(day1, 8, 30), expect="revoked")
    scan("main", main, "i1", at(day1, 8, 31))
    scan("room", room, "i1", at(day1, 9, 0))
    scan("main", main, "i2", at(day1, 9, 10))
    scan("room", room, "i2", at(day1, 9, 12))
    scan("room", room, "t1", at(day1, 9, 30), expect="wrong_list")
    scan("room", room, "i1", at(day1, 9, 40), kind="exit")
    scan("room", room, "i1", at(day1, 10, 5))
    # 23:59 and 00:00 local on either side of midnight are the same UTC date (16:59, 17:00).
    scan("main", main, "t7", at(day1, 23, 59, 30))
    scan("main", main, "t6", at(day2, 0, 0, 30))
    db.session.commit()
    return GateDay(
        festival=festival,
        organizer=organizer,
        day1=day1,
        day2=day2,
        tickets=tickets,
        orders=orders,
        devices=devices,
        lists={"main": main, "room": room},
        gates=gates,
        groups=groups,
        areas=areas,
        resident=resident,
        investor=investor,
    )


def _day(world, day):
    return next(d for d in world.festival.days if d.day == day)


def test_figures_match_the_scans(gate_day):
    w = gate_day
    figures = live.live_figures(w.festival, _day(w, w.day1))

    # Admitting entries: six at the festival gates, three into the investor room (re-entry).
    assert (figures.arrivals, figures.people) == (10, 7)
    buckets = {b.label: b.count for b in figures.buckets}
    assert {k: n for k, n in buckets.items() if n} == {
        "07:45": 1,
        "08:00": 2,
        "08:15": 1,
        "08:30": 1,
        "09:00": 3,
        "10:00": 1,
        "23:45": 1,
    }
    labels = [b.label for b in figures.buckets]
    assert labels[0] == "07:45" and labels[-1] == "23:45"  # the opening is 08:00
    assert len(labels) == len(set(labels)) == (24 * 60 - 7 * 60 - 45) // 15
    assert [(r.label, r.count) for r in figures.gates] == [
        ("Cổng chính", 5),
        ("Phòng nhà đầu tư", 3),
        ("Khu OCOP", 2),
    ]
    groups = {r.key: r.count for r in figures.groups}
    assert groups == {w.groups["youth"].id: 3, w.groups["farmers"].id: 3, None: 1}
    areas = {r.key: r.count for r in figures.areas}
    assert areas == {w.areas["dg"].id: 3, w.areas["tg"].id: 2, None: 2}

    lists = {r.id: r for r in figures.lists}
    main, room = lists[w.lists["main"].id], lists[w.lists["room"].id]
    assert (main.entries, main.exits, main.people, main.inside) == (7, 0, 7, 7)
    assert (room.entries, room.exits, room.people, room.inside) == (3, 1, 2, 2)

    devices = {d.id: d for d in figures.devices}
    assert w.devices["old"].id not in devices
    by_key = {k: devices[w.devices[k].id] for k in ("main", "ocop", "room")}
    assert [(d.scans, d.ok, d.refused) for d in by_key.values()] == [
        (7, 5, 2),
        (2, 2, 0),
        (5, 4, 1),
    ]
    assert by_key["main"].last_scan_at == at(w.day1, 23, 59, 30)
    assert by_key["room"].last_scan_at == at(w.day1, 10, 5)

    day2 = live.live_figures(w.festival, _day(w, w.day2))
    assert (day2.arrivals, day2.people) == (1, 1)
    assert {b.label: b.count for b in day2.buckets if b.count} == {"00:00": 1}


def test_device_last_contact_and_quiet_devices(gate_day):
    w = gate_day
    w.devices["ocop"].last_seen_at = at(w.day1, 10, 25).astimezone(dt.UTC)
    w.devices["main"].last_seen_at = at(w.day1, 10, 0).astimezone(dt.UTC)
    w.devices["room"].last_seen_at = None
    db.session.commit()
    # Seen from 10:30 on day 1: the main gate phone has been silent for half an hour.
    figures = live.live_figures(w.festival, _day(w, w.day1), now=at(w.day1, 10, 30))
    data = {d["name"]: d for d in figures.to_json()["devices"]}
    seen = at(w.day1, 10, 25).astimezone(dt.UTC)
    assert dt.datetime.fromisoformat(data["Máy ocop"]["last_seen_at"]) == seen
    assert data["Máy ocop"]["last_seen"] == f"10:25 {w.day1:%d/%m/%Y}"
    assert [data[n]["quiet"] for n in ("Máy main", "Máy ocop", "Máy room")] == [True, False, True]
    # On another day nothing is "quiet": the devices are not expected to be scanning.
    later = live.live_figures(w.festival, _day(w, w.day1))
    assert not any(d["quiet"] for d in later.to_json()["devices"])


def test_day_choice(gate_day):
    w = gate_day
    assert live.choose_day(w.festival).day == w.day1  # today is not a festival day
    assert live.choose_day(w.festival, w.day2.isoformat()).day == w.day2
    assert live.choose_day(w.festival, "not-a-day").day == w.day1
    assert live.choose_day(w.festival, "2001-01-01").day == w.day1


def test_live_page_and_json(gate_day, client, auth):
    w = gate_day
    auth.login(w.organizer)
    slug = w.festival.slug
    html = client.get(f"/f/{slug}/manage/checkin/live").get_data(as_text=True)
    assert re.search(r'id="live-arrivals"[^>]*>10<', html)
    assert "Phòng kết nối đầu tư" in html and "Máy ocop" in html
    assert html.count("<rect") == (24 * 60 - 7 * 60 - 45) // 15
    response = client.get(f"/f/{slug}/manage/checkin/live.json?day={w.day2.isoformat()}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["day"] == w.day2.isoformat()
    assert (data["arrivals"], data["people"]) == (1, 1)
    assert [g["label"] for g in data["gates"]] == ["Cổng chính"]


def test_who_may_see_the_live_page(gate_day, client, auth, create_user):
    w = gate_day
    slug = w.festival.slug
    pages = (f"/f/{slug}/manage/checkin/live", f"/f/{slug}/manage/checkin/live.json")
    for url in pages:
        assert client.get(url).status_code == 302  # to the login page
    staff, judge, stranger = create_user(), create_user(), create_user()
    festival_ops.grant_role(w.festival, staff, "staff")
    festival_ops.grant_role(w.festival, judge, "judge")
    db.session.commit()
    for user, status in ((staff, 200), (judge, 403), (stranger, 403)):
        auth.login(user)
        for url in pages:
            assert client.get(url).status_code == status, (url, status)
        # Badges are for organizers only.
        assert client.get(f"/f/{slug}/manage/badges").status_code == 403
        auth.logout()
    auth.login(w.organizer)
    assert client.get(f"/f/{slug}/manage/badges").status_code == 200


# --------------------------------------------------------------------------- badges


def test_badges_carry_a_verifiable_qr_for_each_valid_ticket(gate_day, client, auth):
    w = gate_day
    auth.login(w.organizer)
    response = client.get(
        f"/f/{w.festival.slug}/manage/badges",
        query_string={
            "ticket_types": [w.resident.id],
            # An investor by ticket code, the other by order code: both get a badge.
            "codes": f"{w.tickets['i1'].short_code.lower()}, {w.orders['i2'].code}",
            "role": "guest",
            "layout": "a6",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    valid = [k for k in w.tickets if k != "t5"]
    assert sorted(map(int, re.findall(r'data-ticket="(\d+)"', html))) == sorted(
        w.tickets[k].id for k in valid
    )
    for key in valid:
        ticket = w.tickets[key]
        code = signing.sign_ticket(ticket)  # Ed25519 signatures are deterministic
        assert signing.verify_for_festival(code, w.festival).ticket_id == ticket.id
        assert svg_text(code) in html, key
        assert ticket.attendee_name in html
    cancelled = w.tickets["t5"]
    assert cancelled.state == "cancelled"
    assert svg_text(signing.sign_ticket(cancelled)) not in html
    assert cancelled.attendee_name not in html
    assert re.search(r'id="badge-left-out"[^>]*>[^<]*: 1<', html)
    assert "size: 105mm 148mm" in html
    assert html.count('class="sheet a6"') == len(valid)
    assert "nb-role nb-role-guest" in html


def test_badges_four_per_a4_sheet_with_the_organisation(gate_day, client, auth, create_user):
    w = gate_day
    member = create_user(email="i2@example.vn")  # the investor's own account
    account_ops.create_organisation(member, "Quỹ Đầu tư Thử", "investment_fund")
    db.session.commit()
    auth.login(w.organizer)
    html = client.get(
        f"/f/{w.festival.slug}/manage/badges",
        query_string={"ticket_types": [w.investor.id, w.resident.id], "layout": "a4"},
    ).get_data(as_text=True)
    assert "size: 210mm 297mm" in html
    assert html.count('class="sheet a4"') == 2  # eight valid tickets, four per sheet
    badge = re.search(rf'data-ticket="{w.tickets["i2"].id}".*?</article>', html, re.S).group(0)
    assert "Quỹ Đầu tư Thử" in badge and "Thẻ nhà đầu tư" in badge
    assert 'class="nb-role' not in html  # no role band chosen


def test_badges_without_a_selection_show_only_the_form(gate_day, client, auth):
    w = gate_day
    auth.login(w.organizer)
    html = client.get(f"/f/{w.festival.slug}/manage/badges").get_data(as_text=True)
    assert 'name="ticket_types"' in html and "data-ticket=" not in html
    html = client.get(
        f"/f/{w.festival.slug}/manage/badges", query_string={"codes": "NOPE1234", "layout": "a6"}
    ).get_data(as_text=True)
    assert "data-ticket=" not in html and 'id="badge-summary"' in html
