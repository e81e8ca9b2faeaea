"""Mails to attendees: confirmation with QR tickets and an ICS file, payment instructions,
approval, cancellation, refund, expiry, waiting-list offers — each in the recipient's language."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from eventday.extensions import db
from eventday.mail import queue_mail, register_attachment
from eventday.util import external_url
from ticketing.models import Order, Ticket, WaitingListEntry
from ticketing.util import local_day_bounds, order_url, waiting_token


def order_mail(order: Order, template: str, *, attach_tickets: bool = False) -> None:
    """Mail the buyer (all tickets) and each attendee with another address (their own)."""
    recipients: dict[str, tuple[str, list[Ticket]]] = {}
    if order.buyer_email:
        recipients[order.buyer_email] = (order.locale, list(order.tickets))
    if attach_tickets:
        for ticket in order.tickets:
            if ticket.email and ticket.email not in recipients:
                recipients[ticket.email] = (ticket.locale, [ticket])
    for email, (locale, tickets) in recipients.items():
        attachments = []
        if attach_tickets:
            attachments = [
                {"kind": "ticket_qr", "ticket_id": t.id} for t in tickets if t.state == "valid"
            ]
            attachments.append({"kind": "festival_ics", "festival_id": order.festival_id})
        context = {
            "order": order,
            "festival": order.festival,
            "tickets": tickets,
            "link": order_url(order),
        }
        if template == "ticketing/payment_instructions":
            from ticketing.payments import provider_for

            context["checkout"] = provider_for(order.payment_method).checkout_context(order)
            if context["checkout"].get("vietqr_payload"):
                attachments.append({"kind": "vietqr", "order_id": order.id})
        queue_mail(email, template, locale, attachments=attachments, **context)


def waiting_offer_mail(entry: WaitingListEntry) -> None:
    if not entry.email:
        return
    queue_mail(
        entry.email,
        "ticketing/waiting_offer",
        entry.locale,
        entry=entry,
        festival=entry.ticket_type.festival,
        link=external_url("ticketing.claim_offer", token=waiting_token(entry)),
    )


def qr_content_id(ticket_id: int) -> str:
    return f"ticket-{ticket_id}@eventday"


@register_attachment("ticket_qr")
def _ticket_qr(spec: dict):
    from ticketing.qrimage import png_bytes
    from ticketing.signing import sign_ticket

    ticket = db.session.get(Ticket, spec["ticket_id"])
    png = png_bytes(sign_ticket(ticket), scale=8)
    return f"ve-{ticket.short_code}.png", "image/png", png, qr_content_id(ticket.id)


@register_attachment("vietqr")
def _vietqr(spec: dict):
    from ticketing.payments import provider_for
    from ticketing.qrimage import png_bytes

    order = db.session.get(Order, spec["order_id"])
    payload = provider_for("vietqr").checkout_context(order).get("vietqr_payload", "")
    return (
        f"vietqr-{order.code}.png",
        "image/png",
        png_bytes(payload, scale=8),
        f"vietqr-{order.id}@eventday",
    )


@register_attachment("festival_ics")
def _festival_ics(spec: dict):
    from eventday.festivals.models import Festival

    festival = db.session.get(Festival, spec["festival_id"])
    return f"{festival.slug}.ics", "text/calendar", festival_ics(festival), None


def festival_ics(festival) -> bytes:
    """One event per festival day, stable UIDs so calendar apps update rather than duplicate."""
    cal = Calendar()
    cal.add("prodid", "-//EventDay//ngay hoi//VI")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    base = external_url("festivals.show", slug=festival.slug)
    for day in festival.days:
        start, end = local_day_bounds(day.day, day.starts_at, day.ends_at)
        event = Event()
        event.add("uid", f"festival-{festival.id}-day-{day.day.isoformat()}@eventday")
        event.add("dtstamp", dt.datetime.now(dt.UTC))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", festival.name_vi)
        event.add(
            "location", ", ".join(x for x in (festival.venue_name, festival.venue_address) if x)
        )
        event.add("url", base)
        cal.add_component(event)
    return cal.to_ical()


def reminder_mail(email: str, festival, tickets: list[Ticket]) -> None:
    order = tickets[0].order
    queue_mail(
        email,
        "ticketing/reminder",
        tickets[0].locale,
        attachments=[{"kind": "ticket_qr", "ticket_id": t.id} for t in tickets],
        festival=festival,
        tickets=tickets,
        order=order,
        link=order_url(order),
    )
