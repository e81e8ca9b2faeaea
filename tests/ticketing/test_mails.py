"""Every mail renders in Vietnamese and English, and each state change an attendee should
know about sends one."""

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventday.accounts import operations as account_ops
from eventday.db import utcnow
from eventday.extensions import db
from eventday.mail import OutboxMail, queue_mail
from ticketing import operations as ops

TEMPLATES = sorted(
    str(p.relative_to(Path(__file__).resolve().parents[2] / "templates" / "emails"))[:-4]
    for p in (Path(__file__).resolve().parents[2] / "templates" / "emails").rglob("*.txt")
    if not p.name.startswith("_")
)


def attendee(name="Bríu Thị Hoa", email="hoa@example.vn"):
    return ops.AttendeeData(full_name=name, email=email, phone="+84905111222")


@pytest.fixture
def world(app, bank_festival, create_ticket_type, create_user):
    paid_type = create_ticket_type(
        bank_festival, name_vi="Vé ủng hộ", name_en="Supporter", price_vnd=100000
    )
    order = ops.place_order(
        ops.OrderRequest(
            festival=bank_festival,
            ticket_type=paid_type,
            attendees=[attendee()],
            payment_method="vietqr",
        )
    )
    pending = ops.place_order(
        ops.OrderRequest(
            festival=bank_festival,
            ticket_type=paid_type,
            attendees=[attendee("Hồ Văn Năm", "nam@example.vn")],
            payment_method="vietqr",
        )
    )
    ops.record_payment(order, 100000, "x")
    entry = ops.join_waiting_list(
        paid_type, name="Chờ", email="cho@example.vn", phone=None, locale="vi"
    )
    entry.offer_expires_at = utcnow() + dt.timedelta(hours=2)
    from eventday.festivals.models import CoorganizerInvitation
    from tests.conftest import area

    user = create_user()
    invitation = CoorganizerInvitation(
        festival=bank_festival, email="x@example.vn", area=area("commune", "20467")
    )
    db.session.add(invitation)
    db.session.flush()
    # A booth application (the booths_* mails): an exhibitor with one booth, approved.
    from booths.models import Booth as BoothRow
    from booths.models import BoothApplication, BoothBooking, ExhibitorProfile, Hall

    org = account_ops.create_organisation(user, "HTX Thư", "cooperative")
    exhibitor = ExhibitorProfile(
        organisation_id=org.id, kind="cooperative", display_name="HTX Thư", name_folded="htx thu"
    )
    hall = Hall(festival_id=bank_festival.id, name="Nhà văn hóa")
    db.session.add_all([exhibitor, hall])
    db.session.flush()
    booth = BoothRow(festival_id=bank_festival.id, hall_id=hall.id, code="A01", price_vnd=500_000)
    db.session.add(booth)
    db.session.flush()
    application = BoothApplication(
        festival_id=bank_festival.id,
        exhibitor_id=exhibitor.id,
        state="approved",
        fee_vnd=500_000,
        reject_reason="Chưa phù hợp chủ đề.",
    )
    application.bookings.append(BoothBooking(festival_id=bank_festival.id, booth_id=booth.id))
    db.session.add(application)
    db.session.flush()
    # The pitches_* mails: the organisation and the state names. ``application`` is the booth
    # application above, so the pitch mail renders an empty title here: this test checks that
    # every mail renders in both languages; tests/pitches check their content.
    from types import SimpleNamespace as NS

    from pitches.calls import STATE_LABELS

    # The matchmaking_* mails: plain stand-ins for a request, a meeting and a session
    # (tests/matchmaking check the mails sent by the real operations).

    mm_start = utcnow() + dt.timedelta(days=3)
    mm_table = NS(number=3, label="Bàn 3 – Sảnh A")
    mm_session = NS(
        name_vi="Phiên kết nối sáng",
        name_en="Morning session",
        starts_at=mm_start,
        location="Hội trường B",
    )
    mm_meeting = NS(
        starts_at=mm_start,
        ends_at=mm_start + dt.timedelta(minutes=20),
        table=mm_table,
        session=mm_session,
        state="scheduled",
        cancel_reason="",
    )
    mm_other = NS(display_name="Quỹ Đầu tư Phát triển tỉnh", title="Giám đốc")

    return {
        "mm_name": "Lê Văn Tám",
        "mm_profile": NS(display_name="HTX Thư", title=""),
        "mm_other": mm_other,
        "mm_request": NS(
            message="Xin được gặp quỹ.",
            priority="must",
            expires_at=mm_start,
            decline_note="Hẹn dịp khác.",
        ),
        "mm_meeting": mm_meeting,
        "mm_reason": "Not a fit for us",
        "mm_link": "http://localhost/f/x/matchmaking",
        "mm_session": mm_session,
        "mm_meetings": [(mm_meeting, mm_other)],
        "organisation": org,
        "state": "shortlisted",
        "old_state": "in_review",
        "state_labels": STATE_LABELS,
        "application": application,
        "exhibitor": exhibitor,
        "booths": [booth],
        "order_link": "http://localhost/o/y",
        "passes_link": "http://localhost/o/z",
        "order": order,
        "festival": bank_festival,
        "tickets": order.tickets,
        "link": "http://localhost/o/x",
        "checkout": {
            "vietqr_payload": "000201",
            "bank_name": "Vietcombank",
            "account_number": "1",
            "account_name": "A",
            "memo": pending.code,
        },
        "entry": entry,
        "user": user,
        "invitation": invitation,
        "inviter": user,
    }


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_renders_in_both_languages(app, world, template):
    with app.test_request_context():
        vi = queue_mail("a@example.vn", template, "vi", **world)
        en = queue_mail("a@example.vn", template, "en", **world)
    for message in (vi, en):
        assert message.subject and message.body_text.strip() and message.body_html.strip()
        assert "{{" not in message.body_text and "{%" not in message.body_html
    assert vi.subject != en.subject, "the Vietnamese subject is not translated"
    assert vi.body_text != en.body_text


def templates_sent(recipient=None):
    stmt = sa.select(OutboxMail.template).order_by(OutboxMail.id)
    if recipient:
        stmt = stmt.where(OutboxMail.recipient == recipient)
    return list(db.session.scalars(stmt))


def test_each_state_change_mails_the_attendee(bank_festival, create_ticket_type):
    free = create_ticket_type(bank_festival, name_vi="Miễn phí")
    paid = create_ticket_type(bank_festival, name_vi="Có phí", price_vnd=50000)
    approval = create_ticket_type(
        bank_festival, name_vi="Duyệt", requires_approval=True, price_vnd=50000
    )

    def order(ticket_type, email, method="vietqr"):
        return ops.place_order(
            ops.OrderRequest(
                festival=bank_festival,
                ticket_type=ticket_type,
                attendees=[attendee(email=email)],
                payment_method=method,
            )
        )

    order(free, "a@example.vn")
    assert templates_sent("a@example.vn") == ["ticketing/order_confirmed"]
    pending = order(paid, "b@example.vn")
    assert templates_sent("b@example.vn") == ["ticketing/payment_instructions"]
    ops.mark_paid(pending, provider="vietqr", user_id=None)
    ops.refund_order(pending, user_id=None)
    assert templates_sent("b@example.vn")[1:] == [
        "ticketing/order_confirmed",
        "ticketing/order_refunded",
    ]
    waiting = order(approval, "c@example.vn")
    ops.approve_order(waiting)
    ops.cancel_order(waiting)
    assert templates_sent("c@example.vn") == [
        "ticketing/order_awaiting_approval",
        "ticketing/payment_instructions",
        "ticketing/order_cancelled",
    ]
    late = order(paid, "d@example.vn")
    late.expires_at = utcnow() - dt.timedelta(minutes=1)
    ops.release_expired(bank_festival)
    assert templates_sent("d@example.vn") == [
        "ticketing/payment_instructions",
        "ticketing/order_expired",
    ]


def test_reminders_go_once_per_ticket(bank_festival, create_ticket_type):
    free = create_ticket_type(bank_festival, name_vi="Miễn phí")
    ops.place_order(
        ops.OrderRequest(
            festival=bank_festival, ticket_type=free, attendees=[attendee(email="r@example.vn")]
        )
    )
    first_day = bank_festival.first_day
    assert ops.send_reminders(first_day - dt.timedelta(days=2), 1) == 0
    assert ops.send_reminders(first_day - dt.timedelta(days=1), 1) == 1
    assert ops.send_reminders(first_day - dt.timedelta(days=1), 1) == 0
    reminder = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.template == "ticketing/reminder")
    )
    assert reminder.recipient == "r@example.vn" and reminder.attachments[0]["kind"] == "ticket_qr"
