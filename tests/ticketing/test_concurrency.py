"""No overselling (issue 3, Done-when 4): 50 buyers race for the last 10 tickets on PostgreSQL.

Real threads, each with its own app context and session (so its own connection and
transaction), released together by a barrier, call ``ops.place_order`` on a scratch database.
Both races widen the window between the availability check and the insert (``available``
sleeps 50 ms after counting), so the comparison is fair: with the per-ticket-type row lock
exactly 10 orders win and 40 buyers get ``SoldOut``; with the lock switched off (negative
control) the same race oversells, which proves the test can fail.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from eventday.extensions import db
from tests.conftest import PASSWORD
from tests.scratch_db import scratch_app

pytestmark = [pytest.mark.postgres, pytest.mark.committing]

BUYERS = 50
QUOTA = 10
WINDOW_S = 0.05  # pause between the availability check and the insert


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """An app on its own new database next to the test database; dropped afterwards.

    NullPool: each racing thread opens its own connection, so all 50 really run at once
    (the default pool of 5 + 10 would queue them in Python instead of in PostgreSQL).
    """
    with scratch_app(tmp_path_factory.mktemp("race"), "race", {"poolclass": NullPool}) as app:
        yield app


def _ticket_type_on_sale(app) -> tuple[int, int]:
    """A published festival with a free ticket type of quota 10, none sold yet."""
    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as festival_ops
    from tests.conftest import area
    from ticketing.models import TicketType

    with app.app_context():
        organizer = account_ops.create_user(
            f"race{uuid.uuid4().hex[:6]}@example.vn", PASSWORD, "Bríu Thị Hoa", verified=True
        )
        start = dt.date.today() + dt.timedelta(days=10)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội giành vé",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start,
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Nhà văn hóa xã",
                slug=f"gianh-ve-{uuid.uuid4().hex[:6]}",
            ),
        )
        festival_ops.change_state(festival, "published")
        ticket_type = TicketType(
            festival_id=festival.id, name_vi="Vé cư dân", price_vnd=0, quota=QUOTA
        )
        db.session.add(ticket_type)
        db.session.commit()
        return festival.id, ticket_type.id


def _race(app, festival_id: int, type_id: int) -> tuple[dict[str, int], int, int]:
    """50 buyers, one ticket each, at the same moment.

    Returns (outcomes by kind, orders holding tickets, valid tickets) as read afterwards.
    """
    from eventday.festivals.models import Festival
    from ticketing import operations as ops
    from ticketing.models import HOLDING_TICKET_STATES, Order, Ticket, TicketType

    outcomes: list[str] = []
    record = threading.Lock()
    barrier = threading.Barrier(BUYERS)

    def buy(n: int) -> None:
        with app.app_context():
            try:
                festival = db.session.get(Festival, festival_id)
                ticket_type = db.session.get(TicketType, type_id)
                db.session.commit()  # end the read transaction: each buyer starts fresh
                barrier.wait(timeout=20)
                try:
                    ops.place_order(
                        ops.OrderRequest(
                            festival=festival,
                            ticket_type=ticket_type,
                            attendees=[
                                ops.AttendeeData(
                                    full_name=f"Người mua {n}", phone=f"+8490500{n:04d}"
                                )
                            ],
                        )
                    )
                    db.session.commit()
                    outcome = "ordered"
                except ops.SoldOut:
                    db.session.rollback()
                    outcome = "sold_out"
            except Exception as exc:  # noqa: BLE001 - any other failure is a test failure
                db.session.rollback()
                outcome = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
        with record:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a buyer hung"

    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    with app.app_context():
        holding = sa.and_(Ticket.ticket_type_id == type_id, Ticket.state.in_(HOLDING_TICKET_STATES))
        orders = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Order.id))).join(Ticket).where(holding)
        )
        valid = db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(
                Ticket.ticket_type_id == type_id, Ticket.state == "valid"
            )
        )
        db.session.remove()
    return counts, orders, valid


def _widen_window(monkeypatch) -> None:
    """``available`` pauses after counting: every buyer that counts before the first insert
    commits sees the same free places (the window a slow request opens in production)."""
    from ticketing import operations as ops

    original = ops.available

    def slow_available(ticket_type):
        result = original(ticket_type)
        time.sleep(WINDOW_S)
        return result

    monkeypatch.setattr(ops, "available", slow_available)


def test_fifty_buyers_for_ten_places_get_exactly_ten_orders(race_app, monkeypatch):
    _widen_window(monkeypatch)
    festival_id, type_id = _ticket_type_on_sale(race_app)
    counts, orders, valid = _race(race_app, festival_id, type_id)
    assert counts == {"ordered": QUOTA, "sold_out": BUYERS - QUOTA}
    assert orders == QUOTA
    assert valid == QUOTA


def test_negative_control_without_the_lock_the_same_race_oversells(race_app, monkeypatch):
    from ticketing import operations as ops

    monkeypatch.setattr(ops, "lock_ticket_type", lambda ticket_type: None)
    _widen_window(monkeypatch)
    festival_id, type_id = _ticket_type_on_sale(race_app)
    counts, orders, valid = _race(race_app, festival_id, type_id)
    assert set(counts) <= {"ordered", "sold_out"}, counts
    assert counts.get("ordered", 0) == orders
    assert orders > QUOTA, f"no oversell without the lock ({orders} orders): the race is too weak"
    assert valid > QUOTA  # this is the failure the lock prevents
