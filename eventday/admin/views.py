"""Site admin pages: users, organisations, areas, all festivals."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from eventday.accounts import operations as account_ops
from eventday.accounts.forms import EmptyForm
from eventday.accounts.models import Organisation, User
from eventday.accounts.util import ORGANISATION_KIND_LABELS
from eventday.areas.models import Area
from eventday.areas.operations import AreaImportError, import_areas_csv, predecessors, successors
from eventday.areas.util import KIND_LABELS, LEVEL_LABELS
from eventday.extensions import db
from eventday.festivals.models import STATES, Festival, FestivalRole
from eventday.i18n import fold
from eventday.permissions import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


class AreaImportForm(FlaskForm):
    file = FileField("CSV", validators=[FileRequired()])


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


@bp.get("/")
@admin_required
def dashboard():
    counts = {
        "users": db.session.scalar(sa.select(sa.func.count(User.id))),
        "organisations": db.session.scalar(sa.select(sa.func.count(Organisation.id))),
        "areas": db.session.scalar(sa.select(sa.func.count(Area.id))),
        "festivals": db.session.scalar(sa.select(sa.func.count(Festival.id))),
    }
    return render_template("admin/dashboard.html", counts=counts)


@bp.get("/users")
@admin_required
def users():
    q = request.args.get("q", "").strip()
    stmt = sa.select(User)
    if q:
        folded = fold(q)
        stmt = stmt.where(
            sa.or_(
                User.name_folded.contains(folded, autoescape=True),
                User.email.contains(q.lower(), autoescape=True),
                User.phone.contains(q.replace(" ", ""), autoescape=True),
            )
        )
    stmt = (
        stmt.order_by(User.name_folded, User.id).offset((_page() - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return render_template("admin/users.html", users=db.session.scalars(stmt).all(), q=q)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int):
    target = db.get_or_404(User, user_id)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action")
        if target.id == current_user.id and action in ("disable", "revoke_admin"):
            flash(_("You cannot do this to your own account."), "danger")
        elif action == "disable":
            account_ops.set_disabled(target, True)
            flash(_("Account disabled."), "success")
        elif action == "enable":
            account_ops.set_disabled(target, False)
            flash(_("Account enabled."), "success")
        elif action == "make_admin":
            account_ops.set_admin(target, True)
            flash(_("Now a site admin."), "success")
        elif action == "revoke_admin":
            account_ops.set_admin(target, False)
            flash(_("No longer a site admin."), "success")
        else:
            abort(400)
        db.session.commit()
        return redirect(url_for("admin.user", user_id=target.id))
    roles = db.session.scalars(
        sa.select(FestivalRole).where(FestivalRole.user_id == target.id).order_by(FestivalRole.id)
    ).all()
    return render_template("admin/user.html", target=target, roles=roles, form=form)


@bp.get("/organisations")
@admin_required
def organisations():
    q = request.args.get("q", "").strip()
    stmt = sa.select(Organisation)
    if q:
        stmt = stmt.where(Organisation.name_folded.contains(fold(q), autoescape=True))
    stmt = (
        stmt.order_by(Organisation.name_folded).offset((_page() - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return render_template(
        "admin/organisations.html",
        organisations=db.session.scalars(stmt).all(),
        q=q,
        kinds=ORGANISATION_KIND_LABELS,
    )


@bp.route("/areas", methods=["GET", "POST"])
@admin_required
def areas():
    form = AreaImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8")
            result = import_areas_csv(text)
        except UnicodeDecodeError:
            db.session.rollback()
            form.file.errors = [_("The file must be CSV in UTF-8.")]
        except AreaImportError as exc:
            db.session.rollback()
            form.file.errors = [
                _(
                    "Line %(line)s: %(message)s. Nothing was imported.",
                    line=exc.line,
                    message=exc.message,
                )
            ]
        else:
            db.session.commit()
            flash(
                _(
                    "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
                    "%(lineages)s lineage links.",
                    created=result.created,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    lineages=result.lineages,
                ),
                "success",
            )
            return redirect(url_for("admin.areas"))
    q = request.args.get("q", "").strip()
    stmt = sa.select(Area)
    if q:
        for word in fold(q).split():
            stmt = stmt.where(Area.name_folded.contains(word, autoescape=True))
    stmt = (
        stmt.order_by(Area.valid_from, Area.level, Area.code).offset((_page() - 1) * 200).limit(200)
    )
    return render_template(
        "admin/areas.html",
        areas=db.session.scalars(stmt).all(),
        q=q,
        form=form,
        LEVEL_LABELS=LEVEL_LABELS,
        KIND_LABELS=KIND_LABELS,
        successors=successors,
        predecessors=predecessors,
    )


@bp.get("/festivals")
@admin_required
def festivals():
    state = request.args.get("state", "")
    stmt = sa.select(Festival)
    if state in STATES:
        stmt = stmt.where(Festival.state == state)
    stmt = (
        stmt.order_by(Festival.created_at.desc()).offset((_page() - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return render_template(
        "admin/festivals.html", festivals=db.session.scalars(stmt).all(), state=state, states=STATES
    )
