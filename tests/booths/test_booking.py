"""Booth booking (issue 5, sections 3 and 4): holds and their expiry, reservations, the
application, the organizers' decisions (fees, waivers, staff passes, mails), the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from booths import operations as ops
from booths.models import BoothApplication, BoothBooking, BoothFeeWaiver, Product
from booths.states import booth_states
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.i18n import fold
from eventday.mail import OutboxMail
from tests.conftest import area, csrf_token
from ticketing.models import Order, Ticket, TicketType


@pytest.fixture
def world(create_festival, create_plan, create_exhibitor, create_user):
    """A published festival with six booths (A01…A06, 500.000 đ, 2 staff passes each), its
    organizer, and two exhibitors acting through their own users."""
    organizer = create_user()
    festival = create_festival(organizer=organizer, state="published")
    _hall, zone, booths = create_plan(festival)
    first = create_exhibitor("HTX Dược liệu Tây Giang")
    second = create_exhibitor("HTX Chè Dây Đông Giang")
    return {
        "festival": festival,
        "organizer": organizer,
        "booths": booths,
        "zone": zone,
        "first": first,
        "second": second,
    }


def add_product(exhibitor, name="Sâm Ngọc Linh", stars=4) -> Product:
    product = Product(exhibitor_id=exhibitor.id, name_vi=name, name_folded=fold(name), stars=stars)
    db.session.add(product)
    db.session.commit()
    return product


def hold(world, who="first", codes=("A01",), **kwargs):
    exhibitor = world[who]
    ids = [b.id for b in world["booths"] if b.code in codes]
    application = ops.hold_booths(world["festival"], exhibitor, ids, exhibitor.user, **kwargs)
    db.session.commit()
    return application


def pending(world, who="first", codes=("A01",), **kwargs):
    application = hold(world, who, codes)
    ops.submit_application(application, world[who].user, **kwargs)
    db.session.commit()
    return application


def state_of(world, code, now=None) -> str:
    booth = next(b for b in world["booths"] if b.code == code)
    return booth_states(world["festival"].id, now)[booth.id]


# --------------------------------------------------------------------------- holds


def test_hold_keeps_the_booth_for_the_configured_time(app, world):
    before = utcnow()
    application = hold(world, codes=("A01", "A02"))
    assert application.state == "held"
    assert [b.code for b in application.booths] == ["A01", "A02"]
    assert all(b.active for b in application.bookings)
    minutes = (application.hold_expires_at - before).total_seconds() / 60
    assert 29.9 < minutes <= 30.1  # BOOTH_HOLD_MINUTES defaults to 30
    assert state_of(world, "A01") == "held"
    assert state_of(world, "A03") == "available"


def test_hold_time_comes_from_the_config(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "BOOTH_HOLD_MINUTES", 5)
    now = utcnow()
    application = ops.hold_booths(
        world["festival"], world["first"], [world["booths"][0].id], None, now=now
    )
    assert application.hold_expires_at == now + dt.timedelta(minutes=5)


def test_a_held_booth_cannot_be_held_by_another_exhibitor(world):
    hold(world, codes=("A01",))
    with pytest.raises(ops.BoothError) as caught:
        hold(world, "second", codes=("A01", "A02"))
    assert caught.value.reason == "taken"
    assert caught.value.codes == ["A01"]
    assert "A01" in caught.value.message()
    db.session.rollback()
    # Nothing of the loser's attempt is kept: A02 is still free.
    assert state_of(world, "A02") == "available"


def test_the_unique_index_refuses_a_second_active_booking(world):
    """The last line of defence, met directly: a second active booking of a booth."""
    application = hold(world, codes=("A01",))
    db.session.add(
        BoothBooking(
            festival_id=world["festival"].id,
            application_id=application.id,
            booth_id=world["booths"][0].id,
            active=True,
        )
    )
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_an_expired_hold_frees_the_booth(world):
    long_ago = utcnow() - dt.timedelta(minutes=31)
    first = ops.hold_booths(
        world["festival"], world["first"], [world["booths"][0].id], None, now=long_ago
    )
    db.session.commit()
    # Derived at once, before any job runs.
    assert state_of(world, "A01") == "available"
    assert state_of(world, "A01", now=long_ago + dt.timedelta(minutes=1)) == "held"
    second = hold(world, "second", codes=("A01",))
    db.session.refresh(first)
    assert first.state == "expired"
    assert [b.active for b in first.bookings] == [False]
    assert second.state == "held"
    assert state_of(world, "A01") == "held"


def test_expire_holds_and_the_cli(app, world):
    long_ago = utcnow() - dt.timedelta(hours=1)
    stale = ops.hold_booths(
        world["festival"], world["first"], [world["booths"][0].id], None, now=long_ago
    )
    fresh = hold(world, "second", codes=("A02",))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["booths", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 holds expired" in result.output
    db.session.refresh(stale)
    db.session.refresh(fresh)
    assert (stale.state, fresh.state) == ("expired", "held")
    assert stale.bookings[0].active is False
    assert ops.expire_holds() == 0  # nothing left to expire


def test_blocked_booths_cannot_be_held(world):
    world["booths"][2].blocked = True
    db.session.commit()
    with pytest.raises(ops.BoothError) as caught:
        hold(world, codes=("A02", "A03"))
    assert (caught.value.reason, caught.value.codes) == ("blocked", ["A03"])
    assert state_of(world, "A03") == "blocked"


def test_booths_kept_for_a_group(world):
    group = world["festival"].groups[0]
    world["booths"][0].reserved_group_id = group.id
    db.session.commit()
    with pytest.raises(ops.BoothError) as caught:
        hold(world, codes=("A01",))
    assert caught.value.reason == "reserved_for_group"
    db.session.rollback()
    application = hold(world, codes=("A01",), group_id=group.id)
    assert application.group_id == group.id


def test_a_group_of_another_festival_is_refused(world, create_festival):
    other = create_festival(state="published")
    with pytest.raises(ops.BoothError) as caught:
        hold(world, codes=("A01",), group_id=other.groups[0].id)
    assert caught.value.reason == "bad_group"


def test_booths_kept_for_a_home_area_accept_the_areas_lineage(world, create_exhibitor):
    old_district = area("district", "504", on=dt.date(2025, 1, 1))  # huyện Tây Giang
    world["booths"][0].reserved_area_id = old_district.id
    world["booths"][1].reserved_area_id = old_district.id
    db.session.commit()
    # The post-2025 commune Tây Giang was made from communes of the old district.
    tay_giang = create_exhibitor("HTX Tây Giang", area=area("commune", "20455"))
    dong_giang = create_exhibitor("HTX Đông Giang", area=area("commune", "20467"))
    no_area = create_exhibitor("HTX Không địa bàn")
    for exhibitor in (dong_giang, no_area):
        with pytest.raises(ops.BoothError) as caught:
            ops.hold_booths(world["festival"], exhibitor, [world["booths"][0].id], None)
        assert caught.value.reason == "reserved_for_area"
    application = ops.hold_booths(world["festival"], tay_giang, [world["booths"][0].id], None)
    assert application.state == "held"
    # One of the old district's own communes qualifies too.
    a_tieng = create_exhibitor("HTX A Tiêng", area=area("commune", "20455", on=dt.date(2025, 1, 1)))
    assert ops.hold_booths(world["festival"], a_tieng, [world["booths"][1].id], None).id


def test_how_many_booths(world, app, monkeypatch):
    with pytest.raises(ops.BoothError) as caught:
        hold(world, codes=())
    assert caught.value.reason == "no_booths"
    monkeypatch.setitem(app.config, "BOOTH_MAX_PER_APPLICATION", 2)
    with pytest.raises(ops.BoothError) as caught:
        hold(world, codes=("A01", "A02", "A03"))
    assert (caught.value.reason, caught.value.limit) == ("too_many", 2)
    assert "2" in caught.value.message()


def test_the_limit_counts_the_exhibitors_open_requests_together(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "BOOTH_MAX_PER_APPLICATION", 3)
    pending(world, codes=("A01",))  # waiting for a decision
    hold(world, codes=("A02",))
    with pytest.raises(ops.BoothError) as caught:
        hold(world, codes=("A03", "A04"))  # 1 + 1 + 2 > 3
    assert (caught.value.reason, caught.value.limit) == ("too_many", 3)
    db.session.rollback()
    assert state_of(world, "A03") == "available"
    assert hold(world, codes=("A03",)).state == "held"  # 3 in all is fine
    # Another exhibitor has a limit of its own.
    assert hold(world, "second", codes=("A05", "A06")).state == "held"


def test_booths_of_another_festival_are_refused(world, create_festival, create_plan):
    other = create_festival(state="published")
    _h, _z, other_booths = create_plan(other, n=1)
    with pytest.raises(ops.BoothError) as caught:
        ops.hold_booths(world["festival"], world["first"], [other_booths[0].id], None)
    assert caught.value.reason == "not_available"


def test_no_holds_on_an_unpublished_festival(world):
    festival_ops.change_state(world["festival"], "closed")
    db.session.commit()
    with pytest.raises(ops.BoothError) as caught:
        hold(world)
    assert caught.value.reason == "festival_closed"


# --------------------------------------------------------------------------- the application


def test_submit_sends_the_application(world):
    product = add_product(world["first"])
    application = hold(world, codes=("A01",))
    ops.submit_application(
        application,
        world["first"].user,
        products=[product.id],
        needs_electricity=True,
        tables=2,
        chairs=4,
        note="  Cần gần ổ điện  ",
        group_id=world["festival"].groups[1].id,
    )
    db.session.commit()
    assert application.state == "pending"
    assert application.submitted_at is not None
    assert [p.id for p in application.products] == [product.id]
    assert (application.needs_electricity, application.tables, application.chairs) == (
        True,
        2,
        4,
    )
    assert application.note == "Cần gần ổ điện"
    assert state_of(world, "A01") == "pending"
    # A pending application keeps its booth even after the hold time.
    assert state_of(world, "A01", now=utcnow() + dt.timedelta(hours=5)) == "pending"


def test_submit_after_the_hold_ran_out_is_refused(world):
    long_ago = utcnow() - dt.timedelta(minutes=45)
    application = ops.hold_booths(
        world["festival"], world["first"], [world["booths"][0].id], None, now=long_ago
    )
    db.session.commit()
    with pytest.raises(ops.BoothError) as caught:
        ops.submit_application(application, None)
    assert caught.value.reason == "hold_expired"
    db.session.rollback()
    assert db.session.get(BoothApplication, application.id).state == "held"
    assert state_of(world, "A01") == "available"


def test_submit_only_with_the_exhibitors_own_products(world):
    theirs = add_product(world["second"], "Chè dây")
    application = hold(world)
    with pytest.raises(ops.BoothError) as caught:
        ops.submit_application(application, None, products=[theirs.id])
    assert caught.value.reason == "bad_products"
    with pytest.raises(ops.BoothError) as caught:
        ops.submit_application(application, None, products=[999_999])
    assert caught.value.reason == "bad_products"


def test_withdraw_frees_the_booth(world):
    application = pending(world)
    ops.withdraw(application, world["first"].user)
    db.session.commit()
    assert application.state == "withdrawn"
    assert state_of(world, "A01") == "available"
    with pytest.raises(ops.BoothError) as caught:
        ops.withdraw(application, world["first"].user)
    assert caught.value.reason == "bad_state"


# --------------------------------------------------------------------------- decisions


def test_approve_books_issues_staff_passes_and_mails(world):
    application = pending(world, codes=("A01", "A02"))
    world["booths"][1].staff_passes = 3
    db.session.commit()
    ops.approve(application, world["organizer"])
    db.session.commit()
    assert application.state == "approved"
    assert application.decided_by_id == world["organizer"].id
    assert state_of(world, "A01") == state_of(world, "A02") == "booked"

    passes = db.session.scalars(
        sa.select(Ticket).where(Ticket.order_id == application.passes_order_id)
    ).all()
    assert len(passes) == 2 + 3  # booth.staff_passes per booth
    assert {t.state for t in passes} == {"valid"}
    assert all(t.secret and t.short_code for t in passes)
    pass_type = db.session.get(TicketType, passes[0].ticket_type_id)
    assert (pass_type.name_vi, pass_type.name_en) == (
        "Thẻ đơn vị trưng bày",
        "Exhibitor staff pass",
    )
    assert pass_type.is_hidden and pass_type.price_vnd == 0
    assert application.passes_order.state == "paid"

    email = world["first"].user.email
    mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.recipient == email)).all()
    templates = {m.template for m in mails}
    assert {"booths_approved", "ticketing/order_confirmed"} <= templates
    approved = next(m for m in mails if m.template == "booths_approved")
    assert "A01, A02" in approved.body_text
    confirmed = next(m for m in mails if m.template == "ticketing/order_confirmed")
    assert len([a for a in confirmed.attachments if a["kind"] == "ticket_qr"]) == 5

    # A second festival approval reuses the same hidden ticket type.
    other = pending(world, "second", codes=("A03",))
    ops.approve(other, world["organizer"])
    db.session.commit()
    types = db.session.scalars(
        sa.select(TicketType).where(
            TicketType.festival_id == world["festival"].id,
            TicketType.name_vi == "Thẻ đơn vị trưng bày",
        )
    ).all()
    assert len(types) == 1


def test_approve_creates_a_fee_order_with_a_booth_line_per_booth(world):
    from ticketing import operations as ticket_ops

    settings = ticket_ops.payment_settings(world["festival"])
    settings.bank_bin, settings.account_number = "970436", "1234567890"
    settings.account_name = "UBND XA DONG GIANG"
    world["booths"][1].price_vnd = 800_000
    db.session.commit()
    application = pending(world, codes=("A01", "A02"))
    assert ops.application_fee(application) == 1_300_000
    ops.approve(application, world["organizer"])
    db.session.commit()
    assert application.fee_vnd == 1_300_000
    order = db.session.get(Order, application.order_id)
    assert (order.state, order.payment_method, order.total_vnd) == ("pending", "vietqr", 1_300_000)
    assert [(line.kind, line.unit_price_vnd) for line in order.lines] == [
        ("booth", 500_000),
        ("booth", 800_000),
    ]
    assert order.expires_at is not None and order.expires_at > utcnow()
    assert order.buyer_email == world["first"].user.email
    mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.template == "booths_approved"))
    assert "1.300.000" in mail.body_text and order.code in mail.body_text  # amount, memo
    assert {"kind": "vietqr", "order_id": order.id} in mail.attachments
    # The fee order is a real ticketing order: marking it paid confirms it.
    ticket_ops.mark_paid(order, provider="cash", user_id=world["organizer"].id)
    db.session.commit()
    assert order.state == "paid"


def test_fee_waived_for_the_group(world):
    group = world["festival"].groups[0]
    db.session.add(BoothFeeWaiver(festival_id=world["festival"].id, group_id=group.id))
    db.session.commit()
    application = pending(world, codes=("A01",), group_id=group.id)
    assert ops.application_fee(application) == 0
    ops.approve(application, world["organizer"])
    db.session.commit()
    assert (application.fee_vnd, application.fee_waived, application.order_id) == (0, True, None)
    assert application.passes_order_id is not None
    # Without the group the same booth costs its price.
    other = pending(world, "second", codes=("A02",))
    assert ops.application_fee(other) == 500_000


def test_reject_needs_a_reason_and_frees_the_booth(world):
    application = pending(world)
    for blank in ("", "   "):
        with pytest.raises(ops.BoothError) as caught:
            ops.reject(application, world["organizer"], blank)
        assert caught.value.reason == "reason_required"
    assert application.state == "pending"
    ops.reject(application, world["organizer"], "Gian này dành cho hàng OCOP 3 sao trở lên.")
    db.session.commit()
    assert application.state == "rejected"
    assert application.reject_reason.startswith("Gian này")
    assert state_of(world, "A01") == "available"
    mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.template == "booths_rejected"))
    assert "Gian này dành cho hàng OCOP" in mail.body_text


def test_waitlist_frees_the_booth_and_approval_takes_it_back_if_free(world):
    waiting = pending(world, codes=("A01",))
    ops.waitlist(waiting, world["organizer"])
    db.session.commit()
    assert waiting.state == "waitlisted"
    assert state_of(world, "A01") == "available"
    assert db.session.scalar(
        sa.select(OutboxMail.id).where(OutboxMail.template == "booths_waitlisted")
    )
    ops.approve(waiting, world["organizer"])
    db.session.commit()
    assert waiting.state == "approved"
    assert state_of(world, "A01") == "booked"


def test_waitlisted_approval_fails_when_the_booth_went_to_someone_else(world):
    waiting = pending(world, codes=("A01",))
    ops.waitlist(waiting, world["organizer"])
    db.session.commit()
    hold(world, "second", codes=("A01",))
    with pytest.raises(ops.BoothError) as caught:
        ops.approve(waiting, world["organizer"])
    assert (caught.value.reason, caught.value.codes) == ("taken", ["A01"])


def test_decisions_only_from_the_right_state(world):
    application = hold(world)
    for decide in (ops.approve, ops.waitlist):
        with pytest.raises(ops.BoothError) as caught:
            decide(application, world["organizer"])
        assert caught.value.reason == "bad_state"


# --------------------------------------------------------------------------- pages


def login(auth, user):
    auth.login(user)


def test_pick_page_lists_booths_in_a_form_that_works_without_javascript(client, auth, world):
    world["booths"][1].blocked = True
    db.session.commit()
    hold(world, "second", codes=("A03",))
    login(auth, world["first"].user)
    html = client.get(f"/f/{world['festival'].slug}/booths/pick").get_data(as_text=True)
    assert 'id="booth-pick-form"' in html
    assert f'action="/f/{world["festival"].slug}/booths/hold"' in html
    assert f'<option value="{world["first"].id}"' in html
    assert html.count('name="booth_id"') == 6
    assert "Gian OCOP" in html  # grouped by zone
    assert re.search(r'data-state="blocked".*?disabled', html, re.S)
    assert re.search(rf'value="{world["booths"][2].id}"[^>]*disabled', html)
    assert "booths/plan.js" in html and 'data-mode="pick"' in html


def test_hold_through_the_page_then_apply(client, auth, world):
    product = add_product(world["first"])
    slug = world["festival"].slug
    login(auth, world["first"].user)
    token = csrf_token(client, f"/f/{slug}/booths/pick")
    response = client.post(
        f"/f/{slug}/booths/hold",
        data={
            "csrf_token": token,
            "exhibitor_id": world["first"].id,
            "booth_id": [world["booths"][0].id, world["booths"][1].id],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    application = db.session.scalar(
        sa.select(BoothApplication).where(BoothApplication.exhibitor_id == world["first"].id)
    )
    assert response.headers["Location"].endswith(f"/booths/applications/{application.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A01" in page and "A02" in page and "Sâm Ngọc Linh" in page

    # Bad input: what was typed comes back.
    path = f"/f/{slug}/booths/applications/{application.id}"
    bad = client.post(
        path,
        data={
            "csrf_token": token,
            "products": [str(product.id)],
            "tables": "nhiều",
            "chairs": "3",
            "note": "Xin gian gần cửa",
        },
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Xin gian gần cửa" in html
    assert 'value="nhiều"' in html
    assert re.search(rf'value="{product.id}"[^>]*checked|checked[^>]*value="{product.id}"', html)
    db.session.refresh(application)
    assert application.state == "held"

    good = client.post(
        path,
        data={
            "csrf_token": token,
            "products": [str(product.id)],
            "tables": "2",
            "chairs": "3",
            "needs_electricity": "y",
            "note": "Xin gian gần cửa",
        },
    )
    assert good.status_code == 302
    db.session.refresh(application)
    assert (application.state, application.tables, application.needs_electricity) == (
        "pending",
        2,
        True,
    )


def test_the_loser_of_a_race_gets_the_message_and_keeps_the_pick(client, auth, world):
    slug = world["festival"].slug
    group = world["festival"].groups[1]
    hold(world, "second", codes=("A01",))  # the other exhibitor was faster
    login(auth, world["first"].user)
    token = csrf_token(client, f"/f/{slug}/booths/pick")
    response = client.post(
        f"/f/{slug}/booths/hold",
        data={
            "csrf_token": token,
            "exhibitor_id": world["first"].id,
            "group_id": group.id,
            "booth_id": [world["booths"][0].id, world["booths"][3].id],
        },
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert re.search(r'id="pick-error"[^>]*>[^<]*A01', html)
    # Both picks, the exhibitor and the group are still selected.
    for booth in (world["booths"][0], world["booths"][3]):
        assert re.search(rf'value="{booth.id}"[^>]*checked', html), booth.code
    assert re.search(rf'<option selected value="{group.id}"|value="{group.id}" selected', html)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(BoothApplication.id)).where(
                BoothApplication.exhibitor_id == world["first"].id
            )
        )
        == 0
    )


def test_hold_with_garbage_booth_ids(client, auth, world):
    slug = world["festival"].slug
    login(auth, world["first"].user)
    token = csrf_token(client, f"/f/{slug}/booths/pick")
    response = client.post(
        f"/f/{slug}/booths/hold",
        data={"csrf_token": token, "exhibitor_id": world["first"].id, "booth_id": ["x1"]},
    )
    assert response.status_code == 400
    response = client.post(
        f"/f/{slug}/booths/hold",
        data={"csrf_token": token, "exhibitor_id": world["second"].id, "booth_id": ["1"]},
    )
    assert response.status_code == 400  # not one of this user's exhibitors
    assert db.session.scalar(sa.select(sa.func.count(BoothApplication.id))) == 0


def test_hold_with_ids_beyond_the_column(client, auth, world):
    slug = world["festival"].slug
    login(auth, world["first"].user)
    token = csrf_token(client, f"/f/{slug}/booths/pick")
    for huge in (str(2**31), str(2**64)):
        response = client.post(
            f"/f/{slug}/booths/hold",
            data={"csrf_token": token, "exhibitor_id": world["first"].id, "booth_id": [huge]},
        )
        assert response.status_code == 400, huge  # "not available", not a server error
    assert db.session.scalar(sa.select(sa.func.count(BoothApplication.id))) == 0
    # A group id beyond the column is no group, not a server error.
    response = client.post(
        f"/f/{slug}/booths/hold",
        data={
            "csrf_token": token,
            "exhibitor_id": world["first"].id,
            "booth_id": [str(world["booths"][0].id)],
            "group_id": str(2**64),
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(BoothApplication.group_id)) is None


def test_queue_shows_current_stars_and_the_waived_fee(client, auth, world):
    from booths.search import today_local

    today = today_local()
    current = add_product(world["first"], "Trà đẳng sâm", stars=4)
    current.decision_date = today - dt.timedelta(days=400)
    current.valid_until = today + dt.timedelta(days=700)
    expired = add_product(world["first"], "Rượu sâm", stars=5)
    expired.decision_date = today - dt.timedelta(days=1200)
    expired.valid_until = today - dt.timedelta(days=1)
    group = world["festival"].groups[0]
    db.session.add(BoothFeeWaiver(festival_id=world["festival"].id, group_id=group.id))
    world["organizer"].locale = "en"
    db.session.commit()
    pending(world, codes=("A01",), products=[current.id, expired.id], group_id=group.id)
    login(auth, world["organizer"])
    html = client.get(f"/f/{world['festival'].slug}/manage/booths/applications").get_data(
        as_text=True
    )
    assert "Trà đẳng sâm 4★" in html
    assert "5★" not in html and "Rượu sâm (OCOP certificate expired)" in html
    assert f"fee waived ({group.name_en or group.name_vi})" in html
    assert "500.000" not in html and "500,000" not in html  # not the full price


def test_queue_and_decisions_through_the_pages(client, auth, world):
    product = add_product(world["first"], "Đẳng sâm", stars=3)
    application = pending(world, codes=("A01",), products=[product.id], needs_electricity=True)
    slug = world["festival"].slug
    login(auth, world["organizer"])
    html = client.get(f"/f/{slug}/manage/booths/applications").get_data(as_text=True)
    assert "HTX Dược liệu Tây Giang" in html and "Đẳng sâm" in html and "A01" in html
    token = csrf_token(client, f"/f/{slug}/manage/booths/applications")
    decide = f"/f/{slug}/manage/booths/applications/{application.id}/decide"

    missing_reason = client.post(decide, data={"csrf_token": token, "action": "reject"})
    assert missing_reason.status_code == 400
    assert 'role="alert"' in missing_reason.get_data(as_text=True)
    db.session.refresh(application)
    assert application.state == "pending"

    approved = client.post(decide, data={"csrf_token": token, "action": "approve"})
    assert approved.status_code == 302
    db.session.refresh(application)
    assert application.state == "approved"
    html = client.get(f"/f/{slug}/manage/booths/applications?state=approved").get_data(as_text=True)
    assert "HTX Dược liệu Tây Giang" in html and application.order.code in html


def test_my_applications_and_withdraw(client, auth, world):
    application = pending(world)
    slug = world["festival"].slug
    login(auth, world["first"].user)
    html = client.get(f"/f/{slug}/booths/mine").get_data(as_text=True)
    assert f'data-application-id="{application.id}"' in html
    token = csrf_token(client, f"/f/{slug}/booths/mine")
    response = client.post(
        f"/f/{slug}/booths/applications/{application.id}/withdraw",
        data={"csrf_token": token},
    )
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.state == "withdrawn"


def test_permissions(client, auth, world, create_user):
    application = pending(world)
    slug = world["festival"].slug
    own = f"/f/{slug}/booths/applications/{application.id}"
    # Anonymous: to the login page.
    assert "/login" in client.get(f"/f/{slug}/booths/pick").headers["Location"]
    # Another exhibitor cannot see or withdraw it.
    login(auth, world["second"].user)
    assert client.get(own).status_code == 403
    token = csrf_token(client, f"/f/{slug}/booths/mine")
    assert client.post(own + "/withdraw", data={"csrf_token": token}).status_code == 403
    # Nor reach the organizers' queue.
    assert client.get(f"/f/{slug}/manage/booths/applications").status_code == 403
    decide = f"/f/{slug}/manage/booths/applications/{application.id}/decide"
    assert client.post(decide, data={"csrf_token": token, "action": "approve"}).status_code == 403
    db.session.refresh(application)
    assert application.state == "pending"
    auth.logout()
    # A user without an exhibitor profile is told where to make one.
    login(auth, create_user())
    response = client.get(f"/f/{slug}/booths/pick")
    assert response.status_code == 403
    assert "/exhibitors/mine" in response.get_data(as_text=True)


BOOKING_ENDPOINTS = (
    "booths.pick",
    "booths.hold",
    "booths.application",
    "booths.my_applications",
    "booths.withdraw",
    "booths.queue",
    "booths.decide",
)


def test_every_booking_route_refuses_anonymous_and_strangers(
    app, client, auth, world, create_user, monkeypatch
):
    """As tests/eventday/test_access.py does for the whole map, for the booking routes."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    application = pending(world)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in BOOKING_ENDPOINTS]
    assert {r.endpoint for r in rules} == set(BOOKING_ENDPOINTS)
    calls = []
    for rule in rules:
        assert not getattr(app.view_functions[rule.endpoint], "is_public", False)
        path = rule.rule.replace("<slug>", world["festival"].slug)
        path = path.replace("<int:application_id>", str(application.id))
        calls += [(m, path) for m in sorted(rule.methods & {"GET", "POST"})]
    for method, path in calls:
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"]
    auth.login(create_user())  # logged in, no exhibitor profile, no festival role
    for method, path in calls:
        assert client.open(path, method=method).status_code in (403, 404), (method, path)
    db.session.refresh(application)
    assert application.state == "pending"
