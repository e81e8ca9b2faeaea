"""Organizer pages for ticketing: ticket types, payment settings, invitation codes, orders."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalDay, ParticipantGroup
from eventday.i18n import LOCAL_TZ, localized
from eventday.permissions import festival_role_required, organizer_required
from ticketing import operations as ops
from ticketing.forms import (
    InvitationCodeForm,
    OrderSearchForm,
    PaymentSettingsForm,
    TicketTypeForm,
    choices,
)
from ticketing.models import (
    ORDER_STATES,
    PAYMENT_METHODS,
    InvitationCode,
    Order,
    TicketType,
)
from ticketing.util import ORDER_STATE_LABELS, PAYMENT_METHOD_LABELS, order_token
from ticketing.views import bp


def _to_utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC) if value else None


def _to_local_naive(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


def _type_form(festival: Festival, obj: TicketType | None = None) -> TicketTypeForm:
    form = TicketTypeForm(obj=obj)
    form.days.choices = choices((d.id, d.day.strftime("%d/%m/%Y")) for d in festival.days)
    form.groups.choices = choices((g.id, localized(g, "name")) for g in festival.groups)
    if request.method == "GET" and obj is not None:
        form.days.data = [d.id for d in obj.days]
        form.groups.data = [g.id for g in obj.groups]
        form.sale_starts_at.data = _to_local_naive(obj.sale_starts_at)
        form.sale_ends_at.data = _to_local_naive(obj.sale_ends_at)
    return form


def _apply_type_form(form: TicketTypeForm, festival: Festival, ticket_type: TicketType) -> bool:
    starts, ends = _to_utc(form.sale_starts_at.data), _to_utc(form.sale_ends_at.data)
    if starts and ends and ends <= starts:
        form.sale_ends_at.errors = [_("Sales must close after they open.")]
        return False
    ticket_type.name_vi = " ".join(form.name_vi.data.split())
    ticket_type.name_en = (form.name_en.data or "").strip() or None
    ticket_type.price_vnd = form.price_vnd.data or 0
    ticket_type.quota = form.quota.data or 0
    ticket_type.max_per_order = form.max_per_order.data or 1
    ticket_type.is_hidden = form.is_hidden.data
    ticket_type.requires_approval = form.requires_approval.data
    ticket_type.description_vi = form.description_vi.data or ""
    ticket_type.description_en = form.description_en.data or ""
    ticket_type.sale_starts_at, ticket_type.sale_ends_at = starts, ends
    ticket_type.days = list(
        db.session.scalars(
            sa.select(FestivalDay).where(
                FestivalDay.festival_id == festival.id, FestivalDay.id.in_(form.days.data or [])
            )
        )
    )
    ticket_type.groups = list(
        db.session.scalars(
            sa.select(ParticipantGroup).where(
                ParticipantGroup.festival_id == festival.id,
                ParticipantGroup.id.in_(form.groups.data or []),
            )
        )
    )
    if ticket_type.id is not None and ticket_type.quota < ops.held_count(ticket_type):
        form.quota.errors = [_("More places are already taken than this.")]
        return False
    return True


@bp.route("/f/<slug>/manage/tickets", methods=["GET", "POST"])
@organizer_required
def manage_ticket_types(festival: Festival):
    form = _type_form(festival)
    if form.validate_on_submit():
        ticket_type = TicketType(festival_id=festival.id)
        if _apply_type_form(form, festival, ticket_type):
            db.session.add(ticket_type)
            try:
                with db.session.begin_nested():
                    db.session.flush()
            except sa.exc.IntegrityError:
                db.session.rollback()
                form.name_vi.errors = [_("A ticket type with this name exists already.")]
            else:
                db.session.commit()
                flash(_("Ticket type created."), "success")
                return redirect(url_for("ticketing.manage_ticket_types", slug=festival.slug))
        else:
            db.session.rollback()
    types = db.session.scalars(
        sa.select(TicketType)
        .where(TicketType.festival_id == festival.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    return render_template(
        "ticketing/manage_types.html",
        festival=festival,
        form=form,
        types=[(t, ops.held_count(t)) for t in types],
    )


@bp.route("/f/<slug>/manage/tickets/<int:type_id>", methods=["GET", "POST"])
@organizer_required
def edit_ticket_type(festival: Festival, type_id: int):
    ticket_type = db.session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.festival_id != festival.id:
        abort(404)
    form = _type_form(festival, ticket_type)
    if form.validate_on_submit():
        if _apply_type_form(form, festival, ticket_type):
            try:
                with db.session.begin_nested():
                    db.session.flush()
            except sa.exc.IntegrityError:
                db.session.rollback()
                form.name_vi.errors = [_("A ticket type with this name exists already.")]
            else:
                db.session.commit()
                ops.offer_freed_places(ticket_type)  # more places may help the waiting list
                db.session.commit()
                flash(_("Ticket type saved."), "success")
                return redirect(url_for("ticketing.manage_ticket_types", slug=festival.slug))
        else:
            db.session.rollback()
            ticket_type = db.session.get(TicketType, type_id)
    return render_template(
        "ticketing/edit_type.html", festival=festival, form=form, ticket_type=ticket_type
    )


@bp.route("/f/<slug>/manage/payments", methods=["GET", "POST"])
@organizer_required
def payment_settings(festival: Festival):
    from ticketing.vietqr import BANKS

    settings = ops.payment_settings(festival)
    db.session.commit()
    form = PaymentSettingsForm(obj=settings)
    form.bank_bin.choices = choices(
        [("", _("— no bank transfer —"))] + [(b, f"{n} ({b})") for b, n in BANKS.items()]
    )
    if form.validate_on_submit():
        if bool(form.bank_bin.data) != bool(form.account_number.data):
            form.account_number.errors = [
                _("Give both the bank and the account number, or neither.")
            ]
        else:
            form.populate_obj(settings)
            settings.bank_bin = form.bank_bin.data or None
            settings.account_number = form.account_number.data or None
            db.session.commit()
            flash(_("Payment settings saved."), "success")
            return redirect(url_for("ticketing.payment_settings", slug=festival.slug))
    return render_template(
        "ticketing/payment_settings.html",
        festival=festival,
        form=form,
        stripe_configured=ops.stripe_configured(),
    )


@bp.route("/f/<slug>/manage/invitations", methods=["GET", "POST"])
@organizer_required
def invitation_codes(festival: Festival):
    form = InvitationCodeForm()
    types = db.session.scalars(
        sa.select(TicketType).where(TicketType.festival_id == festival.id)
    ).all()
    form.ticket_type_id.choices = choices((t.id, localized(t, "name")) for t in types)
    if form.validate_on_submit():
        from ticketing.codes import normalize_code

        invitation = InvitationCode(
            festival_id=festival.id,
            code=normalize_code(form.code.data),
            ticket_type_id=form.ticket_type_id.data,
            price_vnd=form.price_vnd.data,
            max_uses=form.max_uses.data,
            note=form.note.data or "",
        )
        db.session.add(invitation)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except sa.exc.IntegrityError:
            db.session.rollback()
            form.code.errors = [_("This code exists already.")]
        else:
            db.session.commit()
            flash(_("Invitation code created."), "success")
            return redirect(url_for("ticketing.invitation_codes", slug=festival.slug))
    codes = db.session.scalars(
        sa.select(InvitationCode)
        .where(InvitationCode.festival_id == festival.id)
        .order_by(InvitationCode.id)
    ).all()
    return render_template(
        "ticketing/invitation_codes.html", festival=festival, form=form, codes=codes
    )


@bp.get("/f/<slug>/manage/orders")
@festival_role_required("organizer", "staff")
def list_orders(festival: Festival):
    ops.release_expired(festival)
    db.session.commit()
    form = OrderSearchForm(request.args)
    form.state.choices = choices(
        [("", _("All states"))] + [(s, ORDER_STATE_LABELS[s]) for s in ORDER_STATES]
    )
    form.method.choices = choices(
        [("", _("All payments"))] + [(m, PAYMENT_METHOD_LABELS[m]) for m in PAYMENT_METHODS]
    )
    types = db.session.scalars(
        sa.select(TicketType).where(TicketType.festival_id == festival.id)
    ).all()
    form.ticket_type.choices = choices(
        [("", _("All tickets"))] + [(str(t.id), localized(t, "name")) for t in types]
    )
    page = (
        max(1, int(request.args.get("page", "1"))) if request.args.get("page", "1").isdigit() else 1
    )
    orders = db.session.scalars(
        ops.search_orders(
            festival,
            form.q.data or "",
            state=form.state.data if form.state.data in ORDER_STATES else None,
            method=form.method.data if form.method.data in PAYMENT_METHODS else None,
            ticket_type_id=int(form.ticket_type.data)
            if (form.ticket_type.data or "").isdigit()
            else None,
        )
        .options(selectinload(Order.tickets))
        .offset((page - 1) * 50)
        .limit(50)
    ).all()
    return render_template(
        "ticketing/orders.html", festival=festival, form=form, orders=orders, page=page
    )


def _festival_order(festival: Festival, code: str) -> Order:
    order = db.session.scalar(
        sa.select(Order).where(Order.festival_id == festival.id, Order.code == code)
    )
    if order is None:
        abort(404)
    return order


@bp.route("/f/<slug>/manage/orders/<code>", methods=["GET", "POST"])
@festival_role_required("organizer", "staff")
def order_detail(festival: Festival, code: str):
    from eventday.permissions import has_festival_role

    order = _festival_order(festival, code)
    is_organizer = has_festival_role(current_user, festival, "organizer")
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        action = request.form.get("action", "")
        # Gate staff may only take cash; everything else is the organizers'.
        if not is_organizer and action != "cash":
            abort(403)
        try:
            if action == "mark_paid":
                ops.mark_paid(
                    order,
                    provider=order.payment_method if order.payment_method != "free" else "vietqr",
                    user_id=current_user.id,
                    note="manual",
                )
                message = _("Order marked paid; the tickets were sent.")
            elif action == "cash":
                ops.mark_paid(order, provider="cash", user_id=current_user.id, note="gate")
                message = _("Cash received; the tickets are valid.")
            elif action == "approve":
                ops.approve_order(order)
                message = _("Order approved.")
            elif action == "cancel":
                ops.cancel_order(order, by_organizer=True)
                message = _("Order cancelled.")
            elif action == "refund":
                ops.refund_order(order, user_id=current_user.id)
                message = _("Order refunded; the tickets are revoked.")
            elif action == "resend":
                from ticketing.notifications import order_mail

                template = (
                    "ticketing/order_confirmed"
                    if order.state == "paid"
                    else "ticketing/payment_instructions"
                )
                order_mail(order, template, attach_tickets=order.state == "paid")
                message = _("The mail was sent again.")
            else:
                abort(400)
        except ops.TicketingError:
            db.session.rollback()
            flash(_("This is not possible for an order in this state."), "danger")
        else:
            db.session.commit()
            flash(message, "success")
        return redirect(url_for("ticketing.order_detail", slug=festival.slug, code=order.code))
    return render_template(
        "ticketing/order_detail.html",
        festival=festival,
        order=order,
        is_organizer=is_organizer,
        action_form=EmptyForm(),
        # The attendee's private link can cancel and rename: organizers only.
        private_link=url_for("ticketing.show_order", token=order_token(order))
        if is_organizer
        else None,
    )
