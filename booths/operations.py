"""Booth booking: holds, applications, the organizers' decisions, fees and staff passes.

Every write about booth bookings goes through here. Functions take objects and plain data,
flush, never commit, and raise ``BoothError`` (with a ``reason`` and a translated
``message()``) that views and the CLI turn into text.

No double booking, two defences:

1. ``hold_booths`` locks the booth rows (``SELECT … FOR UPDATE``, ordered by id, so two
   exhibitors picking overlapping booths queue up instead of deadlocking) around the
   availability check and the insert of the bookings;
2. the partial unique index ``uq_booth_bookings_one_active`` (one active booking per booth)
   refuses whatever gets past the lock; its IntegrityError becomes ``BoothError("taken")``.

Lock order: booths, then applications. Every state change of an application first re-reads
its row under a lock (``lock_application``), as ``ticketing.operations.lock_order`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from booths.models import (
    Booth,
    BoothApplication,
    BoothBooking,
    BoothFeeWaiver,
    ExhibitorProfile,
    Product,
)
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, ParticipantGroup
from eventday.i18n import LOCAL_TZ

DEFAULT_HOLD_MINUTES = 30
DEFAULT_MAX_PER_APPLICATION = 4
STAFF_PASS_NAME_VI = "Thẻ đơn vị trưng bày"  # noqa: S105 - a ticket type name
STAFF_PASS_NAME_EN = "Exhibitor staff pass"  # noqa: S105
STAFF_PASS_QUOTA = 10_000  # raised when a festival needs more passes than this
MAX_TABLES = 20
MAX_CHAIRS = 40

# --------------------------------------------------------------------------- errors


class BoothError(Exception):
    """A booking that cannot be done; ``reason`` says why, ``message()`` tells the user.

    Reasons: taken, reserved_for_group, reserved_for_area, blocked, not_available,
    bad_state, no_booths, too_many, hold_expired, bad_products, bad_group, bad_needs,
    reason_required, festival_closed.
    """

    def __init__(self, reason: str, booths: Sequence[Booth] = (), *, limit: int | None = None):
        codes = [b.code for b in booths]
        super().__init__(f"{reason}: {', '.join(codes)}" if codes else reason)
        self.reason = reason
        self.codes = codes
        self.booth_ids = [b.id for b in booths]
        self.limit = limit

    def message(self) -> str:
        codes = ", ".join(self.codes)
        n = max(1, len(self.codes))
        if self.reason == "taken":
            if not codes:
                return _("The booth was just taken by another exhibitor. Pick another one.")
            return ngettext(
                "Booth %(codes)s was just taken by another exhibitor. Pick another one.",
                "Booths %(codes)s were just taken by other exhibitors. Pick others.",
                n,
                codes=codes,
            )
        if self.reason == "reserved_for_group":
            return ngettext(
                "Booth %(codes)s is kept for another participant group.",
                "Booths %(codes)s are kept for another participant group.",
                n,
                codes=codes,
            )
        if self.reason == "reserved_for_area":
            return ngettext(
                "Booth %(codes)s is kept for exhibitors from another home area.",
                "Booths %(codes)s are kept for exhibitors from another home area.",
                n,
                codes=codes,
            )
        if self.reason == "blocked":
            return ngettext(
                "Booth %(codes)s cannot be booked.",
                "Booths %(codes)s cannot be booked.",
                n,
                codes=codes,
            )
        if self.reason == "not_available":
            return _("Some of the booths you picked are not on this festival's plan.")
        if self.reason == "no_booths":
            return _("Pick at least one booth.")
        if self.reason == "too_many":
            return ngettext(
                "You can pick at most %(num)d booth at once.",
                "You can pick at most %(num)d booths at once.",
                self.limit or 1,
            )
        if self.reason == "hold_expired":
            return _("Your hold on the booths ran out. Pick the booths again.")
        if self.reason == "bad_products":
            return _("Pick only products of this exhibitor.")
        if self.reason == "bad_group":
            return _("Pick a participant group of this festival.")
        if self.reason == "bad_needs":
            return _("Tables and chairs must be whole numbers within the limits.")
        if self.reason == "reason_required":
            return _("Give a reason for the rejection: the exhibitor will read it.")
        if self.reason == "festival_closed":
            return _("Booking is closed: the festival is not open for it.")
        return _("This application cannot be changed in its current state.")


# --------------------------------------------------------------------------- settings


def hold_minutes() -> int:
    return int(current_app.config.get("BOOTH_HOLD_MINUTES", DEFAULT_HOLD_MINUTES))


def max_per_application() -> int:
    return int(current_app.config.get("BOOTH_MAX_PER_APPLICATION", DEFAULT_MAX_PER_APPLICATION))


# --------------------------------------------------------------------------- locks and checks


def lock_booths(booth_ids: Sequence[int]) -> list[Booth]:
    """The booths, re-read under row locks taken in id order (a no-op lock on SQLite, where
    the write lock on the file serialises writers instead)."""
    return list(
        db.session.scalars(
            sa.select(Booth)
            .where(Booth.id.in_(sorted(booth_ids)))
            .order_by(Booth.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def lock_application(application: BoothApplication) -> None:
    """Re-read the application under a row lock before changing its state (PostgreSQL)."""
    if application.id is not None:
        db.session.refresh(application, with_for_update=True)


def taken_booth_ids(booth_ids: Sequence[int]) -> set[int]:
    """Booths among ``booth_ids`` with an active booking (run after stale holds are freed)."""
    return set(
        db.session.scalars(
            sa.select(BoothBooking.booth_id).where(
                BoothBooking.booth_id.in_(list(booth_ids)), BoothBooking.active
            )
        )
    )


def _deactivate(application: BoothApplication) -> None:
    for booking in application.bookings:
        booking.active = False


def release_stale_holds(booth_ids: Sequence[int], now: dt.datetime) -> int:
    """Holds on these booths whose time ran out become 'expired' and free their booths.
    Returns how many applications expired."""
    stale = db.session.scalars(
        sa.select(BoothApplication)
        .join(BoothBooking, BoothBooking.application_id == BoothApplication.id)
        .where(
            BoothBooking.booth_id.in_(list(booth_ids)),
            BoothBooking.active,
            BoothApplication.state == "held",
            BoothApplication.hold_expires_at <= now,
        )
        .order_by(BoothApplication.id)
        .distinct()
    ).all()
    count = 0
    for application in stale:
        lock_application(application)
        # Re-read under the lock: it may have been sent just before it ran out.
        if application.state != "held" or application.hold_expires_at > now:
            continue
        application.state = "expired"
        _deactivate(application)
        count += 1
    db.session.flush()
    return count


def area_allows(reserved_area_id: int, home_area_id: int | None) -> bool:
    """An exhibitor from ``home_area_id`` may take a booth kept for ``reserved_area_id``: the
    same area, one inside it, one it became after a reform (and what those contain), or a
    unit it was made from."""
    if home_area_id is None:
        return False
    if reserved_area_id == home_area_id:
        return True
    from eventday.areas.models import Area
    from eventday.areas.operations import areas_covering, predecessors

    reserved = db.session.get(Area, reserved_area_id)
    if reserved is None:
        return False
    allowed = {a.id for a in areas_covering(reserved)}
    allowed |= {a.id for a in predecessors(reserved)}
    return home_area_id in allowed


def _check_group(festival: Festival, group_id: int | None) -> None:
    if group_id is None:
        return
    found = db.session.scalar(
        sa.select(ParticipantGroup.id).where(
            ParticipantGroup.id == group_id, ParticipantGroup.festival_id == festival.id
        )
    )
    if found is None:
        raise BoothError("bad_group")


def _check_reservations(
    booths: Sequence[Booth], exhibitor: ExhibitorProfile, group_id: int | None
) -> None:
    blocked = [b for b in booths if b.blocked]
    if blocked:
        raise BoothError("blocked", blocked)
    other_group = [
        b for b in booths if b.reserved_group_id is not None and b.reserved_group_id != group_id
    ]
    if other_group:
        raise BoothError("reserved_for_group", other_group)
    other_area = [
        b
        for b in booths
        if b.reserved_area_id is not None
        and not area_allows(b.reserved_area_id, exhibitor.home_area_id)
    ]
    if other_area:
        raise BoothError("reserved_for_area", other_area)


def _write_bookings(booths: Sequence[Booth], apply) -> None:
    """Make the bookings active (``apply``) and flush inside a SAVEPOINT: the unique index's
    refusal becomes 'taken' and leaves the outer transaction usable. The changes are made
    inside the SAVEPOINT because ``begin_nested`` flushes what is pending before it starts."""
    try:
        with db.session.begin_nested():
            apply()
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise BoothError("taken", booths) from exc


# --------------------------------------------------------------------------- holds


def hold_booths(
    festival: Festival,
    exhibitor: ExhibitorProfile,
    booth_ids: Iterable[int],
    user,
    *,
    group_id: int | None = None,
    now: dt.datetime | None = None,
) -> BoothApplication:
    """Hold the booths for the exhibitor: a 'held' application that runs out after
    BOOTH_HOLD_MINUTES unless it is sent."""
    now = now or utcnow()
    ids = sorted({int(i) for i in booth_ids})
    if not ids:
        raise BoothError("no_booths")
    limit = max_per_application()
    if len(ids) > limit:
        raise BoothError("too_many", limit=limit)
    if festival.state != "published":
        raise BoothError("festival_closed")
    _check_group(festival, group_id)

    booths = lock_booths(ids)
    if len(booths) != len(ids) or any(b.festival_id != festival.id for b in booths):
        raise BoothError("not_available")
    _check_reservations(booths, exhibitor, group_id)
    release_stale_holds(ids, now)
    taken = taken_booth_ids(ids)
    if taken:
        raise BoothError("taken", [b for b in booths if b.id in taken])
    # The limit covers the exhibitor's open requests together, not one request: booths in
    # live holds and in applications waiting for a decision at this festival. The exhibitor's
    # row lock (after the booths', always in that order) makes two holds of different booths
    # by one exhibitor count one after the other.
    db.session.scalar(
        sa.select(ExhibitorProfile.id).where(ExhibitorProfile.id == exhibitor.id).with_for_update()
    )
    open_bookings = db.session.scalar(
        sa.select(sa.func.count(BoothBooking.id))
        .join(BoothApplication, BoothApplication.id == BoothBooking.application_id)
        .where(
            BoothBooking.active.is_(True),
            BoothApplication.festival_id == festival.id,
            BoothApplication.exhibitor_id == exhibitor.id,
            sa.or_(
                sa.and_(BoothApplication.state == "held", BoothApplication.hold_expires_at > now),
                BoothApplication.state == "pending",
            ),
        )
    )
    if open_bookings + len(ids) > limit:
        raise BoothError("too_many", limit=limit)

    application = BoothApplication(
        festival_id=festival.id,
        exhibitor_id=exhibitor.id,
        applicant_id=getattr(user, "id", None),
        group_id=group_id,
        state="held",
        hold_expires_at=now + dt.timedelta(minutes=hold_minutes()),
    )
    for booth in booths:
        application.bookings.append(
            BoothBooking(festival_id=festival.id, booth_id=booth.id, active=True)
        )
    _write_bookings(booths, lambda: db.session.add(application))
    return application


def expire_holds(now: dt.datetime | None = None) -> int:
    """Holds that ran out become 'expired' and free their booths (booth states already show
    them free; this tidies the rows). Returns how many expired."""
    now = now or utcnow()
    stale = db.session.scalars(
        sa.select(BoothApplication)
        .where(BoothApplication.state == "held", BoothApplication.hold_expires_at <= now)
        .order_by(BoothApplication.id)
        .with_for_update(skip_locked=True)
    ).all()
    for application in stale:
        application.state = "expired"
        _deactivate(application)
    db.session.flush()
    return len(stale)


# --------------------------------------------------------------------------- the exhibitor


def submit_application(
    application: BoothApplication,
    user,
    *,
    products: Iterable[int | Product] = (),
    needs_electricity: bool = False,
    tables: int = 1,
    chairs: int = 2,
    note: str = "",
    group_id: int | None = None,
    now: dt.datetime | None = None,
) -> BoothApplication:
    """Send a held application to the organizers (held → pending), before the hold runs out."""
    now = now or utcnow()
    lock_application(application)
    if application.state != "held":
        if application.state == "expired":
            raise BoothError("hold_expired")
        raise BoothError("bad_state")
    if application.hold_expires_at is None or application.hold_expires_at <= now:
        raise BoothError("hold_expired")
    if not (0 <= int(tables) <= MAX_TABLES and 0 <= int(chairs) <= MAX_CHAIRS):
        raise BoothError("bad_needs")
    _check_group(application.festival, group_id)
    _check_reservations(application.booths, application.exhibitor, group_id)

    product_ids = {p.id if isinstance(p, Product) else int(p) for p in products}
    chosen = (
        list(
            db.session.scalars(
                sa.select(Product).where(Product.id.in_(product_ids)).order_by(Product.id)
            )
        )
        if product_ids
        else []
    )
    if len(chosen) != len(product_ids) or any(
        p.exhibitor_id != application.exhibitor_id for p in chosen
    ):
        raise BoothError("bad_products")

    application.products = chosen
    application.needs_electricity = bool(needs_electricity)
    application.tables = int(tables)
    application.chairs = int(chairs)
    application.note = (note or "").strip()
    application.group_id = group_id
    application.state = "pending"
    application.submitted_at = now
    db.session.flush()
    return application


def withdraw(application: BoothApplication, user) -> None:
    """The exhibitor takes back a held, pending or waitlisted application (an approved one
    goes through the organizers: passes and fees are attached to it)."""
    lock_application(application)
    if application.state not in ("held", "pending", "waitlisted"):
        raise BoothError("bad_state")
    application.state = "withdrawn"
    _deactivate(application)
    db.session.flush()


# --------------------------------------------------------------------------- fees


def fee_waiver(application: BoothApplication) -> BoothFeeWaiver | None:
    if application.group_id is None:
        return None
    return db.session.scalar(
        sa.select(BoothFeeWaiver).where(
            BoothFeeWaiver.festival_id == application.festival_id,
            BoothFeeWaiver.group_id == application.group_id,
        )
    )


def application_fee(application: BoothApplication) -> int:
    """The booths' prices added up, in đồng; 0 when the fee is waived for the application or
    for its participant group."""
    if application.fee_waived or fee_waiver(application) is not None:
        return 0
    return sum(b.price_vnd for b in application.booths)


# --------------------------------------------------------------------------- the organizers


def _contact(application: BoothApplication) -> tuple[str | None, str | None, str]:
    """(email, phone, locale) of the exhibitor's contact: the profile's contact details, else
    the person who applied; their language is the applicant's."""
    from eventday.accounts.models import User

    applicant = db.session.get(User, application.applicant_id) if application.applicant_id else None
    exhibitor = application.exhibitor
    email = exhibitor.contact_email or (applicant.email if applicant else None)
    phone = exhibitor.contact_phone or None
    locale = getattr(applicant, "locale", None) or "vi"
    return email, phone, locale if locale in ("vi", "en") else "vi"


def _reactivate(application: BoothApplication, now: dt.datetime) -> None:
    """A waitlisted application gets its booths back, if they are still free."""
    booth_ids = [b.booth_id for b in application.bookings]
    booths = lock_booths(booth_ids)
    blocked = [b for b in booths if b.blocked]
    if blocked:
        raise BoothError("blocked", blocked)
    release_stale_holds(booth_ids, now)
    taken = taken_booth_ids(booth_ids)
    if taken:
        raise BoothError("taken", [b for b in booths if b.id in taken])

    def activate():
        for booking in application.bookings:
            booking.active = True

    _write_bookings(booths, activate)


def _payment_deadline(festival: Festival) -> dt.datetime | None:
    """Booth fees may be paid until the festival's last day ends (then in cash at the
    venue if need be): the fee order does not run out like a ticket hold."""
    if not festival.days:
        return None
    last = festival.days[-1]
    return dt.datetime.combine(last.day, last.ends_at, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _new_order_code() -> str:
    from ticketing import codes
    from ticketing.models import Order

    for _attempt in range(20):
        code = codes.order_code()
        if db.session.scalar(sa.select(Order.id).where(Order.code == code)) is None:
            return code
    raise RuntimeError("could not find a free order code")


def create_fee_order(application: BoothApplication, fee: int):
    """A ticketing order for the booth fee: one 'booth' line per booth, pending, paid by
    VietQR transfer (organizers can also mark it paid in cash); the exhibitor's contact is
    the buyer."""
    from ticketing.models import Order, OrderLine

    email, phone, locale = _contact(application)
    order = Order(
        festival_id=application.festival_id,
        code=_new_order_code(),
        state="pending",
        payment_method="vietqr",
        total_vnd=fee,
        buyer_name=application.exhibitor.display_name[:200],
        buyer_email=email,
        buyer_phone=phone,
        locale=locale,
        user_id=application.applicant_id,
        source="booth",
        expires_at=_payment_deadline(application.festival),
    )
    for booth in application.booths:
        order.lines.append(
            OrderLine(
                kind="booth",
                description=f"Gian hàng {booth.code}",
                quantity=1,
                unit_price_vnd=booth.price_vnd,
            )
        )
    db.session.add(order)
    db.session.flush()
    return order


def staff_pass_type(festival: Festival):
    """The festival's hidden ticket type for exhibitor staff passes, made on first use."""
    from ticketing.models import TicketType

    def find():
        return db.session.scalar(
            sa.select(TicketType).where(
                TicketType.festival_id == festival.id, TicketType.name_vi == STAFF_PASS_NAME_VI
            )
        )

    ticket_type = find()
    if ticket_type is None:
        ticket_type = TicketType(
            festival_id=festival.id,
            name_vi=STAFF_PASS_NAME_VI,
            name_en=STAFF_PASS_NAME_EN,
            price_vnd=0,
            quota=STAFF_PASS_QUOTA,
            max_per_order=100,
            is_hidden=True,
            position=1000,
        )
        try:
            with db.session.begin_nested():
                db.session.add(ticket_type)
                db.session.flush()
        except sa.exc.IntegrityError:
            ticket_type = find()
    return ticket_type


def issue_staff_passes(application: BoothApplication):
    """``booth.staff_passes`` free, valid tickets per booth in one order, made by ticketing
    (so they carry signed QR codes and ticketing mails them). Returns the order or None."""
    from ticketing import operations as ticket_ops

    count = sum(b.staff_passes for b in application.booths)
    if count == 0:
        return None
    festival = application.festival
    ticket_type = staff_pass_type(festival)
    ticket_ops.lock_ticket_type(ticket_type)
    needed = ticket_ops.held_count(ticket_type) + count
    if ticket_type.quota < needed:
        ticket_type.quota = needed
    if ticket_type.max_per_order < count:
        ticket_type.max_per_order = count
    email, phone, locale = _contact(application)
    name = application.exhibitor.display_name
    attendees = [
        ticket_ops.AttendeeData(
            full_name=f"{name} · {booth.code} · {n + 1}"[:200],
            email=email,
            phone=phone,
            participant_group_id=application.group_id,
            home_area_id=application.exhibitor.home_area_id,
            locale=locale,
        )
        for booth in application.booths
        for n in range(booth.staff_passes)
    ]
    return ticket_ops.place_order(
        ticket_ops.OrderRequest(
            festival=festival,
            ticket_type=ticket_type,
            attendees=attendees,
            payment_method="free",
            locale=locale,
            buyer_name=name,
            buyer_email=email,
            buyer_phone=phone,
            source="booth",
            user_id=application.applicant_id,
            staff_sale=True,
        )
    )


def approve(application: BoothApplication, user, *, now: dt.datetime | None = None) -> None:
    """pending/waitlisted → approved: the booths are booked, the fee is set (an order to pay
    when there is one), the staff passes are issued and the exhibitor is mailed."""
    now = now or utcnow()
    lock_application(application)
    if application.state not in ("pending", "waitlisted"):
        raise BoothError("bad_state")
    if application.festival.state != "published":
        raise BoothError("festival_closed")
    if application.state == "waitlisted":
        _reactivate(application, now)
    if fee_waiver(application) is not None:
        application.fee_waived = True
    fee = application_fee(application)
    application.fee_vnd = fee
    if fee > 0 and application.order_id is None:
        application.order = create_fee_order(application, fee)
    passes = issue_staff_passes(application)
    if passes is not None:
        application.passes_order_id = passes.id
    application.state = "approved"
    application.decided_at = now
    application.decided_by_id = getattr(user, "id", None)
    db.session.flush()
    _mail(application, "booths_approved")


def reject(application: BoothApplication, user, reason: str) -> None:
    """pending/waitlisted → rejected, with the reason the exhibitor reads; booths freed."""
    reason = (reason or "").strip()
    if not reason:
        raise BoothError("reason_required")
    lock_application(application)
    if application.state not in ("pending", "waitlisted"):
        raise BoothError("bad_state")
    application.state = "rejected"
    application.reject_reason = reason
    application.decided_at = utcnow()
    application.decided_by_id = getattr(user, "id", None)
    _deactivate(application)
    db.session.flush()
    _mail(application, "booths_rejected")


def waitlist(application: BoothApplication, user) -> None:
    """pending → waitlisted: not now; the booths go free (approval later takes them back if
    they are still free)."""
    lock_application(application)
    if application.state != "pending":
        raise BoothError("bad_state")
    application.state = "waitlisted"
    application.decided_at = utcnow()
    application.decided_by_id = getattr(user, "id", None)
    _deactivate(application)
    db.session.flush()
    _mail(application, "booths_waitlisted")


# --------------------------------------------------------------------------- mail


def application_url(application: BoothApplication) -> str:
    from eventday.util import external_url

    return external_url(
        "booths.application", slug=application.festival.slug, application_id=application.id
    )


def _mail(application: BoothApplication, template: str) -> None:
    from eventday.mail import queue_mail

    email, _phone, locale = _contact(application)
    if not email:
        return
    context = {
        "application": application,
        "festival": application.festival,
        "exhibitor": application.exhibitor,
        "booths": application.booths,
        "link": application_url(application),
        "order_link": None,
        "passes_link": None,
        "checkout": {},
    }
    attachments = []
    if template == "booths_approved":
        from ticketing.models import Order
        from ticketing.util import order_url

        if application.order is not None:
            from ticketing.payments import provider_for

            context["order_link"] = order_url(application.order)
            context["checkout"] = provider_for("vietqr").checkout_context(application.order)
            if context["checkout"].get("vietqr_payload"):
                attachments.append({"kind": "vietqr", "order_id": application.order.id})
        if application.passes_order_id:
            context["passes_link"] = order_url(db.session.get(Order, application.passes_order_id))
    queue_mail(email, template, locale, attachments=attachments, **context)
