"""Organizer tools for booths: the booths home (counts and links), reports (occupancy, fee
revenue), fee waivers per participant group, the XLSX import of exhibitors and products, and
the XLSX export of booths; and the "booths" section of the festival dashboard."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.routing import BuildError
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from booths import imports, reports
from booths.models import Booth, BoothFeeWaiver
from booths.views import bp
from eventday.extensions import db
from eventday.festivals.models import Festival, ParticipantGroup
from eventday.festivals.util import register_section
from eventday.i18n import localized
from eventday.permissions import organizer_required

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WaiverForm(FlaskForm):
    group_id = SelectField(
        _l("Participant group"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose a group."))],
    )
    note = StringField(
        _l("Who pays instead (optional)"),
        validators=[Optional(), Length(max=200)],
        description=_l("e.g. “District OCOP support programme”"),
    )


class WaiverRemoveForm(FlaskForm):
    waiver_id = IntegerField(validators=[DataRequired()])


class ExhibitorImportForm(FlaskForm):
    file = FileField(
        _l("Exhibitors and products (XLSX)"),
        validators=[FileRequired(message=_l("Choose the XLSX file."))],
    )


def optional_url(endpoint: str, **values) -> str | None:
    """The URL of another helper's page, or None while it does not exist yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _links(festival: Festival) -> list[tuple[str, str]]:
    slug = festival.slug
    candidates = [
        (_("Floor plan"), optional_url("booths.plan_editor", slug=slug)),
        (_("Applications"), optional_url("booths.queue", slug=slug)),
        (_("Reports"), url_for("booths.booth_reports", slug=slug)),
        (_("Fee waivers"), url_for("booths.fee_waivers", slug=slug)),
        (_("Import exhibitors (XLSX)"), url_for("booths.import_exhibitors", slug=slug)),
        (_("Export booths (XLSX)"), url_for("booths.export_booths_xlsx", slug=slug)),
        (_("Printable booth list"), optional_url("booths.booth_list", slug=slug)),
        (_("Booth signs"), optional_url("booths.booth_signs", slug=slug)),
        (_("Export booths (CSV)"), optional_url("booths.booths_csv", slug=slug)),
        (_("Import booths (CSV)"), optional_url("booths.import_booths", slug=slug)),
        (_("Public map"), optional_url("booths.public_map", slug=slug)),
        (_("Exhibitor directory"), optional_url("booths.directory", slug=slug)),
    ]
    return [(label, url) for label, url in candidates if url]


@bp.get("/f/<slug>/manage/booths")
@organizer_required
def manage(festival: Festival):
    return render_template(
        "booths/manage_home.html",
        festival=festival,
        counts=reports.home_counts(festival),
        links=_links(festival),
        state_labels=reports.BOOTH_STATE_LABELS,
        queue_url=optional_url("booths.queue", slug=festival.slug),
    )


@bp.get("/f/<slug>/manage/booths/reports")
@organizer_required
def booth_reports(festival: Festival):
    return render_template(
        "booths/manage_reports.html",
        festival=festival,
        occupancy=reports.occupancy(festival),
        fees=reports.fee_revenue(festival),
        waivers=reports.waivers(festival),
        states=reports.BOOTH_STATES,
        state_labels=reports.BOOTH_STATE_LABELS,
    )


@bp.route("/f/<slug>/manage/booths/waivers", methods=["GET", "POST"])
@organizer_required
def fee_waivers(festival: Festival):
    existing = reports.waivers(festival)
    waived_ids = {w.group_id for w in existing}
    form = WaiverForm(prefix="add")
    form.group_id.choices = [
        (g.id, localized(g, "name")) for g in festival.groups if g.id not in waived_ids
    ]
    remove_form = WaiverRemoveForm(prefix="remove")
    status = 200
    if request.method == "POST" and "remove-waiver_id" in request.form:
        if remove_form.validate_on_submit():
            waiver = db.session.get(BoothFeeWaiver, remove_form.waiver_id.data)
            if waiver is None or waiver.festival_id != festival.id:
                abort(404)
            db.session.delete(waiver)
            db.session.commit()
            flash(_("The fee waiver is removed."), "success")
            return redirect(url_for("booths.fee_waivers", slug=festival.slug))
        status = 400
    elif request.method == "POST":
        if form.validate_on_submit():
            group = db.session.get(ParticipantGroup, form.group_id.data)
            if group is None or group.festival_id != festival.id:
                abort(404)
            waiver = BoothFeeWaiver(
                festival_id=festival.id, group_id=group.id, note=(form.note.data or "").strip()
            )
            try:
                with db.session.begin_nested():
                    db.session.add(waiver)
                    db.session.flush()
            except sa.exc.IntegrityError:
                form.group_id.errors = [_("The fees of this group are waived already.")]
                status = 422
            else:
                db.session.commit()
                flash(
                    _("Booth fees are waived for %(group)s.", group=localized(group, "name")),
                    "success",
                )
                return redirect(url_for("booths.fee_waivers", slug=festival.slug))
        else:
            status = 422
    return (
        render_template(
            "booths/manage_waivers.html",
            festival=festival,
            form=form,
            remove_form=remove_form,
            waivers=existing,
        ),
        status,
    )


@bp.route("/f/<slug>/manage/booths/exhibitors/import", methods=["GET", "POST"])
@organizer_required
def import_exhibitors(festival: Festival):
    form = ExhibitorImportForm()
    report = None
    file_error = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(imports.MAX_IMPORT_BYTES + 1)
        try:
            report = imports.import_exhibitors(data, festival=festival, user=current_user)
        except imports.ExhibitorImportError as exc:
            db.session.rollback()
            file_error = str(exc)
            status = 422
        else:
            if report.ok:
                db.session.commit()
                flash(
                    _(
                        "Imported: %(created)s exhibitors created, %(updated)s updated; "
                        "%(products)s products created, %(products_updated)s updated.",
                        created=report.exhibitors_created,
                        updated=report.exhibitors_updated,
                        products=report.products_created,
                        products_updated=report.products_updated,
                    ),
                    "success",
                )
            else:
                db.session.rollback()
                status = 422
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "booths/manage_import.html",
            festival=festival,
            form=form,
            report=report,
            file_error=file_error,
            exhibitor_columns=imports.EXHIBITOR_COLUMNS,
            product_columns=imports.PRODUCT_COLUMNS,
            max_rows=imports.MAX_ROWS,
        ),
        status,
    )


@bp.get("/f/<slug>/manage/booths/exhibitors/template.xlsx")
@organizer_required
def import_exhibitors_template(festival: Festival):
    return send_file(
        io.BytesIO(imports.template_xlsx()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="exhibitors-products.xlsx",
        max_age=0,
    )


@bp.get("/f/<slug>/manage/booths/export.xlsx")
@organizer_required
def export_booths_xlsx(festival: Festival):
    return send_file(
        io.BytesIO(reports.export_xlsx(festival)),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"booths-{festival.slug}.xlsx",
        max_age=0,
    )


@register_section("booths")
def _booths_section(festival: Festival) -> dict:
    booths = db.session.scalar(
        sa.select(sa.func.count(Booth.id)).where(Booth.festival_id == festival.id)
    )
    summary = ""
    if booths:
        counts = reports.home_counts(festival)
        summary = _(
            "%(booths)s booths · %(booked)s booked · %(waiting)s applications waiting",
            booths=counts["booths"],
            booked=counts["by_state"]["booked"],
            waiting=counts["waiting"],
        )
    return {
        "set_up": bool(booths),
        "url": url_for("booths.manage", slug=festival.slug),
        "summary": summary,
    }
