"""Floor plans: booth placement rules, rows of booths, CSV export/import, derived states in
plan.json, a constant number of queries, who may edit, the public map and booth pages."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booths import plan as ops
from booths.models import Booth, BoothApplication, BoothBooking, Hall
from eventday.db import utcnow
from eventday.extensions import db
from tests.conftest import csrf_token, en, vi

# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(app):
    """These tests read the English texts of the messages (operations outside a request speak
    Vietnamese by default; the catalog test checks the Vietnamese ones exist)."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def organizer(create_user):
    return create_user(locale="en")


@pytest.fixture
def festival(create_festival, organizer):
    return create_festival(organizer=organizer, state="published")


@pytest.fixture
def plan(festival, create_plan):
    return create_plan(festival, n=6)  # hall 30 × 20 m, zone on top, A01…A06 along y=0


@pytest.fixture
def occupy(create_exhibitor):
    """occupy(booth, state, expires_in=minutes or None, name=...) -> application."""

    def make(booth, state, expires_in=30, name=None):
        exhibitor = create_exhibitor(name=name or f"HTX thử {booth.code}")
        application = BoothApplication(
            festival_id=booth.festival_id,
            exhibitor_id=exhibitor.id,
            state=state,
            hold_expires_at=utcnow() + dt.timedelta(minutes=expires_in)
            if expires_in is not None
            else None,
        )
        db.session.add(application)
        db.session.flush()
        db.session.add(
            BoothBooking(
                festival_id=booth.festival_id,
                application_id=application.id,
                booth_id=booth.id,
                active=True,
            )
        )
        db.session.commit()
        return application

    return make


def login(client, user):
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": "correct-horse-battery",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302


def booth_codes(festival) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Booth.code).where(Booth.festival_id == festival.id).order_by(Booth.code)
        )
    )


# --- operations ----------------------------------------------------------------------------


def test_overlap_out_of_hall_bad_and_taken_codes_are_refused(plan):
    hall, _zone, _booths = plan
    with pytest.raises(ops.PlanError) as exc:
        ops.save_booth(hall, None, ops.BoothData(code="B01", x=1, y=1))
    assert exc.value.reason == "overlap"
    assert exc.value.message() == "Booth B01 would overlap booth A01."

    with pytest.raises(ops.PlanError) as exc:
        ops.save_booth(hall, None, ops.BoothData(code="B01", x=28, y=10, width_m=3))
    assert exc.value.reason == "outside_hall" and exc.value.field == "x"
    assert "31 × 13 m" in exc.value.message() and "Nhà văn hóa" in exc.value.message()

    with pytest.raises(ops.PlanError) as exc:
        ops.save_booth(hall, None, ops.BoothData(code="1A", x=0, y=10))
    assert exc.value.reason == "code_format"

    with pytest.raises(ops.PlanError) as exc:
        ops.save_booth(hall, None, ops.BoothData(code="a01", x=0, y=10))
    assert exc.value.reason == "code_taken" and "A01" in exc.value.message()

    booth = ops.save_booth(hall, None, ops.BoothData(code=" b 01", x=0, y=10, width_m=3, depth_m=6))
    assert (booth.code, booth.zone_id) == ("B01", None)  # below the zone: no zone
    inside = ops.save_booth(hall, None, ops.BoothData(code="B02", x=27, y=3))
    assert inside.zone_id == _zone.id  # the zone holding its centre
    # Touching edges are not an overlap.
    assert ops.save_booth(hall, None, ops.BoothData(code="B03", x=3, y=10)).x == 3


def test_move_and_resize_within_the_hall(plan):
    hall, _zone, booths = plan
    a01, a02 = booths[0], booths[1]
    ops.move_booth(a01, 0, 10, width_m=3, depth_m=6)
    assert (a01.x, a01.y, a01.depth_m, a01.zone_id) == (0, 10, 6, None)
    with pytest.raises(ops.PlanError) as exc:
        ops.move_booth(a02, 6, 0)  # A03's place
    assert exc.value.reason == "overlap" and "A03" in exc.value.message()
    with pytest.raises(ops.PlanError):
        ops.move_booth(a02, 0, 18)  # 3 m deep from y=18 leaves the 20 m hall
    with pytest.raises(ops.PlanError):
        ops.save_hall(_fest(hall), hall, name=hall.name, width_m=10, depth_m=20)


def _fest(hall):
    from eventday.festivals.models import Festival

    return db.session.get(Festival, hall.festival_id)


def test_add_row_is_all_or_nothing(festival, plan):
    hall, zone, _booths = plan
    row = ops.add_row(hall, zone, "b", 1, 5, 0, 3, 3, 3, "right", "food", 300_000, corner_ends=True)
    db.session.commit()
    assert [b.code for b in row] == ["B01", "B02", "B03", "B04", "B05"]
    assert [(b.x, b.y) for b in row] == [(0, 3), (3, 3), (6, 3), (9, 3), (12, 3)]
    assert [b.corner for b in row] == [True, False, False, False, True]
    assert {b.kind for b in row} == {"food"} and {b.price_vnd for b in row} == {300_000}

    before = booth_codes(festival)
    # The fourth booth would leave the 30 m hall: none of the row is made.
    with pytest.raises(ops.PlanError) as exc:
        ops.add_row(hall, None, "C", 1, 4, 20, 10, 3, 3, "right", "ocop", 0)
    assert exc.value.reason == "outside_hall" and "C04" in exc.value.message()
    # Going down onto a booth: the first two fit, the third overlaps; none is kept.
    ops.save_booth(hall, None, ops.BoothData(code="W01", x=3, y=12))
    db.session.commit()
    before = booth_codes(festival)
    with pytest.raises(ops.PlanError) as exc:
        ops.add_row(hall, None, "E", 1, 3, 3, 6, 3, 3, "down", "ocop", 0)
    assert exc.value.message() == "Booth E03 would overlap booth W01."
    db.session.commit()
    assert booth_codes(festival) == before


def test_csv_round_trip(festival, plan, create_festival):
    hall, zone, booths = plan
    booths[1].blocked, booths[1].blocked_reason = True, "Lối thoát hiểm"
    booths[2].reserved_group_id = festival.groups[0].id
    booths[3].blocked, booths[3].blocked_reason = True, "=HYPERLINK(1)"  # not a formula
    db.session.commit()
    text = ops.export_csv(festival)
    assert text.startswith("\ufeffcode,hall,zone,x,y,width_m,depth_m,corner,kind,price_vnd")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["code"] for r in rows] == [b.code for b in booths]
    assert rows[1]["blocked"] == "1" and rows[1]["blocked_reason"] == "Lối thoát hiểm"
    assert rows[2]["reserved_group"] == festival.groups[0].name_vi
    assert rows[3]["blocked_reason"] == "'=HYPERLINK(1)"

    def snapshot():
        return [
            (
                b.code,
                b.hall_id,
                b.zone_id,
                b.x,
                b.y,
                b.width_m,
                b.depth_m,
                b.corner,
                b.kind,
                b.price_vnd,
                b.reserved_group_id,
                b.blocked,
                b.blocked_reason,
                b.staff_passes,
            )
            for b in db.session.scalars(
                sa.select(Booth).where(Booth.festival_id == festival.id).order_by(Booth.code)
            )
        ]

    before = snapshot()
    for booth in booths:
        db.session.delete(booth)
    db.session.commit()
    assert booth_codes(festival) == []
    report = ops.import_csv(festival, text.encode("utf-8"))
    assert report.ok and (report.created, report.updated) == (6, 0), report.issues
    db.session.commit()
    assert snapshot() == before

    # Importing again updates by code; a price changed in the file is taken.
    changed = text.replace(",500000,", ",750000,", 1)
    report = ops.import_csv(festival, changed.encode("utf-8"))
    assert report.ok and (report.created, report.updated) == (0, 6)
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(Booth.price_vnd).where(Booth.festival_id == festival.id, Booth.code == "A01")
        )
        == 750_000
    )

    # Semicolons (Vietnamese Excel) and dotted thousands are read too.
    semi = "code;hall;x;y;width_m;depth_m;price_vnd\nZ01;Nhà văn hóa;0;15;3;3;1.500.000\n"
    report = ops.import_csv(festival, semi.encode("utf-8"))
    assert report.ok and report.created == 1
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(Booth.price_vnd).where(Booth.code == "Z01", Booth.festival_id == festival.id)
        )
        == 1_500_000
    )


def test_csv_with_bad_rows_reports_each_cell_and_imports_nothing(festival, plan):
    hall, zone, booths = plan
    header = ",".join(ops.CSV_COLUMNS[:14])
    lines = [
        header,
        "N01,Nhà văn hóa,,0,10,3,3,0,ocop,100000,,,0,2",  # good
        "7X,Nhà văn hóa,,0,13,3,3,0,ocop,100000,,,0,2",  # bad code
        "N02,Hội trường B,,0,10,3,3,0,ocop,100000,,,0,2",  # unknown hall
        "N03,Nhà văn hóa,Không có,abc,10,3,3,maybe,tent,-5,,99999,0,2",  # four bad cells
        "N04,Nhà văn hóa,,1,11,3,3,0,ocop,0,,,0,2",  # overlaps N01 (row 2)
        "N05,Nhà văn hóa,,0,0,3,3,0,ocop,0,,,0,2",  # overlaps A01, already on the plan
        "N06,Nhà văn hóa,,28,10,3,3,0,ocop,0,,,0,2",  # leaves the hall
        "N01,Nhà văn hóa,,20,15,3,3,0,ocop,0,,,0,2",  # code given twice
        "A02,Nhà văn hóa,,3,0,3,3,0,ocop,999,,,0,2",  # an update, fine by itself
    ]
    before = [(b.code, b.price_vnd) for b in booths]
    report = ops.import_csv(festival, "\n".join(lines).encode("utf-8"))
    assert not report.ok
    found = {(i.row, i.column) for i in report.issues}
    assert found == {
        (3, "code"),
        (4, "hall"),
        (5, "zone"),
        (5, "x"),
        (5, "corner"),
        (5, "kind"),
        (5, "price_vnd"),
        (5, "reserved_area_code"),
        (6, "x"),
        (7, "x"),
        (8, "x"),
        (9, "code"),
    }
    messages = {(i.row, i.column): i.message for i in report.issues}
    assert messages[(4, "hall")] == en(
        "No hall named “%(value)s” in this festival.", value="Hội trường B"
    ).replace("&amp;", "&")
    assert messages[(6, "x")] == "Booth N04 would overlap booth N01."
    assert messages[(7, "x")] == "Booth N05 would overlap booth A01."
    assert messages[(5, "x")] == "“abc” is not a whole number."
    db.session.commit()
    assert booth_codes(festival) == [b.code for b in booths]  # nothing created
    assert [(b.code, b.price_vnd) for b in booths] == before  # nothing updated

    # A file without the required columns is refused at its header.
    report = ops.import_csv(festival, b"code,zone\nA01,x\n")
    assert not report.ok and report.issues[0].row == 1 and "hall" in report.issues[0].message


# --- derived states in plan.json -----------------------------------------------------------


def test_every_derived_state_in_plan_json(client, festival, plan, occupy, organizer):
    _hall, _zone, booths = plan
    a01, a02, a03, a04, a05, a06 = booths
    occupy(a02, "held", expires_in=30, name="HTX Giữ chỗ")
    occupy(a03, "held", expires_in=-1, name="HTX Hết hạn")  # the hold ran out
    occupy(a04, "pending", expires_in=None, name="HTX Chờ duyệt")
    occupy(a05, "approved", expires_in=None, name="HTX Sâm Ngọc Linh")
    a06.blocked, a06.blocked_reason = True, "Lối đi"
    db.session.commit()

    data = client.get(f"/f/{festival.slug}/booths/plan.json").get_json()
    by_code = {b["code"]: b for b in data["booths"]}
    assert {c: b["state"] for c, b in by_code.items()} == {
        "A01": "available",
        "A02": "held",
        "A03": "available",
        "A04": "pending",
        "A05": "booked",
        "A06": "blocked",
    }
    # The public sees who has a booked booth, nobody else, and no organizer fields.
    assert [c for c, b in by_code.items() if b["exhibitor"]] == ["A05"]
    assert by_code["A05"]["exhibitor"]["name"] == "HTX Sâm Ngọc Linh"
    assert "blocked_reason" not in by_code["A06"] and "application_id" not in by_code["A02"]
    assert set(by_code["A01"]) >= {
        "id",
        "code",
        "hall_id",
        "zone_id",
        "x",
        "y",
        "width_m",
        "depth_m",
        "corner",
        "kind",
        "kind_label",
        "price_vnd",
        "price",
        "state",
        "state_label",
        "reserved",
        "exhibitor",
        "url",
    }
    assert by_code["A01"]["url"] == f"/f/{festival.slug}/booths/A01"
    assert by_code["A01"]["price_vnd"] == 500_000 and by_code["A01"]["corner"] is True
    hall = data["halls"][0]
    assert (hall["name"], hall["width_m"], hall["depth_m"], hall["outdoor"]) == (
        "Nhà văn hóa",
        30,
        20,
        False,
    )
    assert hall["zones"][0]["name"] == "Gian OCOP"
    text = str(data)
    for hidden in ("HTX Giữ chỗ", "HTX Chờ duyệt", "HTX Hết hạn", "Lối đi"):
        assert hidden not in text

    # Organizers see who holds and who awaits approval (not the lapsed hold).
    login(client, organizer)
    data = client.get(f"/f/{festival.slug}/booths/plan.json").get_json()
    names = {b["code"]: (b["exhibitor"] or {}).get("name") for b in data["booths"]}
    assert names == {
        "A01": None,
        "A02": "HTX Giữ chỗ",
        "A03": None,
        "A04": "HTX Chờ duyệt",
        "A05": "HTX Sâm Ngọc Linh",
        "A06": None,
    }
    assert {b["code"]: b.get("blocked_reason") for b in data["booths"]}["A06"] == "Lối đi"


def _count_queries(app, fn):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def _seed(festival, n, occupy):
    hall = Hall(festival_id=festival.id, name=f"Hall {n}", width_m=200, depth_m=200)
    db.session.add(hall)
    db.session.flush()
    booths = [
        Booth(
            festival_id=festival.id,
            hall_id=hall.id,
            code=f"Q{i:03d}",
            x=(i % 50) * 4,
            y=(i // 50) * 4,
            kind="ocop",
            reserved_group_id=festival.groups[0].id if i % 7 == 0 else None,
        )
        for i in range(n)
    ]
    db.session.add_all(booths)
    db.session.commit()
    for i, booth in enumerate(booths[: n // 5]):
        occupy(booth, ("approved", "pending", "held")[i % 3])


def test_plan_json_query_count_is_constant(app, client, create_festival, organizer, occupy):
    counts = []
    for n in (10, 100):
        festival = create_festival(organizer=organizer, state="published")
        _seed(festival, n, occupy)
        url = f"/f/{festival.slug}/booths/plan.json"
        response = None

        def get(url=url):
            nonlocal response
            response = client.get(url)

        counts.append(_count_queries(app, get))
        assert len(response.get_json()["booths"]) == n
        assert sum(1 for b in response.get_json()["booths"] if b["exhibitor"]) > 0
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8, counts


# --- permissions ---------------------------------------------------------------------------


def test_editor_is_for_organizers_only(client, festival, plan, create_user, organizer):
    slug = festival.slug
    pages = [
        f"/f/{slug}/manage/booths/plan",
        f"/f/{slug}/manage/booths/plan/list",
        f"/f/{slug}/manage/booths/plan/signs",
        f"/f/{slug}/manage/booths/plan/booths.csv",
        f"/f/{slug}/manage/booths/plan/import",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    response = client.post(
        f"/f/{slug}/manage/booths/plan/row",
        data={"csrf_token": csrf_token(client, "/login")},
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    login(client, create_user())  # a visitor without a role
    for path in pages:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, f"/f/{slug}/map")
    response = client.post(
        f"/f/{slug}/manage/booths/plan/booth",
        data={"csrf_token": token, "booth-code": "X01", "booth-hall_id": plan[0].id},
    )
    assert response.status_code == 403
    assert "X01" not in booth_codes(festival)


def test_draft_plan_is_hidden_from_the_public(client, create_festival, create_plan, organizer):
    draft = create_festival(organizer=organizer)
    create_plan(draft, n=2)
    assert client.get(f"/f/{draft.slug}/booths/plan.json").status_code == 404
    assert client.get(f"/f/{draft.slug}/map").status_code == 404
    assert client.get(f"/f/{draft.slug}/booths/A01").status_code == 404
    login(client, organizer)
    data = client.get(f"/f/{draft.slug}/booths/plan.json").get_json()
    assert [b["code"] for b in data["booths"]] == ["A01", "A02"]


# --- the editor's endpoints ----------------------------------------------------------------


def test_editor_forms_without_javascript(client, festival, organizer):
    login(client, organizer)
    slug = festival.slug
    editor = f"/f/{slug}/manage/booths/plan"
    html = client.get(editor).get_data(as_text=True)
    assert 'id="hall-form"' in html and 'id="row-form"' not in html  # a hall comes first
    token = csrf_token(client, editor)
    response = client.post(
        f"{editor}/hall",
        data={
            "csrf_token": token,
            "hall-name": "Sân vận động",
            "hall-width_m": "24",
            "hall-depth_m": "12",
            "hall-outdoor": "y",
        },
    )
    assert response.status_code == 302
    hall = db.session.scalar(sa.select(Hall).where(Hall.festival_id == festival.id))
    assert (hall.name, hall.width_m, hall.depth_m, hall.outdoor) == ("Sân vận động", 24, 12, True)

    response = client.post(
        f"{editor}/zone",
        data={
            "csrf_token": token,
            "zone-name": "Ẩm thực",
            "zone-hall_id": hall.id,
            "zone-x": "0",
            "zone-y": "0",
            "zone-width_m": "24",
            "zone-depth_m": "6",
            "zone-color": "#FFEEDD",
        },
    )
    assert response.status_code == 302
    assert hall.zones[0].color == "#ffeedd"

    row = {
        "csrf_token": token,
        "row-hall_id": hall.id,
        "row-zone_id": "",
        "row-prefix": "F",
        "row-start_number": "1",
        "row-count": "8",
        "row-x": "0",
        "row-y": "0",
        "row-width_m": "3",
        "row-depth_m": "3",
        "row-direction": "right",
        "row-kind": "food",
        "row-price_vnd": "200000",
    }
    response = client.post(f"{editor}/row", data=row)
    assert response.status_code == 302
    assert booth_codes(festival) == [f"F{i:02d}" for i in range(1, 9)]
    zone_ids = set(db.session.scalars(sa.select(Booth.zone_id).where(Booth.hall_id == hall.id)))
    assert zone_ids == {hall.zones[0].id}

    # Nine more do not fit in 24 m: the page comes back with the error and what was typed.
    response = client.post(
        f"{editor}/row", data=dict(row, **{"row-prefix": "G", "row-y": "6", "row-count": "9"})
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Booth G09 does not fit inside Sân vận động" in html
    assert 'name="row-prefix" type="text" value="G"' in html or 'value="G"' in html
    assert not [c for c in booth_codes(festival) if c.startswith("G")]

    # The hall cannot shrink under its booths; its edit form comes filled in.
    html = client.get(f"{editor}?hall={hall.id}").get_data(as_text=True)
    assert "Edit hall" in html and 'value="Sân vận động"' in html
    response = client.post(
        f"{editor}/hall",
        data={
            "csrf_token": token,
            "hall-hall_id": hall.id,
            "hall-name": "Sân vận động",
            "hall-width_m": "20",
            "hall-depth_m": "12",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == {
        "width_m": ["Sân vận động cannot shrink to 20 × 12 m: F07 would stick out."]
    }

    # Edit a booth's fields through the side panel form.
    f03 = db.session.scalar(
        sa.select(Booth).where(Booth.code == "F03", Booth.festival_id == festival.id)
    )
    assert 'value="F03"' in client.get(f"{editor}?booth={f03.id}").get_data(as_text=True)
    booth_form = {
        "csrf_token": token,
        "booth-booth_id": f03.id,
        "booth-hall_id": hall.id,
        "booth-zone_id": "",
        "booth-code": "F03",
        "booth-x": "6",
        "booth-y": "6",
        "booth-width_m": "3",
        "booth-depth_m": "6",
        "booth-kind": "sponsor",
        "booth-price_vnd": "1000000",
        "booth-reserved_group_id": "",
        "booth-reserved_area_code": "20467",
        "booth-staff_passes": "4",
        "booth-blocked": "y",
        "booth-blocked_reason": "Nhà tài trợ",
    }
    response = client.post(f"{editor}/booth", data=booth_form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.refresh(f03)
    assert (f03.y, f03.depth_m, f03.kind, f03.price_vnd, f03.staff_passes) == (
        6,
        6,
        "sponsor",
        1_000_000,
        4,
    )
    assert f03.blocked and f03.blocked_reason == "Nhà tài trợ" and f03.reserved_area.code == "20467"


def test_editor_json_endpoints_answer_translated_errors(client, festival, plan, organizer):
    hall, _zone, booths = plan
    login(client, organizer)
    editor = f"/f/{festival.slug}/manage/booths/plan"
    token = csrf_token(client, editor)
    headers = {"Accept": "application/json"}
    # Place a booth by clicking the grid: the new booth's form.
    new = {
        "csrf_token": token,
        "booth-booth_id": "",
        "booth-hall_id": hall.id,
        "booth-zone_id": "",
        "booth-code": "C01",
        "booth-x": "10",
        "booth-y": "10",
        "booth-width_m": "3",
        "booth-depth_m": "3",
        "booth-kind": "startup",
        "booth-price_vnd": "0",
        "booth-reserved_group_id": "",
        "booth-staff_passes": "2",
    }
    response = client.post(f"{editor}/booth", data=new, headers=headers)
    assert response.status_code == 200 and response.get_json()["ok"] is True
    c01 = response.get_json()["booth_id"]

    response = client.post(
        f"{editor}/booth", data=dict(new, **{"booth-code": "C02", "booth-x": "11"}), headers=headers
    )
    body = response.get_json()
    assert response.status_code == 400 and body["ok"] is False
    assert body["errors"] == {"x": ["Booth C02 would overlap booth C01."]}

    response = client.post(
        f"{editor}/booth", data=dict(new, **{"booth-code": "", "booth-x": "abc"}), headers=headers
    )
    body = response.get_json()
    assert set(body["errors"]) == {"code", "x"}

    # Drag to move: onto A02 refused, to a free place accepted.
    move = {"csrf_token": token, "booth_id": c01, "x": "3", "y": "0"}
    response = client.post(f"{editor}/booth/move", data=move, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["message"] == "Booth C01 would overlap booth A02."
    response = client.post(f"{editor}/booth/move", data=dict(move, x="20", y="12"), headers=headers)
    assert response.get_json()["ok"] is True
    assert (db.session.get(Booth, c01).x, db.session.get(Booth, c01).y) == (20, 12)

    # Without the CSRF token nothing happens.
    response = client.post(f"{editor}/booth/move", data=dict(move, csrf_token=""), headers=headers)
    assert response.status_code == 400 and db.session.get(Booth, c01).x == 20

    # A booth somebody holds cannot be deleted; a free one can.
    response = client.post(
        f"{editor}/booth/delete", data={"csrf_token": token, "item_id": c01}, headers=headers
    )
    assert response.get_json()["ok"] is True and db.session.get(Booth, c01) is None


def test_booth_in_use_cannot_be_deleted(plan, occupy):
    booth = plan[2][0]
    occupy(booth, "pending", expires_in=None)
    with pytest.raises(ops.PlanError) as exc:
        ops.delete_booth(booth)
    assert exc.value.message() == "Booth A01 is held or booked: free it before deleting it."


def test_deleting_a_booth_locks_it_before_checking(plan, monkeypatch):
    """The same row lock a hold takes, so no hold slips in between the check and the delete."""
    from booths import operations as booking_ops

    booth = plan[2][0]
    calls = []
    real = booking_ops.lock_booths

    def spy(ids):
        calls.append((list(ids), db.session.get(Booth, booth.id) is not None))
        return real(ids)

    monkeypatch.setattr(booking_ops, "lock_booths", spy)
    ops.delete_booth(booth)
    assert calls == [([booth.id], True)]


def test_ids_beyond_the_column_are_not_found(client, festival, plan, organizer):
    login(client, organizer)
    editor = f"/f/{festival.slug}/manage/booths/plan"
    token = csrf_token(client, editor)
    for item_id in (str(2**31), str(2**64)):
        response = client.post(
            f"{editor}/booth/delete",
            data={"csrf_token": token, "item_id": item_id},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 404, item_id
    assert db.session.get(Booth, plan[2][0].id) is not None


def test_import_page_reports_rows(client, festival, plan, organizer):
    login(client, organizer)
    url = f"/f/{festival.slug}/manage/booths/plan/import"
    token = csrf_token(client, url)
    bad = "code,hall,x,y,width_m,depth_m\nK01,Nhà văn hóa,0,10,3,3\nK02,Nhà văn hóa,x,10,3,3\n"
    response = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "booths.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert 'data-ok="0"' in html and 'data-row="3" data-column="x"' in html
    assert "K01" not in booth_codes(festival)
    good = bad.replace("K02,Nhà văn hóa,x", "K02,Nhà văn hóa,3")
    response = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "booths.csv")},
        content_type="multipart/form-data",
    )
    assert 'data-ok="1"' in response.get_data(as_text=True)
    assert {"K01", "K02"} <= set(booth_codes(festival))
    exported = client.get(f"/f/{festival.slug}/manage/booths/plan/booths.csv")
    assert exported.mimetype == "text/csv" and "K02,Nhà văn hóa,Gian OCOP" not in exported.text
    assert "\r\nK02,Nhà văn hóa,,3,10,3,3,0,ocop,0,,,0,2," in exported.text


# --- public map, booth page, signs, list ---------------------------------------------------


def test_public_map_highlights_booths_matching_a_search(client, festival, plan, occupy):
    _hall, _zone, booths = plan
    occupy(booths[1], "approved", expires_in=None, name="HTX Sâm Ngọc Linh Nam Trà My")
    occupy(booths[3], "approved", expires_in=None, name="HTX Dệt thổ cẩm Zara")
    occupy(booths[4], "pending", expires_in=None, name="HTX Sâm chờ duyệt")
    response = client.get(f"/f/{festival.slug}/map", query_string={"q": "sam ngoc linh"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<tr data-code="A02" data-state="booked" class="is-highlight">' in html
    assert '<tr data-code="A04" data-state="booked">' in html
    assert '<tr data-code="A05" data-state="pending">' in html  # not public, not highlighted
    assert "HTX Sâm chờ duyệt" not in html
    assert f"highlight: [{booths[1].id}]" in html
    data = client.get(
        f"/f/{festival.slug}/booths/plan.json", query_string={"q": "sam ngoc linh"}
    ).get_json()
    assert [b["code"] for b in data["booths"] if b["highlight"]] == ["A02"]
    # Without a search nothing is highlighted; the legend names every state.
    html = client.get(f"/f/{festival.slug}/map").get_data(as_text=True)
    assert "is-highlight" not in html.split('id="booth-list-title"')[1]
    for label in ("Available", "Held", "Pending approval", "Booked", "Blocked"):
        assert f"</span>{vi(label)}</li>" in html  # a visitor's page: Vietnamese


def test_booth_page_signs_and_list(client, festival, plan, occupy, organizer):
    _hall, _zone, booths = plan
    application = occupy(booths[0], "approved", expires_in=None, name="HTX Dược liệu Tây Giang")
    occupy(booths[1], "pending", expires_in=None, name="HTX Đang chờ")
    page = client.get(f"/f/{festival.slug}/booths/a01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HTX Dược liệu Tây Giang" in html
    assert 'data-state="booked"' in html and "Gian OCOP" in html and "3 × 3 m" in html
    other = client.get(f"/f/{festival.slug}/booths/A02").get_data(as_text=True)
    assert "HTX Đang chờ" not in other and 'data-state="pending"' in other
    assert client.get(f"/f/{festival.slug}/booths/Z99").status_code == 404

    login(client, organizer)
    signs = client.get(
        f"/f/{festival.slug}/manage/booths/plan/signs",
        query_string={"code": "A01", "size": "a5"},
    )
    html = signs.get_data(as_text=True)
    assert signs.status_code == 200 and html.count('class="booth-sign sign-a5"') == 1
    assert "<svg" in html and "HTX Dược liệu Tây Giang" in html
    assert f"http://localhost/f/{festival.slug}/booths/A01" in html
    all_signs = client.get(f"/f/{festival.slug}/manage/booths/plan/signs")
    assert all_signs.get_data(as_text=True).count('class="booth-sign sign-a4"') == 6
    listing = client.get(f"/f/{festival.slug}/manage/booths/plan/list")
    html = listing.get_data(as_text=True)
    assert html.count("<tr data-code=") == 6 and "HTX Đang chờ" in html  # organizers see all
    assert application.exhibitor_id


def test_sign_qr_encodes_the_booth_page(client, festival, plan, organizer):
    from ticketing import qrimage

    url = f"http://localhost/f/{festival.slug}/booths/A01"
    login(client, organizer)
    html = client.get(
        f"/f/{festival.slug}/manage/booths/plan/signs", query_string={"code": "A01"}
    ).get_data(as_text=True)
    assert qrimage.svg_text(url, scale=4, border=2) in html


# --- concurrency (PostgreSQL) --------------------------------------------------------------

RACERS = 8


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """An app on its own new PostgreSQL database (threads commit for real); dropped after."""
    import uuid

    from sqlalchemy.pool import NullPool

    from eventday import create_app
    from tests.conftest import USE_POSTGRES, base_config, require_postgres

    if not USE_POSTGRES:
        pytest.skip("PostgreSQL only (EVENTDAY_TEST_DB=postgres)")
    url = sa.engine.make_url(require_postgres())
    name = f"eventday_plan_race_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        config = base_config(
            tmp_path_factory.mktemp("plan-race"),
            url.set(database=name).render_as_string(hide_password=False),
        )
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": RACERS + 2, "max_overflow": 0}
        app = create_app(config)
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _place_at_once(app, monkeypatch, *, lock: bool) -> tuple[int, list[str]]:
    """RACERS organizers place a booth on the same square metre at the same moment. The window
    between the overlap check and the insert is widened (150 ms) the same way in every run."""
    import threading
    import time
    import uuid

    from eventday.festivals.models import Festival

    real_zone_for = ops._zone_for

    def slow_zone_for(*args):
        time.sleep(0.15)
        return real_zone_for(*args)

    monkeypatch.setattr(ops, "_zone_for", slow_zone_for)
    if not lock:  # negative control: no row lock on the hall
        monkeypatch.setattr(ops, "_lock_hall", lambda hall: None)
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        festival = Festival(slug=f"race-{tag}", name_vi="Đua", state="draft")
        db.session.add(festival)
        db.session.flush()
        hall = ops.save_hall(festival, None, name="Nhà văn hóa", width_m=30, depth_m=20)
        db.session.commit()
        festival_id, hall_id = festival.id, hall.id

    barrier = threading.Barrier(RACERS)
    answers: list[str] = []
    record = threading.Lock()

    def place(n: int) -> None:
        with app.app_context():
            hall = db.session.get(Hall, hall_id)
            barrier.wait(timeout=30)
            try:
                ops.save_booth(hall, None, ops.BoothData(code=f"R{n:02d}", x=n % 2, y=10))
                db.session.commit()
                answer = "placed"
            except ops.PlanError as exc:
                db.session.rollback()
                answer = exc.reason
            finally:
                db.session.remove()
            with record:
                answers.append(answer)

    threads = [threading.Thread(target=place, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        placed = db.session.scalar(
            sa.select(sa.func.count(Booth.id)).where(Booth.festival_id == festival_id)
        )
    return placed, answers


@pytest.mark.postgres
@pytest.mark.committing
def test_booths_placed_at_once_never_overlap(race_app, monkeypatch):
    placed, answers = _place_at_once(race_app, monkeypatch, lock=True)
    assert placed == 1
    assert sorted(answers) == ["overlap"] * (RACERS - 1) + ["placed"]


@pytest.mark.postgres
@pytest.mark.committing
def test_negative_control_without_the_hall_lock_booths_overlap(race_app, monkeypatch):
    placed, answers = _place_at_once(race_app, monkeypatch, lock=False)
    assert placed > 1, answers  # the same race without the lock lets overlapping booths in


def test_map_search_falls_back_to_exhibitor_names_without_the_directory_search(
    app, festival, plan, occupy, monkeypatch
):
    import sys

    from booths.plan_views import matching_booths

    _hall, _zone, booths = plan
    occupy(booths[0], "approved", expires_in=None, name="HTX Đẳng sâm Tây Giang")
    occupy(booths[1], "pending", expires_in=None, name="HTX Đẳng sâm chờ")
    monkeypatch.setitem(sys.modules, "booths.search", None)  # import now raises ImportError
    with app.test_request_context():
        assert matching_booths(festival, {"q": "dang sam"}) == {booths[0].id}
        assert matching_booths(festival, {"q": "tra"}) == set()
