"""Organizer tools on the ticketing blueprint: walk-in registration at the gate, attendee
import from XLSX, CSV/XLSX export of the tickets, and the sales view."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from eventday.accounts.forms import LANGUAGE_CHOICES, phone_check
from eventday.areas.models import Area
from eventday.areas.views import area_json
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import format_vnd, localized
from eventday.permissions import festival_role_required, organizer_required
from ticketing import imports, reports
from ticketing import operations as ops
from ticketing.forms import choices
from ticketing.models import Order, TicketType
from ticketing.util import order_token
from ticketing.views import bp, sale_error_message

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --------------------------------------------------------------------------- forms


class WalkInForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), phone_check])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    participant_group = SelectField(_l("Participant group"), choices=[], default="")
    home_area = HiddenField(_l("Home commune"))
    ticket_type = SelectField(_l("Ticket type"), choices=[], coerce=int)
    cash_received = BooleanField(_l("Cash received (paid tickets)"))
    locale = SelectField(_l("Language for messages"), choices=LANGUAGE_CHOICES, default="vi")
    consent = BooleanField(
        _l(
            "The attendee agrees that the organizers process these personal data to run the "
            "festival (Decree 13/2023)."
        ),
        validators=[DataRequired(message=_l("Consent is needed to register."))],
    )

    def validate(self, extra_validators=None):
        # Not an inline validator: Optional() stops the chain of an empty field.
        ok = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            self.phone.errors = [
                *self.phone.errors,
                _l("Give a phone number or an email (at least one)."),
            ]
            return False
        return ok


class AttendeeImportForm(FlaskForm):
    file = FileField(_l("Attendee list (XLSX)"), validators=[FileRequired()])
    locale = SelectField(_l("Language for messages"), choices=LANGUAGE_CHOICES, default="vi")
    consent = BooleanField(
        _l(
            "These people agreed that the organizers process their personal data to run the "
            "festival (Decree 13/2023)."
        ),
        validators=[DataRequired(message=_l("Confirm that the attendees agreed."))],
    )


# --------------------------------------------------------------------------- walk-in


def _walk_in_types(festival: Festival) -> list[TicketType]:
    """Ticket types sold at the gate: not invitation-only, no approval step."""
    return list(
        db.session.scalars(
            sa.select(TicketType)
            .where(
                TicketType.festival_id == festival.id,
                TicketType.is_hidden.is_(False),
                TicketType.requires_approval.is_(False),
            )
            .order_by(TicketType.position, TicketType.id)
        )
    )


def _type_label(ticket_type: TicketType) -> str:
    price = _("Free") if ticket_type.is_free else format_vnd(ticket_type.price_vnd)
    return f"{localized(ticket_type, 'name')} · {price}"


def _area_id(raw: str | None) -> int | None:
    if raw and raw.isdigit() and db.session.get(Area, int(raw)) is not None:
        return int(raw)
    return None


@bp.route("/f/<slug>/manage/walk-in", methods=["GET", "POST"])
@festival_role_required("organizer", "staff")
def walk_in(festival: Festival):
    types = _walk_in_types(festival)
    form = WalkInForm()
    form.ticket_type.choices = choices((t.id, _type_label(t)) for t in types)
    form.participant_group.choices = choices(
        [("", _("— choose —"))] + [(str(g.id), localized(g, "name")) for g in festival.groups]
    )
    if request.method == "GET":
        form.locale.data = "vi"
    if form.validate_on_submit():
        ticket_type = next(t for t in types if t.id == form.ticket_type.data)
        if not ticket_type.is_free and not form.cash_received.data:
            form.cash_received.errors = [_("Take the cash first, then tick this box.")]
        else:
            group = form.participant_group.data or ""
            attendee = ops.AttendeeData(
                full_name=form.full_name.data,
                email=form.email.data or None,
                phone=getattr(form.phone, "normalized", None),
                participant_group_id=int(group) if group.isdigit() else None,
                home_area_id=_area_id(form.home_area.data),
                locale=form.locale.data,
            )
            try:
                order = ops.place_order(
                    ops.OrderRequest(
                        festival=festival,
                        ticket_type=ticket_type,
                        attendees=[attendee],
                        payment_method="cash",
                        locale=form.locale.data,
                        source="gate",
                        staff_sale=True,
                        cash_received_by=current_user.id,
                    )
                )
            except ops.PaymentUnavailable:
                db.session.rollback()
                flash(_("Cash is turned off in the payment settings."), "danger")
            except ops.TicketingError as exc:
                db.session.rollback()
                flash(sale_error_message(exc), "danger")
            else:
                db.session.commit()
                flash(_("Registered: the ticket is valid."), "success")
                return redirect(url_for("ticketing.walk_in", slug=festival.slug, done=order.code))
    done = None
    code = request.args.get("done", "")
    if code and request.method == "GET":
        done = db.session.scalar(
            sa.select(Order).where(Order.festival_id == festival.id, Order.code == code)
        )
        if done is not None and done.tickets:
            form.ticket_type.data = done.tickets[0].ticket_type_id  # the next one is often alike
    area_id = _area_id(form.home_area.data)
    chosen_area = area_json(db.session.get(Area, area_id)) if area_id else None
    return render_template(
        "ticketing/walk_in.html",
        festival=festival,
        form=form,
        chosen_areas=[chosen_area] if chosen_area else [],
        done=done,
        done_token=order_token(done) if done else None,
    )


# --------------------------------------------------------------------------- import


@bp.route("/f/<slug>/manage/import", methods=["GET", "POST"])
@organizer_required
def import_attendees(festival: Festival):
    form = AttendeeImportForm()
    report = None
    file_error = None
    if form.validate_on_submit():
        data = form.file.data.read(imports.MAX_IMPORT_BYTES + 1)
        try:
            report = imports.import_attendees(festival, data, locale=form.locale.data)
        except imports.AttendeeImportError as exc:
            db.session.rollback()
            file_error = str(exc)
        else:
            for row in report.rows:
                for issue in row.issues:
                    if issue.error is not None:
                        issue.message = sale_error_message(issue.error)
            if report.ok:
                db.session.commit()
                flash(
                    _(
                        "%(imported)s attendees imported, %(skipped)s skipped.",
                        imported=report.imported,
                        skipped=report.skipped,
                    ),
                    "success",
                )
            else:
                db.session.rollback()
    return render_template(
        "ticketing/import.html",
        festival=festival,
        form=form,
        report=report,
        file_error=file_error,
        columns=imports.COLUMNS,
        max_rows=imports.MAX_ROWS,
    )


@bp.get("/f/<slug>/manage/import/template.xlsx")
@organizer_required
def import_template(festival: Festival):
    return send_file(
        io.BytesIO(imports.template_xlsx(festival)),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"attendees-{festival.slug}.xlsx",
        max_age=0,
    )


# --------------------------------------------------------------------------- export


@bp.get("/f/<slug>/manage/export.csv")
@organizer_required
def export_tickets_csv(festival: Festival):
    return send_file(
        io.BytesIO(reports.export_csv(festival)),
        mimetype="text/csv; charset=utf-8",
        as_attachment=True,
        download_name=f"tickets-{festival.slug}.csv",
        max_age=0,
    )


@bp.get("/f/<slug>/manage/export.xlsx")
@organizer_required
def export_tickets_xlsx(festival: Festival):
    return send_file(
        io.BytesIO(reports.export_xlsx(festival)),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"tickets-{festival.slug}.xlsx",
        max_age=0,
    )


# --------------------------------------------------------------------------- sales


@bp.get("/f/<slug>/manage/sales")
@organizer_required
def show_sales(festival: Festival):
    if ops.release_expired(festival):
        db.session.commit()
    report = reports.sales_report(festival)
    return render_template("ticketing/sales.html", festival=festival, report=report)
