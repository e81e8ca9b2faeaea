"""Site-wide routes: language switch, health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from eventday.extensions import db
from eventday.i18n import LANGUAGES
from eventday.permissions import public
from eventday.util import safe_next

bp = Blueprint("core", __name__)


class LanguageForm(FlaskForm):
    next = HiddenField()


@bp.post("/lang/<code>")
@public
def switch_language(code: str):
    form = LanguageForm()
    if code in LANGUAGES and form.validate_on_submit():
        session["lang"] = code
        session.permanent = True
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(form.next.data or request.referrer, url_for("festivals.index")))


@bp.get("/healthz")
@public
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
