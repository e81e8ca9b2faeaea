"""Private links, labels and small helpers for ticketing."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from eventday.accounts.util import TokenError, make_token, read_token
from eventday.extensions import db
from eventday.util import external_url
from ticketing.models import Order, WaitingListEntry

ORDER_LINK_MAX_AGE = 60 * 60 * 24 * 400  # a private order link works for more than a year

ORDER_STATE_LABELS = {
    "awaiting_approval": _l("Awaiting approval"),
    "pending": _l("Waiting for payment"),
    "paid": _l("Confirmed"),
    "cancelled": _l("Cancelled"),
    "refunded": _l("Refunded"),
    "expired": _l("Expired (not paid in time)"),
}
TICKET_STATE_LABELS = {
    "reserved": _l("Reserved"),
    "valid": _l("Valid"),
    "cancelled": _l("Cancelled"),
    "refunded": _l("Refunded"),
    "released": _l("Released"),
}
PAYMENT_STATE_LABELS = {
    "pending": _l("started"),
    "succeeded": _l("received"),
    "failed": _l("failed"),
    "refunded": _l("refunded"),
}
# Notes are stored as codes and shown in the reader's language.
NOTE_LABELS = {
    "manual": _l("marked paid by hand"),
    "gate": _l("cash at the gate"),
    "statement": _l("bank statement"),
    "demo": _l("demo data"),
    "paid_after_expiry_sold_out": _l(
        "Paid after the hold expired, but sold out meanwhile: refund."
    ),
    "late_refund": _l("Paid after the order was cancelled: refunded automatically."),
}


def note_label(note: str | None) -> str:
    return "\n".join(str(NOTE_LABELS.get(line, line)) for line in (note or "").splitlines())


PAYMENT_METHOD_LABELS = {
    "free": _l("Free"),
    "vietqr": _l("Bank transfer (VietQR)"),
    "stripe": _l("Card"),
    "cash": _l("Cash at the venue"),
}


def order_token(order: Order) -> str:
    return make_token("order", {"id": order.id, "c": order.code})


def order_from_token(token: str) -> Order | None:
    try:
        data = read_token("order", token, ORDER_LINK_MAX_AGE)
    except TokenError:
        return None
    order = db.session.get(Order, data.get("id"))
    if order is None or order.code != data.get("c"):
        return None
    return order


def order_url(order: Order) -> str:
    return external_url("ticketing.show_order", token=order_token(order))


def waiting_token(entry: WaitingListEntry) -> str:
    return make_token("waiting", {"id": entry.id})


def waiting_from_token(token: str) -> WaitingListEntry | None:
    try:
        data = read_token("waiting", token, 60 * 60 * 24 * 60)
    except TokenError:
        return None
    return db.session.get(WaitingListEntry, data.get("id"))


def local_day_bounds(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    tz = dt.timezone(dt.timedelta(hours=7))
    return (
        dt.datetime.combine(day, start, tzinfo=tz).astimezone(dt.UTC),
        dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC),
    )
