"""Lead capture pages for exhibitor staff: scan or type a visitor's ticket code, keep a note,
list and export the leads (``booths.leads``, ``booths.leads_csv``)."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from booths import leads as ops
from booths.models import ExhibitorProfile
from booths.views import bp
from eventday.extensions import db
from eventday.festivals.models import Festival


class LeadScanForm(FlaskForm):
    exhibitor = HiddenField()
    code = StringField(
        _l("Ticket QR or short code"),
        validators=[
            DataRequired(message=_l("Scan the visitor's ticket QR or type its code.")),
            Length(max=300),
        ],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=ops.MAX_NOTE)])


class LeadNoteForm(FlaskForm):
    exhibitor = HiddenField()
    lead_id = IntegerField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=ops.MAX_NOTE)])


def _festival(slug: str) -> Festival:
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None:
        abort(404)
    return festival


def _staff_context(slug: str) -> tuple[Festival, list[ExhibitorProfile], ExhibitorProfile]:
    """The festival, the exhibitors the user captures leads for, and the one chosen (the
    ``exhibitor`` argument, else the first); 403 for anyone else."""
    festival = _festival(slug)
    exhibitors = ops.staff_exhibitors(current_user, festival)
    if not exhibitors:
        abort(403)
    wanted = request.values.get("exhibitor", type=int)
    chosen = next((e for e in exhibitors if e.id == wanted), None)
    if wanted is not None and chosen is None:
        abort(403)
    return festival, exhibitors, chosen or exhibitors[0]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/f/<slug>/leads", methods=["GET", "POST"])
@login_required
def leads(slug: str):
    festival, exhibitors, exhibitor = _staff_context(slug)
    scan_form = LeadScanForm(prefix="scan")
    note_form = LeadNoteForm(prefix="edit")
    status = 200
    if request.method == "POST" and "edit-lead_id" in request.form:
        if note_form.validate_on_submit():
            lead = ops.exhibitor_lead(exhibitor, festival, note_form.lead_id.data)
            if lead is None:
                abort(404)
            ops.update_note(lead, note_form.note.data or "")
            db.session.commit()
            flash(_("Note saved."), "success")
            return redirect(url_for("booths.leads", slug=festival.slug, exhibitor=exhibitor.id))
        status = 400
    elif request.method == "POST":
        if scan_form.validate_on_submit():
            try:
                lead, created = ops.capture_lead(
                    festival, exhibitor, scan_form.code.data, current_user, scan_form.note.data
                )
            except ops.LeadError as exc:
                db.session.rollback()
                scan_form.code.errors = [exc.message()]
                status = 422
            else:
                db.session.commit()
                name = lead.ticket.attendee_name
                message = (
                    _("Lead saved: %(name)s.", name=name)
                    if created
                    else _("Already a lead: %(name)s. The note is updated.", name=name)
                    if scan_form.note.data and scan_form.note.data.strip()
                    else _("Already a lead: %(name)s.", name=name)
                )
                if _wants_json():
                    row = render_template(
                        "booths/lead_row.html", lead=lead, festival=festival, exhibitor=exhibitor
                    )
                    return jsonify(
                        ok=True, created=created, message=message, lead_id=lead.id, row=row
                    )
                flash(message, "success")
                return redirect(url_for("booths.leads", slug=festival.slug, exhibitor=exhibitor.id))
        else:
            status = 422
        if _wants_json():
            errors = [str(e) for e in (*scan_form.code.errors, *scan_form.note.errors)]
            if not errors:
                errors = [_("The form expired: reload the page and scan again.")]
            return jsonify(ok=False, message=" ".join(errors)), status
    scan_form.exhibitor.data = str(exhibitor.id)
    return (
        render_template(
            "booths/lead_capture.html",
            festival=festival,
            exhibitors=exhibitors,
            exhibitor=exhibitor,
            scan_form=scan_form,
            note_form=note_form,
            leads=ops.leads_for(exhibitor, festival),
        ),
        status,
    )


@bp.get("/f/<slug>/leads.csv")
@login_required
def leads_csv(slug: str):
    festival, _exhibitors, exhibitor = _staff_context(slug)
    return send_file(
        io.BytesIO(ops.leads_csv(exhibitor, festival)),
        mimetype="text/csv; charset=utf-8",
        as_attachment=True,
        download_name=f"leads-{festival.slug}-{exhibitor.id}.csv",
        max_age=0,
    )
