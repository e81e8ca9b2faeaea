"""Organizer tools: walk-in registration, attendee import, exports, sales figures.

Pages are read in English (users with locale "en"): the new strings are not translated yet.
"""

import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from tests.conftest import area, csrf_token
from ticketing import imports, reports
from ticketing import operations as ops
from ticketing.models import Order, Ticket

HEADER = ["Full name", "Phone", "Email", "Participant group", "Home commune", "Ticket type"]


@pytest.fixture
def organizer(create_user):
    return create_user(name="Trần Văn Tổ Chức", locale="en")


@pytest.fixture
def festival(bank_festival, organizer):
    festival_ops.grant_role(bank_festival, organizer, "organizer")
    db.session.commit()
    return bank_festival


def orders_of(festival):
    return db.session.scalars(
        sa.select(Order).where(Order.festival_id == festival.id).order_by(Order.id)
    ).all()


# --------------------------------------------------------------------------- walk-in


def walk_in_data(client, path, **values):
    data = {
        "csrf_token": csrf_token(client, path),
        "full_name": "Bhling Thị Hoa",
        "phone": "0905 222 333",
        "locale": "vi",
        "consent": "y",
    }
    data.update(values)
    return data


def test_walk_in_with_cash_issues_a_valid_ticket(
    client, auth, festival, organizer, create_ticket_type
):
    paid = create_ticket_type(festival, name_vi="Vé ủng hộ", price_vnd=50000)
    auth.login(organizer)
    path = f"/f/{festival.slug}/manage/walk-in"
    youth = festival.groups[0]
    commune = area("commune", "20455")
    response = client.post(
        path,
        data=walk_in_data(
            client,
            path,
            ticket_type=str(paid.id),
            participant_group=str(youth.id),
            home_area=str(commune.id),
            cash_received="y",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [order] = orders_of(festival)
    assert order.source == "gate" and order.state == "paid" and order.payment_method == "cash"
    assert order.paid_vnd == 50000 == order.total_vnd
    [payment] = order.payments
    assert payment.provider == "cash" and payment.state == "succeeded"
    assert payment.recorded_by_id == organizer.id
    [ticket] = order.tickets
    assert ticket.state == "valid" and ticket.phone == "+84905222333"
    assert ticket.participant_group_id == youth.id and ticket.home_area_id == commune.id
    assert f"done={order.code}" in response.headers["Location"]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-short-code="{ticket.short_code}"' in page
    link = re.search(rf'href="(/o/[^"]+/t/{ticket.id})"', page)[1]
    assert client.get(link).status_code == 200


def test_walk_in_paid_ticket_needs_the_cash_box(
    client, auth, festival, organizer, create_ticket_type
):
    paid = create_ticket_type(festival, price_vnd=50000)
    auth.login(organizer)
    path = f"/f/{festival.slug}/manage/walk-in"
    response = client.post(path, data=walk_in_data(client, path, ticket_type=str(paid.id)))
    assert response.status_code == 200
    assert "Take the cash first" in response.get_data(as_text=True)
    assert orders_of(festival) == []


def test_staff_register_a_free_walk_in(client, auth, festival, create_user, create_ticket_type):
    free = create_ticket_type(festival, name_vi="Vé cư dân")
    staff = create_user(locale="en")
    festival_ops.grant_role(festival, staff, "staff")
    db.session.commit()
    auth.login(staff)
    path = f"/f/{festival.slug}/manage/walk-in"
    response = client.post(
        path, data=walk_in_data(client, path, ticket_type=str(free.id), phone="", email="a@b.vn")
    )
    assert response.status_code == 302
    [order] = orders_of(festival)
    assert order.state == "paid" and order.payment_method == "free" and order.source == "gate"
    assert order.payments == [] and order.tickets[0].state == "valid"


def test_walk_in_shows_domain_errors_and_refuses_strangers(
    client, auth, festival, create_user, create_ticket_type
):
    full = create_ticket_type(festival, quota=0)
    auth.login(create_user(locale="en"))
    path = f"/f/{festival.slug}/manage/walk-in"
    assert client.get(path).status_code == 403
    token = csrf_token(client, "/")
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    auth.logout()

    organizer = create_user(locale="en")
    festival_ops.grant_role(festival, organizer, "organizer")
    db.session.commit()
    auth.login(organizer)
    response = client.post(path, data=walk_in_data(client, path, ticket_type=str(full.id)))
    assert "Sold out: no places are left" in response.get_data(as_text=True)
    assert orders_of(festival) == []


# --------------------------------------------------------------------------- import


def xlsx(rows, header=HEADER, title_rows=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in title_rows:
        sheet.append(row)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, festival, data: bytes):
    path = f"/f/{festival.slug}/manage/import"
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "file": (io.BytesIO(data), "list.xlsx"),
            "locale": "vi",
            "consent": "y",
        },
        content_type="multipart/form-data",
    )


def test_import_creates_one_free_order_per_row_and_is_idempotent(
    client, auth, festival, organizer, create_ticket_type
):
    resident = create_ticket_type(festival, name_vi="Vé cư dân", name_en="Resident")
    youth, farmers = festival.groups[0], festival.groups[1]
    rows = [
        # A phone Excel turned into a number, names without diacritics, a commune by code.
        ["Alăng Thị Bốn", 905123456, None, youth.name_vi.upper(), "Tay Giang", "ve cu dan"],
        ["Hồ Văn Năm", None, "NAM@example.vn", farmers.name_vi, "20467", "Resident"],
        ["Zơrâm Thị Sáu", "0935 111 222", "", "", "xã Đông Giang", "Vé cư dân"],
        [None, None, None, None, None, None],  # an empty line is ignored
    ]
    auth.login(organizer)
    response = upload(client, festival, xlsx(rows, title_rows=[["Danh sách khách mời"]]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-ok="1"' in page and "3 imported, 0 skipped" in page
    orders = orders_of(festival)
    assert len(orders) == 3
    assert {o.source for o in orders} == {"import"} and {o.state for o in orders} == {"paid"}
    tickets = [o.tickets[0] for o in orders]
    assert [t.state for t in tickets] == ["valid"] * 3
    assert tickets[0].phone == "+84905123456" and tickets[0].participant_group_id == youth.id
    assert tickets[0].home_area == area("commune", "20455")
    assert tickets[1].email == "nam@example.vn" and tickets[1].home_area.code == "20467"
    assert tickets[2].home_area == area("commune", "20467")
    assert all(t.ticket_type_id == resident.id for t in tickets)

    # The same file again (and one new person) creates only the new one.
    rows.append(["Người Mới", "0905 999 888", None, None, None, "Resident"])
    page = upload(client, festival, xlsx(rows)).get_data(as_text=True)
    assert "1 imported, 3 skipped" in page
    assert len(orders_of(festival)) == 4
    assert re.search(r'data-row="2" data-status="skipped"', page)


def test_import_with_one_bad_row_imports_nothing_and_names_the_cell(
    client, auth, festival, organizer, create_ticket_type
):
    create_ticket_type(festival, name_vi="Vé cư dân")
    create_ticket_type(festival, name_vi="Vé ủng hộ", price_vnd=50000)
    rows = [
        ["Alăng Thị Bốn", "0905 123 456", None, None, None, "Vé cư dân"],
        ["Hồ Văn Năm", "12345", None, None, None, "Vé cư dân"],
        ["Zơrâm Sáu", "0905 123 457", None, "Không có nhóm này", "Xã Không Tồn Tại", "Vé cư dân"],
        ["Bríu Bảy", "0905 123 458", None, None, None, "Vé ủng hộ"],
        ["", "0905 123 459", None, None, None, ""],
    ]
    auth.login(organizer)
    page = upload(client, festival, xlsx(rows)).get_data(as_text=True)
    assert 'data-ok="0"' in page and "Nothing was imported" in page
    assert orders_of(festival) == []
    assert 'data-row="2" data-status="ready"' in page
    assert "Row 3, column B “Phone”:" in page and "is not a valid phone number" in page
    assert "Row 4, column D “Participant group”:" in page
    assert "Row 4, column E “Home commune”:" in page
    assert "Row 5, column F “Ticket type”:" in page and "Only free tickets" in page
    assert "Row 6, column A “Full name”:" in page and "Row 6, column F" in page


def test_import_rolls_back_when_a_row_fails_while_placing(festival, create_ticket_type, app):
    small = create_ticket_type(festival, name_vi="Vé ít", quota=1)
    data = xlsx(
        [
            ["Một", "0905 000 001", None, None, None, "Vé ít"],
            ["Hai", "0905 000 002", None, None, None, "Vé ít"],
        ]
    )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        report = imports.import_attendees(festival, data)
    assert not report.ok
    assert [r.status for r in report.rows] == ["ready", "error"]
    assert isinstance(report.rows[1].issues[0].error, ops.SoldOut)
    assert report.rows[1].issues[0].letter == "F"
    assert orders_of(festival) == [] and ops.available(small) == 1


def test_import_rejects_what_is_not_an_attendee_list(client, auth, festival, organizer):
    auth.login(organizer)
    page = upload(client, festival, b"name,phone\nA,0905123456\n").get_data(as_text=True)
    assert "This is not an XLSX workbook" in page
    page = upload(client, festival, xlsx([["A"]], header=["Full name", "Phone"])).get_data(
        as_text=True
    )
    assert "Column “Ticket type” is missing." in page
    assert orders_of(festival) == []


def test_import_template_has_the_header_row(
    client, auth, festival, organizer, create_user, create_ticket_type
):
    create_ticket_type(festival, name_vi="Vé cư dân", name_en="Resident")
    auth.login(organizer)
    response = client.get(f"/f/{festival.slug}/manage/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    header = [c.value for c in workbook.worksheets[0][1]]
    assert header == HEADER
    assert workbook.worksheets[1]["B2"].value == "Resident"
    # A filled-in template imports as it is.
    workbook.worksheets[0].append(["Người Một", "0905 000 003", None, None, None, "Resident"])
    out = io.BytesIO()
    workbook.save(out)
    assert "1 imported" in upload(client, festival, out.getvalue()).get_data(as_text=True)

    auth.logout()
    staff = create_user(locale="en")
    festival_ops.grant_role(festival, staff, "staff")
    db.session.commit()
    auth.login(staff)
    assert client.get(f"/f/{festival.slug}/manage/import/template.xlsx").status_code == 403
    assert client.get(f"/f/{festival.slug}/manage/import").status_code == 403


# --------------------------------------------------------------------------- exports


def place(festival, ticket_type, names, *, group_id=None, home_area_id=None, **kw):
    """An order; the first attendee gets the group and home area."""
    attendees = [
        ops.AttendeeData(full_name=name, phone=f"+8490500{i:04d}") for i, name in enumerate(names)
    ]
    attendees[0].participant_group_id = group_id
    attendees[0].home_area_id = home_area_id
    return ops.place_order(
        ops.OrderRequest(festival=festival, ticket_type=ticket_type, attendees=attendees, **kw)
    )


def test_exports_one_row_per_ticket_as_csv_and_xlsx(
    client, auth, festival, organizer, create_ticket_type
):
    paid = create_ticket_type(festival, name_vi="Vé ủng hộ", name_en="Supporter", price_vnd=20000)
    youth = festival.groups[0]
    order = place(
        festival,
        paid,
        ["Alăng Thị Bốn", "=HYPERLINK(1)"],
        payment_method="cash",
        group_id=youth.id,
        home_area_id=area("commune", "20455").id,
    )
    ops.mark_paid(order, provider="cash", user_id=organizer.id)
    db.session.commit()
    auth.login(organizer)

    response = client.get(f"/f/{festival.slug}/manage/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:6] == [
        "Order code",
        "Order state",
        "Ticket code",
        "Ticket state",
        "Attendee",
        "Phone",
    ]
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Order code"] == order.code and first["Order state"] == "Confirmed"
    assert first["Attendee"] == "Alăng Thị Bốn" and first["Phone"] == "0905 000 000"
    assert first["Participant group"] == youth.name_en
    assert first["Home area"] == "xã Tây Giang" and first["Home area code"] == "20455"
    assert first["Ticket type"] == "Supporter" and first["Price (đồng)"] == "20000"
    assert first["Payment method"] == "Cash at the venue"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", first["Paid at"])
    assert rows[2][4] == "'=HYPERLINK(1)"  # no formula in a spreadsheet

    response = client.get(f"/f/{festival.slug}/manage/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == rows[0] and len(values) == 3
    assert values[1][0] == order.code and values[1][4] == "Alăng Thị Bốn"
    assert values[1][11] == 20000 and isinstance(values[1][13], dt.datetime)
    assert values[2][4] == "=HYPERLINK(1)" and sheet.cell(3, 5).data_type == "s"


def test_exports_are_for_organizers_only(client, auth, festival, create_user):
    staff = create_user(locale="en")
    festival_ops.grant_role(festival, staff, "staff")
    db.session.commit()
    auth.login(staff)
    assert client.get(f"/f/{festival.slug}/manage/export.csv").status_code == 403
    assert client.get(f"/f/{festival.slug}/manage/export.xlsx").status_code == 403
    assert client.get(f"/f/{festival.slug}/manage/sales").status_code == 403


# --------------------------------------------------------------------------- sales


def test_sales_figures_match_a_known_set_of_orders(
    client, auth, app, festival, organizer, create_ticket_type
):
    free = create_ticket_type(festival, name_vi="Vé cư dân", quota=50)
    paid = create_ticket_type(festival, name_vi="Vé ủng hộ", price_vnd=20000, quota=50)
    youth, farmers = festival.groups[0], festival.groups[1]
    tay_giang = area("commune", "20455")

    a = place(festival, free, ["A1", "A2"], group_id=youth.id, home_area_id=tay_giang.id)
    b = place(festival, free, ["B1"], group_id=farmers.id)
    cancelled = place(festival, free, ["C1"], group_id=youth.id)
    ops.cancel_order(cancelled)
    cash = place(festival, paid, ["D1", "D2"], payment_method="cash", group_id=youth.id)
    ops.mark_paid(cash, provider="cash", user_id=organizer.id)
    transfer = place(festival, paid, ["E1"], payment_method="vietqr")
    ops.mark_paid(transfer, provider="vietqr", user_id=organizer.id)
    refunded = place(festival, paid, ["F1"], payment_method="vietqr")
    ops.mark_paid(refunded, provider="vietqr", user_id=organizer.id)
    ops.refund_order(refunded, user_id=organizer.id)
    place(festival, paid, ["G1"], payment_method="vietqr")  # pending: not sold
    # Days in Vietnam time: 18:30 UTC on 1 March is 01:30 on 2 March in Hà Nội.
    late = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC)
    early = dt.datetime(2026, 3, 1, 16, 59, tzinfo=dt.UTC)  # 23:59 on 1 March
    for ticket in a.tickets:
        ticket.issued_at = late
    b.tickets[0].issued_at = early
    db.session.commit()

    with app.test_request_context(headers={"Accept-Language": "en"}):
        report = reports.sales_report(festival)
        sold = {t.ticket_type.id: (t.sold, t.revenue_vnd) for t in report.types}
        assert sold == {free.id: (3, 0), paid.id: (3, 60000)}
        days = {d.day: d.by_type for d in report.days}
        assert days[dt.date(2026, 3, 2)] == {free.id: 2}
        assert days[dt.date(2026, 3, 1)] == {free.id: 1}
        assert sum(d.total for d in report.days) == 6
        methods = {m.method: (m.payments, m.received_vnd, m.refunded_vnd) for m in report.methods}
        assert methods == {"cash": (1, 40000, 0), "vietqr": (2, 40000, 20000)}
        assert report.net_vnd == 60000
        groups = {r.key: r.count for r in report.groups}
        assert groups == {youth.id: 2, farmers.id: 1, None: 3}  # first attendees only
        assert [(r.key, r.count) for r in report.areas] == [(tay_giang.id, 1), (None, 5)]

    # The same figures on the page, with the charts and no script.
    auth.login(organizer)
    page = client.get(f"/f/{festival.slug}/manage/sales").get_data(as_text=True)
    assert '<td class="num" data-count="3">3</td>' in page
    assert 'data-day="2026-03-02"' in page and 'data-day="2026-03-01"' in page
    assert 'id="total-sold">6<' in page and 'data-net="20000"' in page
    assert "<svg" in page and "<script" not in page.split("</footer>")[0].split("<body>")[1]


def test_local_date_matches_vietnam_time_on_the_database(festival, create_ticket_type):
    ticket_type = create_ticket_type(festival)
    order = place(festival, ticket_type, ["H1"])
    order.tickets[0].issued_at = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)
    db.session.flush()
    on = db.session.scalar(
        sa.select(reports.local_date(Ticket.issued_at)).where(Ticket.id == order.tickets[0].id)
    )
    assert on == dt.date(2027, 1, 1)


TOOL_PATHS = (
    ("GET", "walk-in"),
    ("POST", "walk-in"),
    ("GET", "import"),
    ("POST", "import"),
    ("GET", "import/template.xlsx"),
    ("GET", "export.csv"),
    ("GET", "export.xlsx"),
    ("GET", "sales"),
)


def test_tools_refuse_anonymous_users_and_strangers(
    app, client, auth, festival, create_user, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    for method, tail in TOOL_PATHS:
        response = client.open(f"/f/{festival.slug}/manage/{tail}", method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(create_user())
    for method, tail in TOOL_PATHS:
        response = client.open(f"/f/{festival.slug}/manage/{tail}", method=method)
        assert response.status_code == 403, (method, tail)


def test_sales_page_of_a_festival_without_sales(client, auth, festival, organizer):
    auth.login(organizer)
    page = client.get(f"/f/{festival.slug}/manage/sales").get_data(as_text=True)
    assert 'id="total-sold">0<' in page and "No tickets issued yet." in page
    assert "<svg" not in page
