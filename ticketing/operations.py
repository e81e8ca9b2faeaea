"""Ticketing operations: every write about orders, tickets and payments goes through here.

They take objects and plain data, flush, never commit, and raise the domain errors below.
Quota: a per-ticket-type row lock (PostgreSQL ``SELECT … FOR UPDATE``) is taken around the
availability check and the insert, always before any other lock of the same request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import fold
from ticketing import codes
from ticketing.models import (
    HOLDING_TICKET_STATES,
    InvitationCode,
    Order,
    OrderLine,
    Payment,
    PaymentSettings,
    Ticket,
    TicketType,
    WaitingListEntry,
)

# --------------------------------------------------------------------------- errors


class TicketingError(Exception):
    """Base of the ticketing domain errors; views turn each into a translated message."""


class SoldOut(TicketingError):
    def __init__(self, ticket_type: TicketType, available: int):
        super().__init__(f"{ticket_type.id}: {available} left")
        self.ticket_type = ticket_type
        self.available = available


class SaleClosed(TicketingError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'festival_closed', 'not_started', 'ended', 'hidden'


class TooManyTickets(TicketingError):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class GroupNotAllowed(TicketingError):
    pass


class InvalidInvitation(TicketingError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'unknown', 'used_up', 'expired', 'other_type'


class PaymentUnavailable(TicketingError):
    pass


class OrderNotOpen(TicketingError):
    pass


class ChangeDeadlinePassed(TicketingError):
    pass


class OfferNotAvailable(TicketingError):
    pass


class TicketNotFound(TicketingError):
    """A typed or scanned code names no ticket here: ``reason`` is ``no_code``,
    ``unknown_ticket`` or ``other_festival``; ``signed`` tells a QR text from a typed code."""

    def __init__(self, reason: str, signed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.signed = signed


# --------------------------------------------------------------------------- data


@dataclass
class AttendeeData:
    full_name: str
    email: str | None = None
    phone: str | None = None
    participant_group_id: int | None = None
    home_area_id: int | None = None
    locale: str = "vi"
    share_with_exhibitors: bool = False


@dataclass
class OrderRequest:
    festival: Festival
    ticket_type: TicketType
    attendees: list[AttendeeData]
    payment_method: str = "free"
    locale: str = "vi"
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_phone: str | None = None
    invitation_code: str | None = None
    source: str = "web"
    user_id: int | None = None
    waiting_entry: WaitingListEntry | None = None
    # Sold by organizers or gate staff (walk-in, import): hidden types and closed sale windows
    # do not stop them; the quota still does.
    staff_sale: bool = False
    # Gate staff took the money in cash now: the order is paid at once, no payment mail.
    cash_received_by: int | None = None
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- finding a ticket


def find_ticket(festival: Festival, raw: str | None) -> Ticket:
    """The ticket a typed short code or a scanned QR text names, at this festival — the same
    decoding as the gates (``signing`` for QR texts, short codes per festival). Raises
    ``TicketNotFound`` saying whether the code is empty, unknown or another festival's."""
    from ticketing import signing

    text = (raw or "").strip()
    if not text:
        raise TicketNotFound("no_code")
    if text.upper().startswith("EDT") and ":" in text:
        try:
            claims = signing.verify_for_festival(text, festival)
        except signing.TicketCodeError as exc:
            other = exc.reason in ("festival", "unknown_key")
            reason = "other_festival" if other else "unknown_ticket"
            raise TicketNotFound(reason, signed=True) from exc
        ticket = db.session.get(Ticket, claims.ticket_id)
        if ticket is None:
            raise TicketNotFound("unknown_ticket", signed=True)
        if ticket.festival_id != festival.id:
            raise TicketNotFound("other_festival", signed=True)
        return ticket
    code = codes.normalize_code(text)
    if len(code) != 8:
        raise TicketNotFound("unknown_ticket")
    tickets = list(db.session.scalars(sa.select(Ticket).where(Ticket.short_code == code)))
    here = [t for t in tickets if t.festival_id == festival.id]
    if here:
        return here[0]
    raise TicketNotFound("other_festival" if tickets else "unknown_ticket")


# --------------------------------------------------------------------------- settings


def payment_settings(festival: Festival) -> PaymentSettings:
    settings = db.session.scalar(
        sa.select(PaymentSettings).where(PaymentSettings.festival_id == festival.id)
    )
    if settings is None:
        settings = PaymentSettings(festival_id=festival.id)
        db.session.add(settings)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except sa.exc.IntegrityError:
            settings = db.session.scalar(
                sa.select(PaymentSettings).where(PaymentSettings.festival_id == festival.id)
            )
    return settings


def stripe_configured() -> bool:
    return bool(
        current_app.config.get("STRIPE_SECRET_KEY")
        and current_app.config.get("STRIPE_PUBLISHABLE_KEY")
    )


def payment_methods(festival: Festival) -> list[str]:
    """Methods a buyer can choose for a paid ticket, in order of preference."""
    settings = payment_settings(festival)
    methods = []
    if settings.vietqr_enabled:
        methods.append("vietqr")
    if settings.stripe_enabled and stripe_configured():
        methods.append("stripe")
    if settings.cash_enabled:
        methods.append("cash")
    return methods


# --------------------------------------------------------------------------- availability


def lock_ticket_type(ticket_type: TicketType) -> None:
    """Serialise buyers of one ticket type (row lock on PostgreSQL; SQLite locks the file)."""
    db.session.execute(
        sa.select(TicketType.id).where(TicketType.id == ticket_type.id).with_for_update()
    )


def held_count(ticket_type: TicketType) -> int:
    tickets = db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(
            Ticket.ticket_type_id == ticket_type.id, Ticket.state.in_(HOLDING_TICKET_STATES)
        )
    )
    offers = db.session.scalar(
        sa.select(sa.func.count(WaitingListEntry.id)).where(
            WaitingListEntry.ticket_type_id == ticket_type.id,
            WaitingListEntry.state == "offered",
        )
    )
    return tickets + offers


def available(ticket_type: TicketType) -> int:
    return max(0, ticket_type.quota - held_count(ticket_type))


def release_expired(festival: Festival | None = None, now: dt.datetime | None = None) -> int:
    """Expire unpaid orders past ``expires_at`` and waiting-list offers past theirs; give the
    freed places to the waiting list. Runs on read (registration, order pages) and from
    ``flask --app app tickets expire``. Returns how many orders expired."""
    now = now or utcnow()
    stmt = sa.select(Order).where(Order.state == "pending", Order.expires_at < now)
    if festival is not None:
        stmt = stmt.where(Order.festival_id == festival.id)
    expired = 0
    touched_types: set[int] = set()
    for order in db.session.scalars(stmt.with_for_update(skip_locked=True)):
        order.state = "expired"
        order.cancelled_at = now
        _give_back_invitation(order)
        for ticket in order.tickets:
            if ticket.state == "reserved":
                ticket.state = "released"
                touched_types.add(ticket.ticket_type_id)
        expired += 1
        _notify(order, "ticketing/order_expired")
    offer_stmt = sa.select(WaitingListEntry).where(
        WaitingListEntry.state == "offered", WaitingListEntry.offer_expires_at < now
    )
    if festival is not None:
        offer_stmt = offer_stmt.join(TicketType).where(TicketType.festival_id == festival.id)
    for entry in db.session.scalars(offer_stmt):
        entry.state = "expired"
        touched_types.add(entry.ticket_type_id)
    db.session.flush()
    for type_id in sorted(touched_types):
        offer_freed_places(db.session.get(TicketType, type_id))
    return expired


# --------------------------------------------------------------------------- orders


def lock_order(order: Order) -> None:
    """Re-read the order under a row lock before changing its state (PostgreSQL)."""
    if order.id is not None:
        db.session.refresh(order, with_for_update=True)


def _give_back_invitation(order: Order) -> None:
    if order.invitation_code_id is None:
        return
    invitation = db.session.get(InvitationCode, order.invitation_code_id, with_for_update=True)
    used = sum(line.quantity for line in order.lines if line.kind == "ticket")
    invitation.used_count = max(0, invitation.used_count - used)


def _check_sale(
    festival: Festival, ticket_type: TicketType, unlocked: bool, staff_sale: bool = False
) -> None:
    if festival.state != "published":
        raise SaleClosed("festival_closed")
    if staff_sale:
        return
    now = utcnow()
    if ticket_type.sale_starts_at and now < ticket_type.sale_starts_at:
        raise SaleClosed("not_started")
    if ticket_type.sale_ends_at and now >= ticket_type.sale_ends_at:
        raise SaleClosed("ended")
    if ticket_type.is_hidden and not unlocked:
        raise SaleClosed("hidden")


def resolve_invitation(festival: Festival, raw: str | None, *, lock: bool = False):
    if not raw:
        return None
    code = codes.normalize_code(raw)
    stmt = sa.select(InvitationCode).where(
        InvitationCode.festival_id == festival.id, InvitationCode.code == code
    )
    if lock:
        stmt = stmt.with_for_update()
    invitation = db.session.scalar(stmt)
    if invitation is None:
        raise InvalidInvitation("unknown")
    if invitation.expires_at and invitation.expires_at <= utcnow():
        raise InvalidInvitation("expired")
    if invitation.used_count >= invitation.max_uses:
        raise InvalidInvitation("used_up")
    return invitation


def _new_order_code() -> str:
    for _ in range(20):
        code = codes.order_code()
        if db.session.scalar(sa.select(Order.id).where(Order.code == code)) is None:
            return code
    raise RuntimeError("could not find a free order code")


def _new_short_code(festival_id: int, taken: set[str]) -> str:
    for _ in range(20):
        code = codes.ticket_short_code()
        if code in taken:
            continue
        clash = db.session.scalar(
            sa.select(Ticket.id).where(Ticket.festival_id == festival_id, Ticket.short_code == code)
        )
        if clash is None:
            taken.add(code)
            return code
    raise RuntimeError("could not find a free ticket code")


def _hold_until(festival: Festival, method: str) -> dt.datetime | None:
    settings = payment_settings(festival)
    if method == "cash" and festival.days:
        # Cash is paid at the gate: the place is held until the festival's last day ends.
        last = festival.days[-1]
        local = dt.datetime.combine(
            last.day, last.ends_at, tzinfo=dt.timezone(dt.timedelta(hours=7))
        )
        return local.astimezone(dt.UTC)
    return utcnow() + dt.timedelta(minutes=settings.hold_minutes)


def place_order(request: OrderRequest) -> Order:
    """Reserve places and create the order; free orders are confirmed at once."""
    festival, ticket_type = request.festival, request.ticket_type
    if ticket_type.festival_id != festival.id:
        raise ValueError("ticket type of another festival")
    count = len(request.attendees)
    if count < 1:
        raise ValueError("an order needs at least one attendee")
    invitation = resolve_invitation(festival, request.invitation_code, lock=True)
    if invitation is not None and invitation.ticket_type_id != ticket_type.id:
        raise InvalidInvitation("other_type")
    if invitation is not None and invitation.used_count + count > invitation.max_uses:
        raise InvalidInvitation("used_up")
    _check_sale(
        festival, ticket_type, unlocked=invitation is not None, staff_sale=request.staff_sale
    )
    if count > ticket_type.max_per_order:
        raise TooManyTickets(ticket_type.max_per_order)
    allowed_groups = {g.id for g in ticket_type.groups}
    if allowed_groups and any(
        a.participant_group_id not in allowed_groups for a in request.attendees
    ):
        raise GroupNotAllowed()

    release_expired(festival)
    lock_ticket_type(ticket_type)
    free_places = available(ticket_type)
    entry = request.waiting_entry
    if entry is not None:
        # Re-read under the lock: the offer may have expired (and passed on) meanwhile.
        db.session.refresh(entry, with_for_update=True)
        if (
            entry.state != "offered"
            or entry.ticket_type_id != ticket_type.id
            or entry.offer_expires_at is None
            or entry.offer_expires_at <= utcnow()
        ):
            raise OfferNotAvailable()
        free_places += 1  # the offer held one place for this person
    if free_places < count:
        raise SoldOut(ticket_type, free_places)

    unit_price = (
        invitation.price_vnd
        if invitation and invitation.price_vnd is not None
        else ticket_type.price_vnd
    )
    total = unit_price * count
    method = "free" if total == 0 else request.payment_method
    at_gate = request.cash_received_by is not None and method == "cash"
    if total > 0 and method not in payment_methods(festival) and not at_gate:
        raise PaymentUnavailable(method)

    first = request.attendees[0]
    order = Order(
        festival_id=festival.id,
        code=_new_order_code(),
        payment_method=method,
        total_vnd=total,
        buyer_name=" ".join((request.buyer_name or first.full_name).split()),
        buyer_email=(request.buyer_email or first.email or None),
        buyer_phone=(request.buyer_phone or first.phone or None),
        locale=request.locale if request.locale in ("vi", "en") else "vi",
        user_id=request.user_id,
        invitation_code_id=invitation.id if invitation else None,
        source=request.source,
    )
    line = OrderLine(
        kind="ticket",
        ticket_type_id=ticket_type.id,
        description=ticket_type.name_vi,
        quantity=count,
        unit_price_vnd=unit_price,
    )
    order.lines.append(line)
    db.session.add(order)
    db.session.flush()
    taken: set[str] = set()
    for attendee in request.attendees:
        name = " ".join(attendee.full_name.split())
        db.session.add(
            Ticket(
                festival_id=festival.id,
                order=order,
                order_line_id=line.id,
                ticket_type_id=ticket_type.id,
                secret=secrets.token_urlsafe(24),
                short_code=_new_short_code(festival.id, taken),
                attendee_name=name,
                name_folded=fold(name),
                email=(attendee.email or "").strip().lower() or None,
                phone=attendee.phone or None,
                participant_group_id=attendee.participant_group_id,
                home_area_id=attendee.home_area_id,
                locale=attendee.locale if attendee.locale in ("vi", "en") else order.locale,
                share_with_exhibitors=attendee.share_with_exhibitors,
            )
        )
    if invitation is not None:
        invitation.used_count += count  # uses are counted per ticket
    if request.waiting_entry is not None:
        request.waiting_entry.state = "accepted"
        request.waiting_entry.order_id = order.id
    db.session.flush()

    if ticket_type.requires_approval:
        order.state = "awaiting_approval"
        _notify(order, "ticketing/order_awaiting_approval")
    elif total == 0:
        _confirm(order)
    elif at_gate:
        order.state = "pending"
        record_payment(
            order, total, None, provider="cash", user_id=request.cash_received_by, note="gate"
        )
    else:
        order.state = "pending"
        order.expires_at = _hold_until(festival, method)
        _notify(order, "ticketing/payment_instructions")
    db.session.flush()
    return order


def _confirm(order: Order) -> None:
    """The order is paid (or free): its tickets become valid and are mailed."""
    order.state = "paid"
    order.paid_at = order.paid_at or utcnow()
    order.expires_at = None
    for ticket in order.tickets:
        if ticket.state in ("reserved", "released"):
            ticket.state = "valid"
            ticket.issued_at = utcnow()
    db.session.flush()
    _notify(order, "ticketing/order_confirmed", attach_tickets=True)


def approve_order(order: Order) -> None:
    lock_order(order)
    if order.state != "awaiting_approval":
        raise OrderNotOpen()
    if order.total_vnd == 0 or order.paid_vnd >= order.total_vnd:
        _confirm(order)
    else:
        order.state = "pending"
        order.expires_at = _hold_until(order.festival, order.payment_method)
        _notify(order, "ticketing/payment_instructions")
    db.session.flush()


def record_payment(
    order: Order,
    amount_vnd: int,
    external_id: str | None,
    *,
    provider: str = "vietqr",
    user_id: int | None = None,
    note: str = "",
) -> Payment:
    """Record money received; the order is confirmed once it is fully paid. A pending payment
    of the same provider and external id (a card payment started on the checkout page) becomes
    the succeeded one rather than a second row."""
    payment = None
    if external_id is not None:
        payment = db.session.scalar(
            sa.select(Payment).where(
                Payment.provider == provider,
                Payment.external_id == external_id,
                Payment.state == "pending",
            )
        )
    if payment is None:
        payment = Payment(order=order, provider=provider, external_id=external_id)
        db.session.add(payment)
    payment.state = "succeeded"
    payment.amount_vnd = amount_vnd
    payment.recorded_by_id = user_id
    payment.note = note
    payment.confirmed_at = utcnow()
    order.paid_vnd += amount_vnd
    db.session.flush()
    if order.paid_vnd >= order.total_vnd and order.state in ("pending", "expired"):
        if order.state == "expired":
            _reclaim_places(order)
        if order.state != "expired":
            _confirm(order)
    return payment


def _reclaim_places(order: Order) -> None:
    """A transfer arrived after the hold expired: take the places back if they are free."""
    for line in order.lines:
        if line.ticket_type is None:
            continue
        lock_ticket_type(line.ticket_type)
        if available(line.ticket_type) < line.quantity:
            order.note = (order.note + "\npaid_after_expiry_sold_out").strip()
            return
    order.state = "pending"


def mark_paid(order: Order, *, provider: str, user_id: int | None, note: str = "") -> Payment:
    """An organizer confirms a transfer by hand, or gate staff take cash."""
    lock_order(order)  # a double click must not record the money twice
    if order.state not in ("pending", "expired"):
        raise OrderNotOpen()
    due = order.total_vnd - order.paid_vnd
    return record_payment(order, due, None, provider=provider, user_id=user_id, note=note)


def cancel_order(order: Order, *, by_organizer: bool = False, reason: str = "") -> None:
    """Cancel an unpaid or free order and free its places at once. Paid orders with money
    received are refunded instead (``refund_order``)."""
    lock_order(order)
    if order.state not in ("awaiting_approval", "pending", "paid"):
        raise OrderNotOpen()
    if order.state == "paid" and order.paid_vnd > 0:
        raise OrderNotOpen()
    order.state = "cancelled"
    order.cancelled_at = utcnow()
    _give_back_invitation(order)
    if reason:
        order.note = (order.note + "\n" + reason).strip()
    types = set()
    for ticket in order.tickets:
        if ticket.state in HOLDING_TICKET_STATES:
            ticket.state = "cancelled"
            ticket.revoked_at = utcnow()
            types.add(ticket.ticket_type_id)
    db.session.flush()
    _notify(order, "ticketing/order_cancelled")
    for type_id in sorted(types):
        offer_freed_places(db.session.get(TicketType, type_id))


def refund_order(order: Order, *, user_id: int | None, note: str = "") -> None:
    """Refund a paid order: the provider returns the money (Stripe) or the organizer has
    returned it by hand (transfer, cash); the tickets are revoked."""
    from ticketing.payments import provider_for

    lock_order(order)
    # Paid orders, and money that arrived after an order expired or was cancelled.
    if order.state != "paid" and not (
        order.state in ("expired", "cancelled") and order.paid_vnd > 0
    ):
        raise OrderNotOpen()
    for payment in order.payments:
        if payment.state == "succeeded":
            provider_for(payment.provider).refund(payment)
            payment.state = "refunded"
    order.state = "refunded"
    order.cancelled_at = utcnow()
    if note:
        order.note = (order.note + "\n" + note).strip()
    types = set()
    for ticket in order.tickets:
        if ticket.state in HOLDING_TICKET_STATES:
            ticket.state = "refunded"
            ticket.revoked_at = utcnow()
            types.add(ticket.ticket_type_id)
    db.session.flush()
    _notify(order, "ticketing/order_refunded")
    for type_id in sorted(types):
        offer_freed_places(db.session.get(TicketType, type_id))


def rename_attendee(ticket: Ticket, full_name: str) -> None:
    """Attendees correct a name until the festival's deadline (default: the first day)."""
    order = ticket.order
    lock_order(order)
    if not order.is_open or ticket.state not in HOLDING_TICKET_STATES:
        raise OrderNotOpen()
    settings = payment_settings(order.festival)
    deadline = settings.name_change_deadline
    if deadline is None and order.festival.first_day:
        deadline = dt.datetime.combine(
            order.festival.first_day, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=7))
        )
    if deadline is not None and utcnow() >= deadline:
        raise ChangeDeadlinePassed()
    name = " ".join(full_name.split())
    ticket.attendee_name = name
    ticket.name_folded = fold(name)
    db.session.flush()


# --------------------------------------------------------------------------- waiting list


def join_waiting_list(
    ticket_type: TicketType, *, name: str, email: str | None, phone: str | None, locale: str
) -> WaitingListEntry:
    entry = WaitingListEntry(
        ticket_type_id=ticket_type.id,
        name=" ".join(name.split()),
        email=(email or "").strip().lower() or None,
        phone=phone or None,
        locale=locale if locale in ("vi", "en") else "vi",
    )
    db.session.add(entry)
    db.session.flush()
    offer_freed_places(ticket_type)
    return entry


def offer_freed_places(ticket_type: TicketType | None) -> int:
    """Offer free places to the waiting list, first come first served. Returns offers made."""
    if ticket_type is None:
        return 0
    lock_ticket_type(ticket_type)
    free_places = available(ticket_type)
    if free_places <= 0:
        return 0
    settings = payment_settings(ticket_type.festival)
    waiting = db.session.scalars(
        sa.select(WaitingListEntry)
        .where(
            WaitingListEntry.ticket_type_id == ticket_type.id, WaitingListEntry.state == "waiting"
        )
        .order_by(WaitingListEntry.created_at, WaitingListEntry.id)
        .limit(free_places)
    ).all()
    now = utcnow()
    for entry in waiting:
        entry.state = "offered"
        entry.offered_at = now
        entry.offer_expires_at = now + dt.timedelta(minutes=settings.offer_minutes)
        db.session.flush()
        _notify_waiting(entry)
    return len(waiting)


def cancel_waiting(entry: WaitingListEntry) -> None:
    was_offered = entry.state == "offered"
    entry.state = "cancelled"
    db.session.flush()
    if was_offered:
        offer_freed_places(entry.ticket_type)


# --------------------------------------------------------------------------- mail


def _notify(order: Order, template: str, *, attach_tickets: bool = False) -> None:
    from ticketing.notifications import order_mail

    order_mail(order, template, attach_tickets=attach_tickets)


def _notify_waiting(entry: WaitingListEntry) -> None:
    from ticketing.notifications import waiting_offer_mail

    waiting_offer_mail(entry)


# --------------------------------------------------------------------------- search


def search_orders(
    festival: Festival,
    q: str = "",
    *,
    state: str | None = None,
    method: str | None = None,
    ticket_type_id: int | None = None,
) -> sa.Select:
    """Orders of a festival, newest first, searched like the organizer's order list: code,
    attendee name ignoring diacritics, ticket short code, email, phone digits."""
    stmt = sa.select(Order).where(Order.festival_id == festival.id)
    q = (q or "").strip()
    if q:
        folded = fold(q)
        code = codes.normalize_code(q)
        digits = "".join(ch for ch in q if ch.isdigit())
        conditions = [
            Order.code == code,
            Order.id.in_(sa.select(Ticket.order_id).where(Ticket.short_code == code)),
            sa.func.lower(Order.buyer_email).contains(q.lower(), autoescape=True),
        ]
        if folded:
            conditions.append(
                Order.id.in_(
                    sa.select(Ticket.order_id).where(
                        Ticket.festival_id == festival.id,
                        Ticket.name_folded.contains(folded, autoescape=True),
                    )
                )
            )
        if len(digits) >= 4:
            tail = digits.lstrip("0")
            conditions.append(Order.buyer_phone.contains(tail, autoescape=True))
            conditions.append(
                Order.id.in_(
                    sa.select(Ticket.order_id).where(Ticket.phone.contains(tail, autoescape=True))
                )
            )
        stmt = stmt.where(sa.or_(*conditions))
    if state:
        stmt = stmt.where(Order.state == state)
    if method:
        stmt = stmt.where(Order.payment_method == method)
    if ticket_type_id:
        stmt = stmt.where(
            Order.id.in_(sa.select(Ticket.order_id).where(Ticket.ticket_type_id == ticket_type_id))
        )
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


# --------------------------------------------------------------------------- reminders


def send_reminders(today: dt.date, days_before: int = 1) -> int:
    """Remind holders of valid tickets of festivals that start in ``days_before`` days.
    Each ticket is reminded once (``reminded_at``). Returns how many mails were queued."""
    from eventday.festivals.models import FestivalDay
    from ticketing.notifications import reminder_mail

    target = today + dt.timedelta(days=days_before)
    first_days = (
        sa.select(FestivalDay.festival_id, sa.func.min(FestivalDay.day).label("first"))
        .group_by(FestivalDay.festival_id)
        .subquery()
    )
    festivals = db.session.scalars(
        sa.select(Festival)
        .join(first_days, first_days.c.festival_id == Festival.id)
        .where(Festival.state == "published", first_days.c.first == target)
    ).all()
    sent = 0
    for festival in festivals:
        tickets = db.session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.festival_id == festival.id,
                Ticket.state == "valid",
                Ticket.reminded_at.is_(None),
            )
            .order_by(Ticket.order_id, Ticket.id)
        ).all()
        by_recipient: dict[str, list[Ticket]] = {}
        for ticket in tickets:
            email = ticket.email or ticket.order.buyer_email
            if email:
                by_recipient.setdefault(email, []).append(ticket)
            ticket.reminded_at = utcnow()
        for email, group in by_recipient.items():
            reminder_mail(email, festival, group)
            sent += 1
    db.session.flush()
    return sent
