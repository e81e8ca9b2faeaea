"""Organizer tools (issue 5, section 8): the booths home and its dashboard section, occupancy by
zone, type and home area, fee revenue, fee waivers, the XLSX export, and who may see them.

The plan is made by hand: two zones, ten booths, applications in every state created directly
with the models (the booking operations are written in parallel)."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from booths import reports
from booths.models import (
    Booth,
    BoothApplication,
    BoothBooking,
    BoothFeeWaiver,
    Product,
    Zone,
)
from booths.search import today_local
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.util import section_status
from tests.conftest import area, csrf_token
from ticketing.models import Order

_codes = itertools.count(1)


def make_order(festival, state: str, total: int) -> Order:
    order = Order(
        festival_id=festival.id,
        code=f"DHT{next(_codes):05d}",
        state=state,
        payment_method="vietqr",
        total_vnd=total,
        paid_vnd=total if state == "paid" else 0,
        buyer_name="HTX",
    )
    db.session.add(order)
    db.session.flush()
    return order


def make_application(
    festival, exhibitor, booths, state, *, expires=None, fee=0, waived=False, order=None
):
    application = BoothApplication(
        festival_id=festival.id,
        exhibitor_id=exhibitor.id,
        state=state,
        hold_expires_at=expires,
        fee_vnd=fee,
        fee_waived=waived,
        order_id=order.id if order else None,
    )
    db.session.add(application)
    db.session.flush()
    active = state in ("held", "pending", "approved")
    for booth in booths:
        db.session.add(
            BoothBooking(
                festival_id=festival.id,
                application_id=application.id,
                booth_id=booth.id,
                active=active,
            )
        )
    db.session.flush()
    return application


class Plan:
    """Ten booths in two zones with every state, three exhibitors from two home areas."""

    def __init__(self, create_user, create_festival, create_exhibitor, create_plan):
        self.organizer = create_user()
        self.festival = create_festival(organizer=self.organizer, state="published")
        festival = self.festival
        self.hall, self.zone, booths = create_plan(festival, n=8, price_vnd=500_000)
        self.a = {b.code: b for b in booths}
        self.startup_zone = Zone(
            festival_id=festival.id,
            hall_id=self.hall.id,
            name="Khởi nghiệp",
            x=0,
            y=10,
            width_m=12,
            depth_m=6,
        )
        db.session.add(self.startup_zone)
        db.session.flush()
        self.b01 = Booth(
            festival_id=festival.id,
            hall_id=self.hall.id,
            zone_id=self.startup_zone.id,
            code="B01",
            x=0,
            y=10,
            kind="startup",
            price_vnd=300_000,
        )
        self.b02 = Booth(
            festival_id=festival.id,
            hall_id=self.hall.id,
            zone_id=self.startup_zone.id,
            code="B02",
            x=3,
            y=10,
            kind="food",
            price_vnd=300_000,
        )
        db.session.add_all([self.b01, self.b02])
        self.tay_giang = area("commune", "20455")
        self.song_kon = area("commune", "20467")
        self.a["A06"].blocked = True
        self.a["A08"].reserved_area_id = self.tay_giang.id
        db.session.commit()

        self.e1 = create_exhibitor("HTX Dược liệu Tây Giang", area=self.tay_giang)
        self.e2 = create_exhibitor("HTX Nông nghiệp xã Tư", area=self.song_kon)
        self.e3 = create_exhibitor("Khởi nghiệp Cơ Tu")
        today = dt.date.today()
        self.product = Product(
            exhibitor_id=self.e1.id,
            name_vi="Trà đẳng sâm",
            name_folded="tra dang sam",
            stars=4,
            decision_date=today - dt.timedelta(days=400),
            valid_until=today + dt.timedelta(days=700),
        )
        db.session.add(self.product)
        now = utcnow()
        a = self.a
        make_application(festival, self.e1, [a["A01"]], "held", expires=now + dt.timedelta(hours=1))
        make_application(festival, self.e3, [a["A02"]], "held", expires=now - dt.timedelta(hours=1))
        make_application(festival, self.e2, [a["A03"]], "pending")
        self.paid = make_application(
            festival,
            self.e1,
            [a["A04"]],
            "approved",
            fee=500_000,
            order=make_order(festival, "paid", 500_000),
        )
        self.paid.products = [self.product]
        make_application(
            festival,
            self.e3,
            [a["A05"]],
            "approved",
            fee=500_000,
            order=make_order(festival, "pending", 500_000),
        )
        # Waived with the fee recorded as 0: the booths' price is what was waived.
        make_application(festival, self.e2, [a["A07"]], "approved", fee=0, waived=True)
        make_application(festival, self.e3, [self.b02], "approved", fee=300_000, waived=True)
        make_application(festival, self.e2, [self.b01], "rejected")
        make_application(festival, self.e1, [self.b01], "withdrawn")
        make_application(festival, self.e1, [self.b01], "expired")
        make_application(festival, self.e2, [], "waitlisted")
        db.session.commit()


@pytest.fixture
def plan(create_user, create_festival, create_exhibitor, create_plan) -> Plan:
    return Plan(create_user, create_festival, create_exhibitor, create_plan)


def counts(row) -> dict[str, int]:
    return {state: n for state, n in row.counts.items() if n}


def test_occupancy_by_zone_type_and_home_area(plan):
    occupancy = reports.occupancy(plan.festival)
    assert counts(occupancy.total) == {
        "held": 1,
        "available": 3,
        "pending": 1,
        "booked": 4,
        "blocked": 1,
    }
    by_zone = {r.key: counts(r) for r in occupancy.by_zone}
    assert by_zone == {
        plan.zone.id: {"held": 1, "available": 2, "pending": 1, "booked": 3, "blocked": 1},
        plan.startup_zone.id: {"available": 1, "booked": 1},
    }
    by_kind = {r.key: counts(r) for r in occupancy.by_kind}
    assert by_kind == {
        "ocop": {"held": 1, "available": 2, "pending": 1, "booked": 3, "blocked": 1},
        "startup": {"available": 1},
        "food": {"booked": 1},
    }
    by_area = {r.key: counts(r) for r in occupancy.by_area}
    assert by_area == {
        # A01 held and A04 booked by E1; A08 free but kept for Tây Giang.
        plan.tay_giang.id: {"held": 1, "booked": 1, "available": 1},
        plan.song_kon.id: {"pending": 1, "booked": 1},
        None: {"available": 2, "booked": 2, "blocked": 1},
    }
    assert sum(r.total for r in occupancy.by_area) == 10


def test_occupancy_takes_three_queries(plan):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    festival_id = plan.festival.id  # loaded before counting
    assert festival_id
    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        reports.occupancy(plan.festival)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3, statements


def test_fee_revenue(plan):
    fees = reports.fee_revenue(plan.festival)
    assert fees.approved == 4
    assert fees.invoiced_vnd == 1_000_000
    assert fees.paid_vnd == 500_000
    assert fees.outstanding_vnd == 500_000 and fees.unpaid == 1
    assert fees.waived == 2 and fees.waived_vnd == 500_000 + 300_000


def test_reports_page_shows_the_numbers(client, auth, plan):
    auth.login(plan.organizer)
    response = client.get(f"/f/{plan.festival.slug}/manage/booths/reports")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<strong data-state="booked">4</strong>' in html
    assert f'<tr data-key="{plan.startup_zone.id}">' in html
    assert "Khởi nghiệp" in html
    assert 'data-fee="approved">4<' in html
    from eventday.i18n import format_vnd

    assert format_vnd(1_000_000) in html and format_vnd(800_000) in html


def test_manage_page_and_dashboard_section(client, auth, plan):
    auth.login(plan.organizer)
    slug = plan.festival.slug
    response = client.get(f"/f/{slug}/manage/booths")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-count="booths">10<' in html
    assert 'data-count="booked">4<' in html
    assert 'data-count="waiting">' in html
    for path in ("reports", "waivers", "exhibitors/import", "export.xlsx"):
        assert f"/f/{slug}/manage/booths/{path}" in html

    with client.application.test_request_context():
        status = section_status("booths", plan.festival)
    assert status["set_up"] is True
    assert status["url"] == f"/f/{slug}/manage/booths"
    assert "10" in status["summary"] and "4" in status["summary"]
    dashboard = client.get(f"/f/{slug}/manage").get_data(as_text=True)
    assert f'href="/f/{slug}/manage/booths"' in dashboard


def test_dashboard_section_without_booths(app, create_festival):
    festival = create_festival()
    with app.test_request_context():
        status = section_status("booths", festival)
    assert status["set_up"] is False and status["url"].endswith("/manage/booths")


def test_xlsx_export_has_every_booth_with_its_exhibitor(client, auth, plan):
    auth.login(plan.organizer)
    response = client.get(f"/f/{plan.festival.slug}/manage/booths/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 11  # the header and ten booths
    by_code = {row[0]: row for row in rows[1:]}
    a04 = by_code["A04"]
    assert a04[8] == "HTX Dược liệu Tây Giang"
    assert "Trà đẳng sâm (4★)" in a04[16]
    assert a04[6] == 500_000 and a04[14] == 500_000
    assert by_code["A02"][8] in (None, "")  # the expired hold keeps nobody
    assert by_code["A06"][7] == str(reports.BOOTH_STATE_LABELS["blocked"])


def test_xlsx_export_gives_stars_only_for_a_valid_certificate(app, plan):
    from flask_babel import force_locale

    def a04():
        with force_locale("en"):
            rows = reports.export_rows(plan.festival)
        return next(row for row in rows if row[0] == "A04")[16]

    assert a04() == "Trà đẳng sâm (4★)"
    plan.product.valid_until = today_local() - dt.timedelta(days=1)
    db.session.commit()
    assert a04() == "Trà đẳng sâm (OCOP certificate expired)"
    plan.product.decision_date = plan.product.valid_until = None  # stars with no certificate
    db.session.commit()
    assert a04() == "Trà đẳng sâm"


def test_fee_waivers_add_and_remove(client, auth, plan):
    auth.login(plan.organizer)
    path = f"/f/{plan.festival.slug}/manage/booths/waivers"
    group = plan.festival.groups[0]
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "add-group_id": group.id,
            "add-note": "Chương trình OCOP huyện",
        },
    )
    assert response.status_code == 302
    waiver = db.session.scalar(
        sa.select(BoothFeeWaiver).where(BoothFeeWaiver.festival_id == plan.festival.id)
    )
    assert waiver.group_id == group.id and waiver.note == "Chương trình OCOP huyện"
    html = client.get(path).get_data(as_text=True)
    assert f'data-group-id="{group.id}"' in html

    # The same group again is refused, and the note typed is kept.
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "add-group_id": group.id, "add-note": "x"},
    )
    assert response.status_code == 422
    assert 'value="x"' in response.get_data(as_text=True)

    waiver_id = waiver.id
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "remove-waiver_id": waiver_id}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(BoothFeeWaiver, waiver_id) is None


def test_a_waiver_of_another_festival_cannot_be_removed(client, auth, plan, create_festival):
    other = create_festival()
    waiver = BoothFeeWaiver(festival_id=other.id, group_id=other.groups[0].id)
    db.session.add(waiver)
    db.session.commit()
    auth.login(plan.organizer)
    path = f"/f/{plan.festival.slug}/manage/booths/waivers"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "remove-waiver_id": waiver.id}
    )
    assert response.status_code == 404
    assert db.session.get(BoothFeeWaiver, waiver.id) is not None


@pytest.mark.parametrize(
    "path",
    [
        "manage/booths",
        "manage/booths/reports",
        "manage/booths/waivers",
        "manage/booths/export.xlsx",
        "manage/booths/exhibitors/import",
        "manage/booths/exhibitors/template.xlsx",
    ],
)
def test_organizer_pages_are_refused_to_others(client, auth, plan, create_user, path):
    url = f"/f/{plan.festival.slug}/{path}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login(plan.e1.user)  # an exhibitor of the festival is no organizer
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(create_user(admin=True))
    assert client.get(url).status_code == 200
