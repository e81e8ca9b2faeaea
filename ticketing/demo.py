"""Demo tickets for the demo festival: ticket types, payment set-up, an invitation code and a
few hundred realistic orders across the host communes and participant groups."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from eventday.areas.models import Area
from eventday.extensions import db
from eventday.festivals.models import Festival
from ticketing import operations as ops
from ticketing.models import InvitationCode, TicketType

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hồ",
    "Bríu",
    "Alăng",
    "Coor",
    "Zơrâm",
    "Bhling",
    "Pơloong",
    "A Lăng",
    "Clâu",
    "Ating",
    "Riah",
    "Đinh",
    "Võ",
    "Huỳnh",
]
MIDDLE = ["Thị", "Văn", "Hữu", "Thị Thu", "Văn Minh", "Ngọc", "Đức", "Thị Bích"]
GIVEN = [
    "Hoa",
    "Dũng",
    "Mai",
    "Lan",
    "Bình",
    "Hùng",
    "Tâm",
    "Nga",
    "Phúc",
    "Thảo",
    "Quân",
    "Hiền",
    "Tuấn",
    "Nhung",
    "Sơn",
    "Vy",
    "Khánh",
    "Trang",
    "Long",
    "Yến",
]
PREFIXES = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
]


def _phone(rng: random.Random) -> str:
    return "+84" + rng.choice(PREFIXES)[1:] + "".join(str(rng.randrange(10)) for _ in range(7))


def _shift(order, delta: dt.timedelta) -> None:
    for obj in (order, *order.tickets):
        obj.created_at = obj.created_at - delta
    for ticket in order.tickets:
        if ticket.issued_at:
            ticket.issued_at = ticket.issued_at - delta
    if order.paid_at:
        order.paid_at = order.paid_at - delta


def load_ticket_demo(festival: Festival, host_areas: list[Area]) -> None:
    if db.session.scalar(sa.select(TicketType.id).where(TicketType.festival_id == festival.id)):
        return
    settings = ops.payment_settings(festival)
    settings.bank_bin = "970436"  # Vietcombank; the account is fictitious
    settings.account_number = "1234567890"
    settings.account_name = "UBND XA DONG GIANG"
    groups = {g.kind: g for g in festival.groups}
    resident = TicketType(
        festival_id=festival.id,
        name_vi="Vé cư dân",
        name_en="Resident",
        price_vnd=0,
        quota=800,
        max_per_order=6,
        position=1,
        description_vi="Miễn phí cho người dân các xã đăng cai.",
        description_en="Free for residents of the host communes.",
    )
    student = TicketType(
        festival_id=festival.id,
        name_vi="Vé học sinh – sinh viên",
        name_en="Students",
        price_vnd=0,
        quota=400,
        max_per_order=10,
        position=2,
    )
    student.groups = [
        g for k, g in groups.items() if k in ("highschool_students", "university_students")
    ]
    supporter = TicketType(
        festival_id=festival.id,
        name_vi="Vé ủng hộ",
        name_en="Supporter",
        price_vnd=100_000,
        quota=150,
        max_per_order=4,
        position=3,
        description_vi="Góp phần vào quỹ khởi nghiệp của các xã.",
        description_en="Supports the communes' startup fund.",
    )
    investor = TicketType(
        festival_id=festival.id,
        name_vi="Thẻ nhà đầu tư",
        name_en="Investor pass",
        price_vnd=500_000,
        quota=40,
        max_per_order=2,
        position=4,
        is_hidden=True,
        requires_approval=True,
    )
    db.session.add_all([resident, student, supporter, investor])
    db.session.flush()
    db.session.add(
        InvitationCode(
            festival_id=festival.id,
            code="NHADAUTU2026",
            ticket_type_id=investor.id,
            price_vnd=0,
            max_uses=30,
            note="Khách mời nhà đầu tư",
        )
    )
    db.session.flush()

    rng = random.Random(2026)  # noqa: S311 - the same demo every time, not security
    group_list = list(festival.groups)
    student_groups = student.groups
    for i in range(260):
        roll = rng.random()
        if roll < 0.55:
            ticket_type, method, groups_pool = resident, "free", group_list
        elif roll < 0.80:
            ticket_type, method, groups_pool = student, "free", student_groups
        else:
            ticket_type, groups_pool = supporter, group_list
            method = rng.choice(["vietqr", "vietqr", "cash"])
        size = (
            rng.choice([1, 1, 1, 2, 2, 3]) if ticket_type is not student else rng.choice([1, 2, 4])
        )
        size = min(size, ticket_type.max_per_order)
        attendees = [
            ops.AttendeeData(
                full_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                phone=_phone(rng),
                participant_group_id=rng.choice(groups_pool).id,
                home_area_id=rng.choice(host_areas).id,
                locale="vi" if rng.random() < 0.93 else "en",
            )
            for _ in range(size)
        ]
        try:
            order = ops.place_order(
                ops.OrderRequest(
                    festival=festival,
                    ticket_type=ticket_type,
                    attendees=attendees,
                    payment_method=method,
                )
            )
        except ops.SoldOut:
            continue
        # Spread the demo over the three weeks before today, so the sales chart has a shape.
        delta = dt.timedelta(days=rng.randrange(0, 21), minutes=rng.randrange(0, 600))
        if method == "vietqr" and rng.random() < 0.7:
            ops.record_payment(order, order.total_vnd, f"demo-{i}", provider="vietqr")
        elif method == "cash" and rng.random() < 0.3:
            ops.mark_paid(order, provider="cash", user_id=None, note="demo")
        elif order.state == "paid" and rng.random() < 0.04:
            ops.cancel_order(order)
        _shift(order, delta)
    for name in ("Lê Quang Vinh", "Trần Thị Thu Hà"):
        order = ops.place_order(
            ops.OrderRequest(
                festival=festival,
                ticket_type=investor,
                invitation_code="NHADAUTU2026",
                attendees=[ops.AttendeeData(full_name=name, phone=_phone(rng))],
            )
        )
        if name.startswith("Lê"):
            ops.approve_order(order)
    db.session.flush()
