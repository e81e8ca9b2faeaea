import datetime as dt
import re

import pytest
import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from eventday.mail import OutboxMail
from tests.conftest import area, csrf_token, vi
from ticketing import operations as ops
from ticketing.models import InvitationCode, Order, Ticket, WaitingListEntry
from ticketing.signing import verify_for_festival


def attendee(name="Bríu Thị Hoa", **kw):
    kw.setdefault("phone", "+84905111222")
    return ops.AttendeeData(full_name=name, **kw)


def order_for(festival, ticket_type, n=1, **kw):
    return ops.place_order(
        ops.OrderRequest(
            festival=festival,
            ticket_type=ticket_type,
            attendees=[attendee(f"Người {i}", email=f"p{i}@example.vn") for i in range(n)],
            **kw,
        )
    )


def register_page_data(client, path, attendees, **extra):
    data = {"csrf_token": csrf_token(client, path), "locale": "vi", "consent": "y"}
    for i, a in enumerate(attendees):
        for key, value in a.items():
            data[f"attendees-{i}-{key}"] = value
    data.update(extra)
    return data


def test_free_registration_from_the_web_gives_valid_signed_tickets(
    client, create_festival, create_ticket_type
):
    festival = create_festival(state="published")
    ticket_type = create_ticket_type(festival, name_vi="Vé cư dân", quota=50)
    youth = festival.groups[0]
    path = f"/f/{festival.slug}/register/{ticket_type.id}?n=2"
    data = register_page_data(
        client,
        path,
        [
            {
                "full_name": "Alăng Thị Bốn",
                "phone": "0905 123 456",
                "participant_group": str(youth.id),
                "home_area": str(area("commune", "20455").id),
            },
            {
                "full_name": "Hồ Văn Năm",
                "email": "nam@example.vn",
                "participant_group": str(youth.id),
            },
        ],
    )
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    order_page = client.get(response.headers["Location"])
    page = order_page.get_data(as_text=True)
    assert vi("Confirmed") in page
    order = db.session.scalar(sa.select(Order).where(Order.festival_id == festival.id))
    assert order.state == "paid" and order.payment_method == "free" and order.total_vnd == 0
    tickets = order.tickets
    assert [t.state for t in tickets] == ["valid", "valid"]
    assert tickets[0].phone == "+84905123456" and tickets[0].home_area.code == "20455"
    assert len({t.short_code for t in tickets}) == 2 and all(
        len(t.short_code) == 8 for t in tickets
    )
    # The ticket page shows a QR whose payload verifies and names that ticket.
    link = re.search(rf'href="(/o/[^"]+/t/{tickets[0].id})"', page)[1]
    ticket_page = client.get(link)
    assert ticket_page.status_code == 200 and "<svg" in ticket_page.get_data(as_text=True)
    png = client.get(link + ".png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    import io

    import zxingcpp
    from PIL import Image

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    claims = verify_for_festival(decoded[0].text, festival)
    assert claims.ticket_id == tickets[0].id and claims.ticket_type_id == ticket_type.id
    # Only the second attendee gave an email: they got their ticket by mail.
    mails = db.session.scalars(
        sa.select(OutboxMail).where(OutboxMail.template == "ticketing/order_confirmed")
    ).all()
    assert [m.recipient for m in mails] == ["nam@example.vn"]


def test_registration_needs_consent_and_a_contact(client, create_festival, create_ticket_type):
    festival = create_festival(state="published")
    ticket_type = create_ticket_type(festival)
    path = f"/f/{festival.slug}/register/{ticket_type.id}"
    data = register_page_data(client, path, [{"full_name": "Không Liên Lạc"}])
    response = client.post(path, data=data)
    assert response.status_code == 200
    assert vi("Give a phone number or an email (at least one).") in response.get_data(as_text=True)
    data = register_page_data(client, path, [{"full_name": "A", "phone": "0905123456"}], consent="")
    response = client.post(path, data=data)
    assert vi("Consent is needed to register.") in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Order.id)).where(Order.festival_id == festival.id)
        )
        == 0
    )


def test_vietqr_order_waits_for_payment_then_is_confirmed(bank_festival, create_ticket_type):
    ticket_type = create_ticket_type(bank_festival, name_vi="Vé ủng hộ", price_vnd=150000)
    order = order_for(bank_festival, ticket_type, 2, payment_method="vietqr")
    assert order.state == "pending" and order.total_vnd == 300000 and order.expires_at > utcnow()
    assert [t.state for t in order.tickets] == ["reserved", "reserved"]
    from ticketing.payments import provider_for

    checkout = provider_for("vietqr").checkout_context(order)
    assert order.code in checkout["vietqr_payload"] and "5406300000" in checkout["vietqr_payload"]
    mail = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.template == "ticketing/payment_instructions")
    )
    assert (
        mail.recipient == "p0@example.vn"
        and {"kind": "vietqr", "order_id": order.id} in mail.attachments
    )
    ops.record_payment(order, 100000, "row-1")
    assert order.state == "pending"  # partial
    ops.record_payment(order, 200000, "row-2")
    assert order.state == "paid" and [t.state for t in order.tickets] == ["valid", "valid"]


def test_unpaid_orders_expire_and_release_their_places(bank_festival, create_ticket_type):
    ticket_type = create_ticket_type(bank_festival, price_vnd=50000, quota=2)
    order = order_for(bank_festival, ticket_type, 2, payment_method="vietqr")
    with pytest.raises(ops.SoldOut):
        order_for(bank_festival, ticket_type, 1, payment_method="vietqr")
    order.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.flush()
    second = order_for(bank_festival, ticket_type, 1, payment_method="vietqr")  # expiry on read
    assert order.state == "expired" and {t.state for t in order.tickets} == {"released"}
    assert second.state == "pending"
    # A late transfer for the expired order takes the place back when one is free.
    ops.record_payment(order, 100000, "late")
    assert (
        order.state == "expired" and "paid_after_expiry_sold_out" in order.note
    )  # only 1 place was free


def test_cancelling_a_free_order_frees_places_and_offers_them_to_the_waiting_list(
    create_festival, create_ticket_type
):
    festival = create_festival(state="published")
    ticket_type = create_ticket_type(festival, quota=1)
    order = order_for(festival, ticket_type, 1)
    with pytest.raises(ops.SoldOut) as info:
        order_for(festival, ticket_type, 1)
    assert info.value.available == 0
    entry = ops.join_waiting_list(
        ticket_type, name="Chờ Một", email="wait@example.vn", phone=None, locale="en"
    )
    second = ops.join_waiting_list(
        ticket_type, name="Chờ Hai", email="wait2@example.vn", phone=None, locale="vi"
    )
    assert entry.state == "waiting"
    ops.cancel_order(order)
    assert order.state == "cancelled" and order.tickets[0].state == "cancelled"
    assert entry.state == "offered" and second.state == "waiting"
    offer_mail = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.template == "ticketing/waiting_offer")
    )
    assert offer_mail.recipient == "wait@example.vn" and offer_mail.locale == "en"
    # The offered place is held: nobody else can take it ...
    with pytest.raises(ops.SoldOut):
        order_for(festival, ticket_type, 1)
    # ... but the person offered can.
    claimed = order_for(festival, ticket_type, 1, waiting_entry=entry)
    assert claimed.state == "paid" and entry.state == "accepted"
    # An offer that runs out passes to the next person.
    ops.cancel_order(claimed)
    assert second.state == "offered"
    second.offer_expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.flush()
    ops.release_expired(festival)
    assert second.state == "expired" and ops.available(ticket_type) == 1


def test_invitation_codes_unlock_hidden_types_and_prices(bank_festival, create_ticket_type):
    investor = create_ticket_type(
        bank_festival, name_vi="Thẻ nhà đầu tư", price_vnd=500000, is_hidden=True
    )
    with pytest.raises(ops.SaleClosed):
        order_for(bank_festival, investor, 1, payment_method="vietqr")
    db.session.add(
        InvitationCode(
            festival_id=bank_festival.id,
            code="NDT2026",
            ticket_type_id=investor.id,
            price_vnd=0,
            max_uses=1,
        )
    )
    db.session.flush()
    order = order_for(bank_festival, investor, 1, invitation_code="ndt-2026")
    assert order.state == "paid" and order.total_vnd == 0
    with pytest.raises(ops.InvalidInvitation) as info:
        order_for(bank_festival, investor, 1, invitation_code="NDT2026")
    assert info.value.reason == "used_up"
    with pytest.raises(ops.InvalidInvitation):
        order_for(bank_festival, investor, 1, invitation_code="WRONG")


def test_group_restricted_and_approval_tickets(create_festival, create_ticket_type):
    festival = create_festival(state="published")
    youth, farmers = festival.groups[0], festival.groups[1]
    students_only = create_ticket_type(festival, name_vi="Vé học sinh")
    students_only.groups = [youth]
    db.session.flush()
    with pytest.raises(ops.GroupNotAllowed):
        ops.place_order(
            ops.OrderRequest(
                festival=festival,
                ticket_type=students_only,
                attendees=[attendee(participant_group_id=farmers.id)],
            )
        )
    ok = ops.place_order(
        ops.OrderRequest(
            festival=festival,
            ticket_type=students_only,
            attendees=[attendee(participant_group_id=youth.id)],
        )
    )
    assert ok.state == "paid"
    approval = create_ticket_type(festival, name_vi="Thẻ khách mời", requires_approval=True)
    order = order_for(festival, approval, 1)
    assert order.state == "awaiting_approval" and order.tickets[0].state == "reserved"
    ops.approve_order(order)
    assert order.state == "paid" and order.tickets[0].state == "valid"


def test_sale_window_per_order_limit_and_closed_festival(create_festival, create_ticket_type):
    festival = create_festival(state="published")
    later = create_ticket_type(festival, sale_starts_at=utcnow() + dt.timedelta(days=1))
    with pytest.raises(ops.SaleClosed) as info:
        order_for(festival, later, 1)
    assert info.value.reason == "not_started"
    limited = create_ticket_type(festival, max_per_order=2)
    with pytest.raises(ops.TooManyTickets):
        order_for(festival, limited, 3)
    from eventday.festivals import operations as festival_ops

    festival_ops.change_state(festival, "closed")
    with pytest.raises(ops.SaleClosed) as info:
        order_for(festival, limited, 1)
    assert info.value.reason == "festival_closed"


def test_cash_order_is_held_until_the_festival_ends_and_staff_take_the_money(
    client, bank_festival, create_ticket_type, create_user, auth
):
    from eventday.festivals import operations as festival_ops

    ticket_type = create_ticket_type(bank_festival, price_vnd=20000)
    order = order_for(bank_festival, ticket_type, 1, payment_method="cash")
    assert order.expires_at.date() >= bank_festival.last_day - dt.timedelta(days=1)
    staff = create_user()
    festival_ops.grant_role(bank_festival, staff, "staff")
    db.session.commit()
    auth.login(staff)
    path = f"/f/{bank_festival.slug}/manage/orders/{order.code}"
    token = csrf_token(client, path)
    assert client.post(path, data={"csrf_token": token, "action": "refund"}).status_code == 403
    assert client.post(path, data={"csrf_token": token, "action": "cash"}).status_code == 302
    db.session.refresh(order)
    assert (
        order.state == "paid" and order.payments[0].provider == "cash" and order.paid_vnd == 20000
    )


def test_rename_until_the_deadline(create_festival, create_ticket_type):
    festival = create_festival(state="published")
    order = order_for(festival, create_ticket_type(festival), 1)
    ticket = order.tickets[0]
    ops.rename_attendee(ticket, "  Tên   Mới ")
    assert ticket.attendee_name == "Tên Mới" and ticket.name_folded == "ten moi"
    ops.payment_settings(festival).name_change_deadline = utcnow() - dt.timedelta(minutes=1)
    with pytest.raises(ops.ChangeDeadlinePassed):
        ops.rename_attendee(ticket, "Muộn")


def test_organizer_search_ignores_diacritics(client, create_festival, create_ticket_type, auth):
    festival = create_festival(state="published")
    order_for(festival, create_ticket_type(festival), 1)
    ops.place_order(
        ops.OrderRequest(
            festival=festival,
            ticket_type=festival_type(festival),
            attendees=[attendee("Zơrâm Thị Lan", phone="+84868555666")],
        )
    )
    db.session.commit()
    organizer = next(r.user for r in festival.roles if r.role == "organizer")
    auth.login(organizer)
    for query in ("zoram", "ZƠRÂM", "0868 555", "lan"):
        page = client.get(f"/f/{festival.slug}/manage/orders?q={query}").get_data(as_text=True)
        assert "Zơrâm Thị Lan" in page, query
        assert "Người 0" not in page, query


def festival_type(festival):
    from ticketing.models import TicketType

    return db.session.scalars(
        sa.select(TicketType).where(TicketType.festival_id == festival.id)
    ).first()


def test_ticket_counts(create_festival, create_ticket_type):
    festival = create_festival(state="published")
    ticket_type = create_ticket_type(festival, quota=3)
    order_for(festival, ticket_type, 2)
    assert ops.available(ticket_type) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(Ticket.festival_id == festival.id)
        )
        == 2
    )
    assert db.session.scalar(sa.select(sa.func.count(WaitingListEntry.id))) == 0


def test_gate_sale_is_paid_at_once_with_one_mail_even_outside_the_sale_window(
    bank_festival, create_ticket_type, create_user
):
    staff = create_user()
    ended = create_ticket_type(
        bank_festival, price_vnd=30000, sale_ends_at=utcnow() - dt.timedelta(hours=1)
    )
    with pytest.raises(ops.SaleClosed):
        order_for(bank_festival, ended, 1, payment_method="cash")
    order = ops.place_order(
        ops.OrderRequest(
            festival=bank_festival,
            ticket_type=ended,
            attendees=[attendee(email="gate@example.vn")],
            payment_method="cash",
            source="gate",
            staff_sale=True,
            cash_received_by=staff.id,
        )
    )
    assert order.state == "paid" and order.paid_vnd == 30000
    assert order.payments[0].provider == "cash" and order.payments[0].recorded_by_id == staff.id
    sent = db.session.scalars(
        sa.select(OutboxMail.template).where(OutboxMail.recipient == "gate@example.vn")
    ).all()
    assert sent == ["ticketing/order_confirmed"]


def test_an_expired_offer_cannot_be_claimed(create_festival, create_ticket_type):
    festival = create_festival(state="published")
    ticket_type = create_ticket_type(festival, quota=1)
    order = order_for(festival, ticket_type, 1)
    first = ops.join_waiting_list(ticket_type, name="A", email="a@x.vn", phone=None, locale="vi")
    second = ops.join_waiting_list(ticket_type, name="B", email="b@x.vn", phone=None, locale="vi")
    ops.cancel_order(order)
    assert first.state == "offered"
    first.offer_expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.flush()
    with pytest.raises(ops.OfferNotAvailable):
        order_for(festival, ticket_type, 1, waiting_entry=first)
    assert second.state == "offered" and ops.available(ticket_type) == 0


def test_invitation_uses_count_tickets_and_come_back_when_an_order_ends(
    bank_festival, create_ticket_type
):
    guest = create_ticket_type(bank_festival, name_vi="Khách", is_hidden=True, price_vnd=0)
    db.session.add(
        InvitationCode(
            festival_id=bank_festival.id, code="KHACH2", ticket_type_id=guest.id, max_uses=2
        )
    )
    db.session.flush()
    with pytest.raises(ops.InvalidInvitation):
        order_for(bank_festival, guest, 3, invitation_code="KHACH2")
    order = order_for(bank_festival, guest, 2, invitation_code="KHACH2")
    with pytest.raises(ops.InvalidInvitation):
        order_for(bank_festival, guest, 1, invitation_code="KHACH2")
    ops.cancel_order(order)
    assert order_for(bank_festival, guest, 1, invitation_code="KHACH2").state == "paid"


def test_approving_an_order_already_paid_confirms_it(bank_festival, create_ticket_type):
    approval = create_ticket_type(bank_festival, requires_approval=True, price_vnd=40000)
    order = order_for(bank_festival, approval, 1, payment_method="vietqr")
    ops.record_payment(order, 40000, "early-transfer")
    assert order.state == "awaiting_approval"
    ops.approve_order(order)
    assert order.state == "paid" and order.tickets[0].state == "valid"


def test_a_rolled_back_savepoint_keeps_the_mail_queued_before_it(
    app, create_festival, create_ticket_type
):
    from eventday.mail import _COMMITTED, dispatch_committed

    festival = create_festival(state="published")
    with app.test_request_context():
        order_for(festival, create_ticket_type(festival), 1)  # queues a confirmation
        try:
            with db.session.begin_nested():
                db.session.execute(sa.text("SELECT 1"))
                raise RuntimeError("a failing step inside a savepoint")
        except RuntimeError:
            pass
        db.session.commit()
        assert db.session.info.get(_COMMITTED)
        assert dispatch_committed() == 1
