import io

import sqlalchemy as sa

from eventday.extensions import db
from tests.conftest import csrf_token
from ticketing import operations as ops
from ticketing.models import BankStatementRow


def test_statement_upload_matches_and_is_idempotent(
    client, auth, bank_festival, create_ticket_type
):
    ticket_type = create_ticket_type(bank_festival, price_vnd=150000)
    orders = [
        ops.place_order(
            ops.OrderRequest(
                festival=bank_festival,
                ticket_type=ticket_type,
                attendees=[ops.AttendeeData(full_name=f"Người {i}", phone="+84905111222")],
                payment_method="vietqr",
            )
        )
        for i in range(3)
    ]
    db.session.commit()
    csv_text = (
        "Ngày giao dịch;Số tiền ghi có;Nội dung\n"
        f"26/12/2026;150.000;CT {orders[0].code.lower()} chuyen khoan\n"
        f"26/12/2026;100.000;{orders[1].code[:2]} {orders[1].code[2:]}\n"
        "27/12/2026;50.000;ung ho ngay hoi\n"
    )
    organizer = next(r.user for r in bank_festival.roles if r.role == "organizer")
    auth.login(organizer)
    path = f"/f/{bank_festival.slug}/manage/statements"

    def upload():
        return client.post(
            path,
            data={
                "file": (io.BytesIO(csv_text.encode("utf-8-sig")), "saoke.csv"),
                "csrf_token": csrf_token(client, path),
            },
            content_type="multipart/form-data",
            headers={"Accept-Language": "en"},
        )

    page = upload().get_data(as_text=True)
    assert (
        'data-status="matched"' in page
        and 'data-status="partial"' in page
        and 'data-status="unknown"' in page
    )
    for order in orders:
        db.session.refresh(order)
    assert (
        orders[0].state == "paid" and orders[1].state == "pending" and orders[1].paid_vnd == 100000
    )
    page = upload().get_data(as_text=True)
    assert page.count('data-status="already_imported"') == 3
    assert db.session.scalar(sa.select(sa.func.count(BankStatementRow.id))) == 3
    db.session.refresh(orders[1])
    assert orders[1].paid_vnd == 100000


def test_bad_statement_names_row_and_column_and_keeps_nothing(client, auth, bank_festival):
    organizer = next(r.user for r in bank_festival.roles if r.role == "organizer")
    auth.login(organizer)
    path = f"/f/{bank_festival.slug}/manage/statements"
    csv_text = "Ngày giao dịch,Số tiền ghi có,Nội dung\n26/12/2026,150000,DH\n31/02/2026,abc,x\n"
    response = client.post(
        path,
        data={
            "file": (io.BytesIO(csv_text.encode()), "s.csv"),
            "csrf_token": csrf_token(client, path),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and ("Row 3" in page or "Dòng 3" in page)
    assert db.session.scalar(sa.select(sa.func.count(BankStatementRow.id))) == 0
