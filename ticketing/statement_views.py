"""Organizer page: import a bank statement (CSV/XLSX) and match transfers to orders."""

from __future__ import annotations

import secrets

from flask import flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.permissions import organizer_required
from ticketing import operations as ops
from ticketing import statements
from ticketing.views import bp

MAX_STATEMENT_BYTES = 10 * 1024 * 1024


class StatementForm(FlaskForm):
    file = FileField(_l("Bank statement (CSV or XLSX)"), validators=[FileRequired()])
    date_column = StringField(_l("Date column"), validators=[Optional(), Length(max=100)])
    amount_column = StringField(_l("Amount column"), validators=[Optional(), Length(max=100)])
    reference_column = StringField(_l("Memo column"), validators=[Optional(), Length(max=100)])


@bp.route("/f/<slug>/manage/statements", methods=["GET", "POST"])
@organizer_required
def import_statement(festival: Festival):
    form = StatementForm()
    report = None
    headers: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_STATEMENT_BYTES + 1)
        filename = upload.filename or ""
        try:
            if len(data) > MAX_STATEMENT_BYTES:
                raise statements.StatementError(_l("The file is larger than 10 MB."))
            columns = (form.date_column.data, form.amount_column.data, form.reference_column.data)
            if all(columns):
                mapping = statements.ColumnMapping(*(c.strip() for c in columns))
            else:
                mapping = statements.detect_mapping(data, filename)
                if mapping is None:
                    headers = statements.read_headers(data, filename)
                    raise statements.StatementError(
                        _l("Could not tell which columns hold the date, amount and memo.")
                    )
            lines = statements.read_statement(data, filename, mapping)
            report = statements.import_statement(
                festival,
                lines,
                batch=secrets.token_hex(8),
                record_payment=lambda order, amount, fingerprint: ops.record_payment(
                    order,
                    amount,
                    fingerprint,
                    provider="vietqr",
                    user_id=current_user.id,
                    note="statement",
                ),
            )
        except statements.StatementError as exc:
            db.session.rollback()
            form.file.errors = [exc.message]
        else:
            db.session.commit()
            flash(
                _(
                    "Statement imported: %(matched)s matched, %(partial)s partial, "
                    "%(overpaid)s over-paid, %(unknown)s unknown, %(duplicate)s duplicate, "
                    "%(already)s already imported.",
                    matched=report.matched,
                    partial=report.partial,
                    overpaid=report.overpaid,
                    unknown=report.unknown,
                    duplicate=report.duplicate,
                    already=report.already_imported,
                ),
                "success",
            )
    return render_template(
        "ticketing/statement_import.html",
        festival=festival,
        form=form,
        report=report,
        headers=headers,
    )
