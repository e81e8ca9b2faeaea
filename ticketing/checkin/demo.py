"""Demo check-in for the demo festival: gates, two check-in lists, paired scanner devices,
a few more invited investors, and a morning of arrivals on the festival's first day so the
live arrivals page has a shape.

Runs after the ticket demo (``ticketing.views`` registers its hook first); idempotent: it does
nothing once the festival has gates.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from eventday.demo import DEMO_HOOKS
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ
from ticketing import operations as ticket_ops
from ticketing.checkin import operations as ops
from ticketing.checkin.models import CheckinList, Gate, Scan
from ticketing.models import Ticket, TicketType

MAIN_GATE, OCOP_GATE, INVESTOR_GATE = "Cổng chính", "Khu OCOP", "Phòng nhà đầu tư"
MAIN_LIST, INVESTOR_LIST = "Vào cửa ngày hội", "Phòng kết nối đầu tư"
INVESTOR_TYPE = "Thẻ nhà đầu tư"
INVESTOR_CODE = "NHADAUTU2026"
MORE_INVESTORS = ["Nguyễn Hoàng Nam", "Phạm Thị Minh Thư", "Đặng Quốc Bảo", "Võ Thị Ngọc Ánh"]
OPENING = dt.time(7, 30)
MORNING_MINUTES = 240  # 07:30 to 11:30
SHARE_ARRIVED = 0.7


def _device(festival: Festival, checkin_list: CheckinList, name: str, gate: Gate):
    device, code = ops.create_device(festival, checkin_list, name, gate)
    device, _token = ops.pair_device(code)  # the token is dropped: the demo phone is imaginary
    return device


def _invite_investors(festival: Festival, investor: TicketType) -> None:
    for i, name in enumerate(MORE_INVESTORS):
        try:
            order = ticket_ops.place_order(
                ticket_ops.OrderRequest(
                    festival=festival,
                    ticket_type=investor,
                    invitation_code=INVESTOR_CODE,
                    attendees=[ticket_ops.AttendeeData(full_name=name, phone=f"+8490500011{i}")],
                )
            )
        except ticket_ops.TicketingError:
            return
        if order.state == "awaiting_approval":
            ticket_ops.approve_order(order)


def load_checkin_demo(festival: Festival, host_areas) -> None:
    if not festival.days or db.session.scalar(
        sa.select(Gate.id).where(Gate.festival_id == festival.id).limit(1)
    ):
        return
    investor = db.session.scalar(
        sa.select(TicketType).where(
            TicketType.festival_id == festival.id, TicketType.name_vi == INVESTOR_TYPE
        )
    )
    main_gate, ocop_gate, room_gate = (
        Gate(festival_id=festival.id, name=name, position=i)
        for i, name in enumerate((MAIN_GATE, OCOP_GATE, INVESTOR_GATE))
    )
    main_list = CheckinList(festival_id=festival.id, name=MAIN_LIST)
    room_list = CheckinList(
        festival_id=festival.id, name=INVESTOR_LIST, allow_reentry=True, track_exits=True
    )
    room_list.ticket_types = [investor] if investor else []
    db.session.add_all([main_gate, ocop_gate, room_gate, main_list, room_list])
    db.session.flush()
    main_phone = _device(festival, main_list, "Điện thoại cổng chính", main_gate)
    ocop_phone = _device(festival, main_list, "Điện thoại khu OCOP", ocop_gate)
    room_tablet = _device(festival, room_list, "Máy tính bảng phòng đầu tư", room_gate)
    if investor is not None:
        _invite_investors(festival, investor)
    db.session.flush()

    # Synthetic demo history, written straight into the scans table. scan_ticket() would
    # refuse these times (the demo festival is three weeks ahead, and a scan more than five
    # minutes in the future is treated as clock skew), and real scans only ever come from it.
    rng = random.Random(4)  # noqa: S311 - the same demo every time, not security
    opening = dt.datetime.combine(festival.days[0].day, OPENING, LOCAL_TZ)
    morning_ends = opening + dt.timedelta(minutes=MORNING_MINUTES)
    tickets = db.session.scalars(
        sa.select(Ticket)
        .where(Ticket.festival_id == festival.id, Ticket.state == "valid")
        .order_by(Ticket.id)
    ).all()
    scans: list[Scan] = []

    def scan(ticket, checkin_list, device, at, *, kind="entry", status="ok", admits=False):
        if at > morning_ends:
            return False
        scans.append(
            Scan(
                festival_id=festival.id,
                list_id=checkin_list.id,
                ticket_id=ticket.id,
                device_id=device.id,
                gate_id=device.gate_id,
                type=kind,
                status=status,
                admits=admits,
                nonce=f"demo-{festival.id}-{len(scans)}",
                scanned_at=at.astimezone(dt.UTC),
                received_at=at.astimezone(dt.UTC),
                raw_code=ticket.short_code,
            )
        )
        return True

    for ticket in tickets:
        is_investor = investor is not None and ticket.ticket_type_id == investor.id
        if not is_investor and rng.random() > SHARE_ARRIVED:
            continue
        # Most people come for the 08:00 opening; a tail arrives through the morning.
        minutes = rng.triangular(0, MORNING_MINUTES - 1, 45)
        at = opening + dt.timedelta(minutes=minutes, seconds=rng.randrange(60))
        device = ocop_phone if rng.random() < 0.25 else main_phone
        scan(ticket, main_list, device, at, admits=True)
        if rng.random() < 0.03:  # shown twice at the gate: the second scan is refused
            again = at + dt.timedelta(minutes=rng.randrange(2, 30))
            scan(ticket, main_list, device, again, status="already_checked_in")
        if is_investor:
            enter = max(at, opening + dt.timedelta(minutes=60)) + dt.timedelta(minutes=15)
            if scan(ticket, room_list, room_tablet, enter) and rng.random() < 0.6:
                leave = enter + dt.timedelta(minutes=rng.randrange(30, 70))
                if scan(ticket, room_list, room_tablet, leave, kind="exit") and rng.random() < 0.5:
                    back = leave + dt.timedelta(minutes=rng.randrange(10, 25))
                    scan(ticket, room_list, room_tablet, back)
    db.session.add_all(scans)
    db.session.flush()


DEMO_HOOKS.append(load_checkin_demo)
