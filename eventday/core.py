"""Site-wide routes: language switch, health check."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from eventday.extensions import db
from eventday.i18n import LANGUAGES
from eventday.permissions import public

bp = Blueprint("core", __name__)


class LanguageForm(FlaskForm):
    next = HiddenField()


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths are followed after a form (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


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
