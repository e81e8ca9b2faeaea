"""Ticketing pages for attendees: ticket list, registration, private order pages, tickets,
waiting list. Organizer pages live in ``ticketing.organizer_views`` on the same blueprint."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from eventday.accounts.forms import EmptyForm
from eventday.areas.models import Area
from eventday.demo import DEMO_HOOKS
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.festivals.util import register_public_action, register_section
from eventday.permissions import public
from ticketing import operations as ops
from ticketing.forms import RegistrationForm, RenameForm, WaitingListForm, choices
from ticketing.models import Ticket, TicketType
from ticketing.util import (
    ORDER_STATE_LABELS,
    PAYMENT_METHOD_LABELS,
    PAYMENT_STATE_LABELS,
    TICKET_STATE_LABELS,
    note_label,
    order_from_token,
    order_token,
    waiting_from_token,
)

bp = Blueprint("ticketing", __name__, cli_group="tickets")


@bp.app_context_processor
def _labels():
    return {
        "ORDER_STATE_LABELS": ORDER_STATE_LABELS,
        "PAYMENT_METHOD_LABELS": PAYMENT_METHOD_LABELS,
        "TICKET_STATE_LABELS": TICKET_STATE_LABELS,
        "PAYMENT_STATE_LABELS": PAYMENT_STATE_LABELS,
        "note_label": note_label,
    }


def _festival(slug: str) -> Festival:
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None or not festival.is_public:
        abort(404)
    return festival


def _types(festival: Festival, unlocked_type_id: int | None = None) -> list[TicketType]:
    types = db.session.scalars(
        sa.select(TicketType)
        .where(TicketType.festival_id == festival.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    return [t for t in types if not t.is_hidden or t.id == unlocked_type_id]


def sale_error_message(exc: ops.TicketingError) -> str:
    """The translated message for a domain error met while registering."""
    if isinstance(exc, ops.SoldOut):
        if exc.available == 0:
            return _("Sold out: no places are left for this ticket. Join the waiting list.")
        return _("Only %(n)s places are left for this ticket.", n=exc.available)
    if isinstance(exc, ops.SaleClosed):
        return {
            "festival_closed": _("Registration for this festival is closed."),
            "not_started": _("Sales for this ticket have not started yet."),
            "ended": _("Sales for this ticket have ended."),
            "hidden": _("This ticket needs an invitation code."),
        }[exc.reason]
    if isinstance(exc, ops.TooManyTickets):
        return _("At most %(n)s tickets per order.", n=exc.limit)
    if isinstance(exc, ops.GroupNotAllowed):
        return _("This ticket is only for some participant groups; check each attendee's group.")
    if isinstance(exc, ops.InvalidInvitation):
        return {
            "unknown": _("This invitation code is not valid."),
            "used_up": _("This invitation code has been used up."),
            "expired": _("This invitation code has expired."),
            "other_type": _("This invitation code is for another ticket."),
        }[exc.reason]
    if isinstance(exc, ops.PaymentUnavailable):
        return _("Choose one of the payment methods offered.")
    if isinstance(exc, ops.OfferNotAvailable):
        return _("This waiting-list offer has expired or was already used.")
    return _("This is not possible now.")


@bp.get("/f/<slug>/tickets")
@public
def list_tickets(slug: str):
    festival = _festival(slug)
    ops.release_expired(festival)
    db.session.commit()
    code = request.args.get("code", "").strip()
    invitation = None
    if code:
        try:
            invitation = ops.resolve_invitation(festival, code)
        except ops.InvalidInvitation as exc:
            flash(sale_error_message(exc), "danger")
    types = _types(festival, invitation.ticket_type_id if invitation else None)
    return render_template(
        "ticketing/tickets.html",
        festival=festival,
        types=[(t, ops.available(t)) for t in types],
        invitation=invitation,
        code=code if invitation else "",
    )


def _attendee_choices(festival: Festival, ticket_type: TicketType):
    groups = ticket_type.groups or festival.groups
    from eventday.i18n import localized

    return choices([("", _("— choose —"))] + [(str(g.id), localized(g, "name")) for g in groups])


def _area_id(raw: str | None) -> int | None:
    if raw and raw.isdigit() and db.session.get(Area, int(raw)) is not None:
        return int(raw)
    return None


@bp.route("/f/<slug>/register/<int:type_id>", methods=["GET", "POST"])
@public
def register(slug: str, type_id: int):
    festival = _festival(slug)
    ticket_type = db.session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.festival_id != festival.id:
        abort(404)
    count = request.args.get("n", "1")
    count = max(1, min(int(count) if count.isdigit() else 1, ticket_type.max_per_order))
    form = RegistrationForm()
    if request.method == "GET":
        form.invitation_code.data = request.args.get("code", "")
        form.offer.data = request.args.get("offer", "")
        form.locale.data = session.get("lang", "vi")
        while len(form.attendees) < count:
            form.attendees.append_entry()
        if current_user.is_authenticated:
            first = form.attendees[0]
            first.full_name.data = current_user.full_name
            first.email.data = current_user.email
            if current_user.phone:
                from eventday.i18n import format_phone

                first.phone.data = format_phone(current_user.phone)
    group_choices = _attendee_choices(festival, ticket_type)
    for entry in form.attendees:
        entry.participant_group.choices = group_choices
    methods = ops.payment_methods(festival)
    form.payment_method.choices = choices((m, PAYMENT_METHOD_LABELS[m]) for m in methods)
    if request.method == "GET" and methods:
        form.payment_method.data = methods[0]
    waiting_entry = None
    if form.offer.data:
        waiting_entry = waiting_from_token(form.offer.data)
        if (
            waiting_entry is None
            or waiting_entry.state != "offered"
            or waiting_entry.ticket_type_id != ticket_type.id
        ):
            waiting_entry = None
            form.offer.data = ""
    if form.validate_on_submit():
        attendees = [
            ops.AttendeeData(
                full_name=entry.full_name.data,
                email=entry.email.data or None,
                phone=getattr(entry.phone, "normalized", None),
                participant_group_id=int(entry.participant_group.data)
                if (entry.participant_group.data or "").isdigit()
                else None,
                home_area_id=_area_id(entry.home_area.data),
                locale=form.locale.data,
                share_with_exhibitors=entry.share_with_exhibitors.data,
            )
            for entry in form.attendees
        ]
        try:
            order = ops.place_order(
                ops.OrderRequest(
                    festival=festival,
                    ticket_type=ticket_type,
                    attendees=attendees,
                    payment_method=form.payment_method.data or "free",
                    locale=form.locale.data,
                    invitation_code=form.invitation_code.data or None,
                    user_id=current_user.id if current_user.is_authenticated else None,
                    waiting_entry=waiting_entry,
                )
            )
        except ops.TicketingError as exc:
            db.session.rollback()
            flash(sale_error_message(exc), "danger")
        else:
            db.session.commit()
            return redirect(url_for("ticketing.show_order", token=order_token(order)))
    return render_template(
        "ticketing/register.html",
        festival=festival,
        ticket_type=ticket_type,
        form=form,
        count=count,
        available=ops.available(ticket_type),
        unit_price=_unit_price(festival, ticket_type, form.invitation_code.data),
    )


def _unit_price(festival, ticket_type, code) -> int:
    try:
        invitation = ops.resolve_invitation(festival, code)
    except ops.InvalidInvitation:
        invitation = None
    if (
        invitation
        and invitation.ticket_type_id == ticket_type.id
        and invitation.price_vnd is not None
    ):
        return invitation.price_vnd
    return ticket_type.price_vnd


def _order_or_404(token: str):
    order = order_from_token(token)
    if order is None:
        abort(404)
    return order


@bp.get("/o/<token>")
@public
def show_order(token: str):
    order = _order_or_404(token)
    if ops.release_expired(order.festival):
        db.session.commit()
    from ticketing.payments import provider_for

    checkout = (
        provider_for(order.payment_method).checkout_context(order)
        if order.state == "pending"
        else {}
    )
    return render_template(
        "ticketing/order.html",
        order=order,
        festival=order.festival,
        token=token,
        checkout=checkout,
        action_form=EmptyForm(),
    )


def _ticket_of(order, ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.order_id != order.id:
        abort(404)
    return ticket


@bp.get("/o/<token>/t/<int:ticket_id>")
@public
def show_ticket(token: str, ticket_id: int):
    order = _order_or_404(token)
    ticket = _ticket_of(order, ticket_id)
    if ticket.state != "valid":
        abort(404)
    from ticketing.qrimage import svg_text
    from ticketing.signing import sign_ticket

    code = sign_ticket(ticket)
    db.session.commit()  # a festival's first ticket creates its signing key
    return render_template(
        "ticketing/ticket.html",
        order=order,
        ticket=ticket,
        festival=order.festival,
        token=token,
        qr_svg=svg_text(code),
        form=RenameForm(full_name=ticket.attendee_name),
    )


@bp.get("/o/<token>/t/<int:ticket_id>.png")
@public
def ticket_png(token: str, ticket_id: int):
    order = _order_or_404(token)
    ticket = _ticket_of(order, ticket_id)
    if ticket.state != "valid":
        abort(404)
    from ticketing.qrimage import png_bytes
    from ticketing.signing import sign_ticket

    png = png_bytes(sign_ticket(ticket), scale=10)
    db.session.commit()
    return send_file(
        io.BytesIO(png),
        mimetype="image/png",
        as_attachment=request.args.get("download") == "1",
        download_name=f"ve-{ticket.short_code}.png",
        max_age=0,
    )


@bp.get("/o/<token>/vietqr.png")
@public
def vietqr_png(token: str):
    order = _order_or_404(token)
    from ticketing.payments import provider_for
    from ticketing.qrimage import png_bytes

    payload = provider_for("vietqr").checkout_context(order).get("vietqr_payload")
    if order.state != "pending" or not payload:
        abort(404)
    return send_file(io.BytesIO(png_bytes(payload, scale=8)), mimetype="image/png", max_age=0)


@bp.post("/o/<token>/cancel")
@public
def cancel_order(token: str):
    order = _order_or_404(token)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.cancel_order(order)
    except ops.OrderNotOpen:
        db.session.rollback()
        flash(_("This order cannot be cancelled here any more. Contact the organizers."), "danger")
    else:
        db.session.commit()
        flash(_("Your order is cancelled and the places are free for others."), "info")
    return redirect(url_for("ticketing.show_order", token=token))


@bp.post("/o/<token>/t/<int:ticket_id>/name")
@public
def rename_attendee(token: str, ticket_id: int):
    order = _order_or_404(token)
    ticket = _ticket_of(order, ticket_id)
    form = RenameForm()
    if not form.validate_on_submit():
        flash(_("Enter the full name."), "danger")
    else:
        try:
            ops.rename_attendee(ticket, form.full_name.data)
        except ops.ChangeDeadlinePassed:
            db.session.rollback()
            flash(_("Names can no longer be changed. Ask the organizers at the gate."), "danger")
        except ops.OrderNotOpen:
            db.session.rollback()
            flash(_("This ticket can no longer be changed."), "danger")
        else:
            db.session.commit()
            flash(_("The name was corrected."), "success")
    return redirect(url_for("ticketing.show_order", token=token))


@bp.route("/f/<slug>/waitlist/<int:type_id>", methods=["GET", "POST"])
@public
def join_waitlist(slug: str, type_id: int):
    festival = _festival(slug)
    ticket_type = db.session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.festival_id != festival.id or ticket_type.is_hidden:
        abort(404)
    form = WaitingListForm()
    if form.validate_on_submit():
        ops.join_waiting_list(
            ticket_type,
            name=form.name.data,
            email=form.email.data,
            phone=getattr(form.phone, "normalized", None),
            locale=form.locale.data,
        )
        db.session.commit()
        flash(
            _("You are on the waiting list. We will write when a place is free for you."), "success"
        )
        return redirect(url_for("ticketing.list_tickets", slug=festival.slug))
    return render_template(
        "ticketing/waitlist.html", festival=festival, ticket_type=ticket_type, form=form
    )


@bp.get("/w/<token>")
@public
def claim_offer(token: str):
    entry = waiting_from_token(token)
    if entry is None:
        abort(404)
    ops.release_expired(entry.ticket_type.festival)
    db.session.commit()
    if entry.state != "offered":
        flash(_("This offer has expired or was already used."), "danger")
        return redirect(url_for("ticketing.list_tickets", slug=entry.ticket_type.festival.slug))
    return redirect(
        url_for(
            "ticketing.register",
            slug=entry.ticket_type.festival.slug,
            type_id=entry.ticket_type_id,
            offer=token,
        )
    )


@register_section("tickets")
def _tickets_section(festival: Festival) -> dict:
    types = db.session.scalar(
        sa.select(sa.func.count(TicketType.id)).where(TicketType.festival_id == festival.id)
    )
    sold = db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(
            Ticket.festival_id == festival.id, Ticket.state == "valid"
        )
    )
    return {
        "set_up": bool(types),
        "url": url_for("ticketing.manage_ticket_types", slug=festival.slug),
        "summary": _("%(types)s ticket types · %(sold)s tickets issued", types=types, sold=sold),
    }


def _demo(festival: Festival, host_areas) -> None:
    from ticketing.demo import load_ticket_demo

    load_ticket_demo(festival, host_areas)


DEMO_HOOKS.append(_demo)


@register_public_action
def _register_button(festival: Festival):
    has_types = db.session.scalar(
        sa.select(TicketType.id).where(TicketType.festival_id == festival.id).limit(1)
    )
    if not has_types:
        return None
    return _("Register to attend"), url_for("ticketing.list_tickets", slug=festival.slug)


from ticketing import (
    api,  # noqa: E402,F401
    cli,  # noqa: E402,F401
    organizer_tools,  # noqa: E402,F401
    organizer_views,  # noqa: E402,F401 - registers the organizer routes on bp
    statement_views,  # noqa: E402,F401
    stripe_payments,  # noqa: E402,F401
)
from ticketing.checkin import api as checkin_api  # noqa: F401
from ticketing.checkin import (  # noqa: F401
    badges,
    demo,
    live,
    scanner_routes,  # noqa: F401
)
from ticketing.checkin import views as checkin_views  # noqa: F401
