"""Check-in pages: organizers set up gates, lists and devices; phones pair; staff scan."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.forms import MultiCheckboxField
from eventday.festivals.models import Festival, FestivalDay
from eventday.festivals.util import register_section
from eventday.i18n import localized
from eventday.permissions import festival_role_required, organizer_required, public
from ticketing.checkin import operations as ops
from ticketing.checkin.models import CheckinList, Gate, ScannerDevice
from ticketing.forms import choices
from ticketing.models import TicketType
from ticketing.views import bp


class GateForm(FlaskForm):
    name = StringField(_l("Gate name"), validators=[DataRequired(), Length(max=120)])


class ListForm(FlaskForm):
    name = StringField(_l("List name"), validators=[DataRequired(), Length(max=120)])
    ticket_types = MultiCheckboxField(_l("Ticket types (none = all)"), coerce=int, choices=[])
    days = MultiCheckboxField(_l("Days (none = all)"), coerce=int, choices=[])
    allow_reentry = BooleanField(_l("Allow re-entry"))
    track_exits = BooleanField(_l("Scan exits too"))


class DeviceForm(FlaskForm):
    name = StringField(_l("Device name"), validators=[DataRequired(), Length(max=120)])
    list_id = SelectField(_l("Check-in list"), coerce=int, choices=[])
    gate_id = SelectField(_l("Gate"), coerce=int, choices=[], validators=[Optional()])


class PairForm(FlaskForm):
    code = StringField(_l("Pairing code"), validators=[DataRequired(), Length(min=6, max=20)])


def _lists(festival: Festival) -> list[CheckinList]:
    return list(
        db.session.scalars(
            sa.select(CheckinList)
            .where(CheckinList.festival_id == festival.id)
            .order_by(CheckinList.id)
        )
    )


def _gates(festival: Festival) -> list[Gate]:
    return list(
        db.session.scalars(
            sa.select(Gate).where(Gate.festival_id == festival.id).order_by(Gate.position, Gate.id)
        )
    )


def _save(obj, field) -> bool:
    db.session.add(obj)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        field.errors = [_("This name is already used.")]
        return False
    db.session.commit()
    return True


@bp.route("/f/<slug>/manage/checkin", methods=["GET", "POST"])
@organizer_required
def manage_checkin(festival: Festival):
    gate_form = GateForm(prefix="gate")
    list_form = ListForm(prefix="list")
    device_form = DeviceForm(prefix="device")
    types = db.session.scalars(
        sa.select(TicketType).where(TicketType.festival_id == festival.id)
    ).all()
    list_form.ticket_types.choices = choices((t.id, localized(t, "name")) for t in types)
    list_form.days.choices = choices((d.id, d.day.strftime("%d/%m/%Y")) for d in festival.days)
    lists, gates = _lists(festival), _gates(festival)
    device_form.list_id.choices = choices((c.id, c.name) for c in lists)
    device_form.gate_id.choices = choices([(0, _("— no gate —"))] + [(g.id, g.name) for g in gates])
    pairing = None
    if request.method == "POST":
        if "gate-name" in request.form and gate_form.validate_on_submit():
            if _save(
                Gate(festival_id=festival.id, name=gate_form.name.data.strip()), gate_form.name
            ):
                flash(_("Gate added."), "success")
                return redirect(url_for("ticketing.manage_checkin", slug=festival.slug))
        elif "list-name" in request.form and list_form.validate_on_submit():
            checkin_list = CheckinList(
                festival_id=festival.id,
                name=list_form.name.data.strip(),
                allow_reentry=list_form.allow_reentry.data,
                track_exits=list_form.track_exits.data,
            )
            checkin_list.ticket_types = [
                t for t in types if t.id in (list_form.ticket_types.data or [])
            ]
            checkin_list.days = list(
                db.session.scalars(
                    sa.select(FestivalDay).where(
                        FestivalDay.festival_id == festival.id,
                        FestivalDay.id.in_(list_form.days.data or []),
                    )
                )
            )
            if _save(checkin_list, list_form.name):
                flash(_("Check-in list added."), "success")
                return redirect(url_for("ticketing.manage_checkin", slug=festival.slug))
        elif "device-name" in request.form and device_form.validate_on_submit():
            checkin_list = db.session.get(CheckinList, device_form.list_id.data)
            gate = (
                db.session.get(Gate, device_form.gate_id.data) if device_form.gate_id.data else None
            )
            if (
                checkin_list is None
                or checkin_list.festival_id != festival.id
                or (gate is not None and gate.festival_id != festival.id)
            ):
                abort(400)
            device, code = ops.create_device(festival, checkin_list, device_form.name.data, gate)
            db.session.commit()
            pairing = {
                "device": device,
                "code": code,
                "url": url_for("ticketing.pair_scanner", code=code, _external=True),
            }
    devices = db.session.scalars(
        sa.select(ScannerDevice)
        .where(ScannerDevice.festival_id == festival.id)
        .order_by(ScannerDevice.id)
    ).all()
    qr_svg = None
    if pairing:
        from ticketing.qrimage import svg_text

        qr_svg = svg_text(pairing["url"])
    return render_template(
        "ticketing/checkin_manage.html",
        festival=festival,
        gate_form=gate_form,
        list_form=list_form,
        device_form=device_form,
        lists=lists,
        gates=gates,
        devices=devices,
        pairing=pairing,
        pairing_qr=qr_svg,
        action_form=EmptyForm(),
        duplicates=ops.duplicates_after_sync(festival),
    )


@bp.post("/f/<slug>/manage/checkin/devices/<int:device_id>/revoke")
@organizer_required
def revoke_device(festival: Festival, device_id: int):
    device = db.session.get(ScannerDevice, device_id)
    if device is None or device.festival_id != festival.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.revoke_device(device)
    db.session.commit()
    flash(_("The device can no longer scan."), "info")
    return redirect(url_for("ticketing.manage_checkin", slug=festival.slug))


@bp.route("/scan/pair", methods=["GET", "POST"])
@public
def pair_scanner():
    """A phone opens the pairing link (or scans its QR) and taps once: it gets its token."""
    form = PairForm()
    if request.method == "GET":
        form.code.data = request.args.get("code", "")
    if form.validate_on_submit():
        try:
            device, token = ops.pair_device(form.code.data)
        except ops.CheckinError:
            db.session.rollback()
            form.code.errors = [
                _("This pairing code is not valid or has expired. Ask for a new one.")
            ]
        else:
            db.session.commit()
            return render_template(
                "ticketing/scanner.html",
                device=device,
                token=token,
                festival=db.session.get(Festival, device.festival_id),
            )
    return render_template("ticketing/scanner_pair.html", form=form)


@bp.get("/scan/")
@public
def scanner_app():
    """The installed scanner app's start page: it runs on the token kept on the phone."""
    return render_template("ticketing/scanner.html", device=None, token=None, festival=None)


@bp.get("/f/<slug>/scan/<int:list_id>")
@festival_role_required("organizer", "staff")
def staff_scanner(festival: Festival, list_id: int):
    checkin_list = db.session.get(CheckinList, list_id)
    if checkin_list is None or checkin_list.festival_id != festival.id:
        abort(404)
    device, token = ops.staff_device(current_user, festival, checkin_list)
    db.session.commit()
    return render_template("ticketing/scanner.html", device=device, token=token, festival=festival)


@register_section("checkin")
def _checkin_section(festival: Festival) -> dict:
    lists = db.session.scalar(
        sa.select(sa.func.count(CheckinList.id)).where(CheckinList.festival_id == festival.id)
    )
    devices = db.session.scalar(
        sa.select(sa.func.count(ScannerDevice.id)).where(
            ScannerDevice.festival_id == festival.id, ScannerDevice.revoked_at.is_(None)
        )
    )
    return {
        "set_up": bool(lists),
        "url": url_for("ticketing.manage_checkin", slug=festival.slug),
        "summary": _("%(lists)s lists · %(devices)s devices", lists=lists, devices=devices),
    }
