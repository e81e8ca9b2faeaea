"""Booth booking pages: the exhibitor picks booths (plan and list), holds them, applies; the
organizers work through the applications queue (approve, reject with a reason, waitlist)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booths import operations as ops
from booths.access import can_act_for, profiles_for_user
from booths.labels import APPLICATION_STATE_LABELS, BOOTH_KIND_LABELS, BOOTH_STATE_LABELS
from booths.models import (
    APPLICATION_STATES,
    Booth,
    BoothApplication,
    BoothBooking,
    BoothFeeWaiver,
    ExhibitorProfile,
    Hall,
)
from booths.search import today_local
from booths.states import booth_states
from booths.views import bp, public_festival
from eventday.accounts.forms import EmptyForm
from eventday.api import MAX_ID
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.forms import MultiCheckboxField
from eventday.festivals.models import Festival
from eventday.i18n import localized
from eventday.permissions import organizer_required
from ticketing.util import order_token

QUEUE_STATES = ("pending", "waitlisted", "approved", "rejected", "held", "withdrawn", "expired")


# --------------------------------------------------------------------------- forms


class PickForm(FlaskForm):
    exhibitor_id = SelectField(_l("Exhibitor"), choices=[], validate_choice=False)
    group_id = SelectField(_l("You come under (optional)"), choices=[], validate_choice=False)
    booth_id = SelectMultipleField(_l("Booths"), choices=[], validate_choice=False)


class ApplyForm(FlaskForm):
    products = MultiCheckboxField(_l("Products to show"), choices=[], validate_choice=False)
    needs_electricity = BooleanField(_l("We need electricity"))
    tables = IntegerField(
        _l("Tables"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=ops.MAX_TABLES)],
    )
    chairs = IntegerField(
        _l("Chairs"),
        default=2,
        validators=[InputRequired(), NumberRange(min=0, max=ops.MAX_CHAIRS)],
    )
    group_id = SelectField(_l("You come under (optional)"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Note for the organizers"), validators=[Optional(), Length(max=2000)])


class DecideForm(FlaskForm):
    action = SelectField(
        choices=[SelectChoice(a, a) for a in ("approve", "reject", "waitlist")],
        validate_choice=True,
    )
    reason = TextAreaField(_l("Reason (for a rejection)"), validators=[Length(max=2000)])


# --------------------------------------------------------------------------- helpers


def _int_or_none(raw) -> int | None:
    """An id from a form value; None when empty, not a number or outside the id column's range
    (a larger number would make the database refuse the query)."""
    try:
        value = int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and 1 <= value <= MAX_ID else None


def _group_choices(festival: Festival) -> list[SelectChoice]:
    return [SelectChoice("", _("No group"))] + [
        SelectChoice(str(g.id), localized(g, "name")) for g in festival.groups
    ]


def _plan_url(festival: Festival) -> str | None:
    """The floor plan's data (helper C's endpoint), if it is registered."""
    try:
        return url_for("booths.plan_json", slug=festival.slug)
    except BuildError:
        return None


def _no_profile():
    return (
        render_template("booths/booking_no_profile.html", my_exhibitors_url=_my_exhibitors_url()),
        403,
    )


def _my_exhibitors_url() -> str | None:
    try:
        return url_for("booths.my_exhibitors")
    except BuildError:
        return None


def _zones_with_booths(festival: Festival) -> list[tuple[str, list[Booth]]]:
    """The festival's booths grouped by hall and zone, in plan order (one query)."""
    booths = db.session.scalars(
        sa.select(Booth)
        .join(Hall, Hall.id == Booth.hall_id)
        .where(Booth.festival_id == festival.id)
        .options(
            selectinload(Booth.zone),
            selectinload(Booth.hall),
            selectinload(Booth.reserved_group),
            selectinload(Booth.reserved_area),
        )
        .order_by(Hall.position, Hall.name, Booth.zone_id, Booth.code)
    ).all()
    groups: dict[tuple, list[Booth]] = {}
    for booth in booths:
        label = booth.hall.name + (f" · {booth.zone.name}" if booth.zone else "")
        groups.setdefault((booth.hall.position, booth.hall_id, label), []).append(booth)
    return [(key[2], items) for key, items in groups.items()]


def _render_pick(festival: Festival, form: PickForm, profiles, *, error=None, status=200):
    picked = {_int_or_none(v) for v in (form.booth_id.data or [])}
    return (
        render_template(
            "booths/booking_pick.html",
            festival=festival,
            form=form,
            profiles=profiles,
            zones=_zones_with_booths(festival),
            states=booth_states(festival.id),
            picked=picked,
            error=error,
            plan_url=_plan_url(festival),
            kind_labels=BOOTH_KIND_LABELS,
            state_labels=BOOTH_STATE_LABELS,
            hold_minutes=ops.hold_minutes(),
            max_booths=ops.max_per_application(),
        ),
        status,
    )


def _pick_form(festival: Festival, profiles) -> PickForm:
    form = PickForm()
    form.exhibitor_id.choices = [SelectChoice(str(p.id), p.display_name) for p in profiles]
    form.group_id.choices = _group_choices(festival)
    return form


def _own_application(festival: Festival, application_id: int) -> BoothApplication:
    application = db.session.get(BoothApplication, application_id)
    if application is None or application.festival_id != festival.id:
        abort(404)
    if not can_act_for(current_user, application.exhibitor):
        abort(403)
    return application


# --------------------------------------------------------------------------- the exhibitor


@bp.get("/f/<slug>/booths/pick")
@login_required
def pick(slug: str):
    festival = public_festival(slug)
    profiles = profiles_for_user(current_user)
    if not profiles:
        return _no_profile()
    form = _pick_form(festival, profiles)
    requested = request.args.get("exhibitor_id")
    if requested in {c.value for c in form.exhibitor_id.choices}:
        form.exhibitor_id.data = requested
    return _render_pick(festival, form, profiles)


@bp.post("/f/<slug>/booths/hold")
@login_required
def hold(slug: str):
    festival = public_festival(slug)
    profiles = profiles_for_user(current_user)
    if not profiles:
        return _no_profile()
    form = _pick_form(festival, profiles)
    if not form.validate_on_submit():
        return _render_pick(festival, form, profiles, error=_("Check the form."), status=400)
    exhibitor = next((p for p in profiles if str(p.id) == form.exhibitor_id.data), None)
    if exhibitor is None:
        form.exhibitor_id.errors = [_("Pick one of your exhibitor profiles.")]
        return _render_pick(festival, form, profiles, error=_("Check the form."), status=400)
    booth_ids = {_int_or_none(v) for v in form.booth_id.data or []}
    if None in booth_ids:
        return _render_pick(
            festival, form, profiles, error=ops.BoothError("not_available").message(), status=400
        )
    try:
        application = ops.hold_booths(
            festival,
            exhibitor,
            booth_ids,
            current_user,
            group_id=_int_or_none(form.group_id.data),
        )
    except ops.BoothError as exc:
        db.session.rollback()
        status = 409 if exc.reason == "taken" else 400
        return _render_pick(festival, form, profiles, error=exc.message(), status=status)
    db.session.commit()
    flash(
        _(
            "Booths held for you until %(time)s. Send the application before then.",
            time=_local_time(application.hold_expires_at),
        ),
        "success",
    )
    return redirect(
        url_for("booths.application", slug=festival.slug, application_id=application.id)
    )


def _local_time(value) -> str:
    from eventday.i18n import format_datetime

    return format_datetime(value)


def _apply_form(application: BoothApplication) -> ApplyForm:
    form = ApplyForm()
    # The exhibitor's own products only.
    form.products.choices = [
        SelectChoice(str(p.id), p.name_vi) for p in application.exhibitor.products
    ]
    form.group_id.choices = _group_choices(application.festival)
    if request.method == "GET":
        form.products.data = [str(p.id) for p in application.products]
        form.group_id.data = str(application.group_id or "")
        form.needs_electricity.data = application.needs_electricity
        form.tables.data = application.tables
        form.chairs.data = application.chairs
        form.note.data = application.note
    return form


def _render_application(application, form, *, error=None, status=200):
    return (
        render_template(
            "booths/booking_application.html",
            festival=application.festival,
            application=application,
            form=form,
            error=error,
            now=utcnow(),
            fee=ops.application_fee(application),
            state_labels=APPLICATION_STATE_LABELS,
            kind_labels=BOOTH_KIND_LABELS,
            action_form=EmptyForm(),
            order_token=order_token,
        ),
        status,
    )


@bp.route("/f/<slug>/booths/applications/<int:application_id>", methods=["GET", "POST"])
@login_required
def application(slug: str, application_id: int):
    festival = public_festival(slug)
    app_ = _own_application(festival, application_id)
    form = _apply_form(app_)
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_application(app_, form, error=_("Check the form."), status=400)
        try:
            ops.submit_application(
                app_,
                current_user,
                products=[int(v) for v in form.products.data or [] if str(v).isdigit()],
                needs_electricity=form.needs_electricity.data,
                tables=form.tables.data,
                chairs=form.chairs.data,
                note=form.note.data or "",
                group_id=_int_or_none(form.group_id.data),
            )
        except ops.BoothError as exc:
            db.session.rollback()
            return _render_application(app_, form, error=exc.message(), status=409)
        db.session.commit()
        flash(_("Application sent. The organizers will write to you."), "success")
        return redirect(url_for("booths.application", slug=slug, application_id=app_.id))
    return _render_application(app_, form)


@bp.get("/f/<slug>/booths/mine")
@login_required
def my_applications(slug: str):
    festival = public_festival(slug)
    profiles = profiles_for_user(current_user)
    if not profiles:
        return _no_profile()
    applications = db.session.scalars(
        sa.select(BoothApplication)
        .where(
            BoothApplication.festival_id == festival.id,
            BoothApplication.exhibitor_id.in_([p.id for p in profiles]),
        )
        .options(
            selectinload(BoothApplication.bookings).selectinload(BoothBooking.booth),
            selectinload(BoothApplication.exhibitor),
            selectinload(BoothApplication.order),
        )
        .order_by(BoothApplication.created_at.desc(), BoothApplication.id.desc())
    ).all()
    return render_template(
        "booths/booking_mine.html",
        festival=festival,
        applications=applications,
        state_labels=APPLICATION_STATE_LABELS,
        now=utcnow(),
        action_form=EmptyForm(),
    )


@bp.post("/f/<slug>/booths/applications/<int:application_id>/withdraw")
@login_required
def withdraw(slug: str, application_id: int):
    festival = public_festival(slug)
    app_ = _own_application(festival, application_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.withdraw(app_, current_user)
    except ops.BoothError as exc:
        db.session.rollback()
        flash(exc.message(), "danger")
    else:
        db.session.commit()
        flash(_("Application withdrawn; its booths are free for others."), "info")
    return redirect(url_for("booths.my_applications", slug=slug))


# --------------------------------------------------------------------------- the organizers


def _render_queue(festival: Festival, state: str, *, errors=None, reasons=None, status=200):
    counts = dict(
        db.session.execute(
            sa.select(BoothApplication.state, sa.func.count(BoothApplication.id))
            .where(BoothApplication.festival_id == festival.id)
            .group_by(BoothApplication.state)
        ).all()
    )
    applications = db.session.scalars(
        sa.select(BoothApplication)
        .where(BoothApplication.festival_id == festival.id, BoothApplication.state == state)
        .options(
            selectinload(BoothApplication.bookings)
            .selectinload(BoothBooking.booth)
            .selectinload(Booth.zone),
            selectinload(BoothApplication.exhibitor).selectinload(ExhibitorProfile.home_area),
            selectinload(BoothApplication.products),
            selectinload(BoothApplication.order),
            selectinload(BoothApplication.group),
        )
        .order_by(
            BoothApplication.submitted_at.is_(None),
            BoothApplication.submitted_at,
            BoothApplication.id,
        )
    ).all()
    # The groups whose fees are waived here, so an application not yet decided shows the fee
    # it would have (operations.application_fee) — one query, not one per application.
    waived_groups = set(
        db.session.scalars(
            sa.select(BoothFeeWaiver.group_id).where(BoothFeeWaiver.festival_id == festival.id)
        )
    )
    from ticketing.util import ORDER_STATE_LABELS

    return (
        render_template(
            "booths/booking_queue.html",
            waived_groups=waived_groups,
            today=today_local(),
            festival=festival,
            state=state,
            states=QUEUE_STATES,
            counts=counts,
            applications=applications,
            state_labels=APPLICATION_STATE_LABELS,
            order_state_labels=ORDER_STATE_LABELS,
            errors=errors or {},
            reasons=reasons or {},
            form=DecideForm(),
        ),
        status,
    )


@bp.get("/f/<slug>/manage/booths/applications")
@organizer_required
def queue(festival: Festival):
    state = request.args.get("state", "pending")
    if state not in APPLICATION_STATES:
        state = "pending"
    return _render_queue(festival, state)


@bp.post("/f/<slug>/manage/booths/applications/<int:application_id>/decide")
@organizer_required
def decide(festival: Festival, application_id: int):
    application = db.session.get(BoothApplication, application_id)
    if application is None or application.festival_id != festival.id:
        abort(404)
    form = DecideForm()
    state = application.state
    reason = (request.form.get("reason") or "")[:2000]
    if not form.validate_on_submit():
        problem = (
            _("The reason is too long: 2000 characters at most.")
            if form.reason.errors
            else _("Choose approve, reject or waitlist.")
        )
        return _render_queue(
            festival,
            state,
            errors={application.id: problem},
            reasons={application.id: reason},
            status=400,
        )
    try:
        if form.action.data == "approve":
            ops.approve(application, current_user)
            message = _("Approved: the exhibitor is mailed with the staff passes.")
        elif form.action.data == "reject":
            ops.reject(application, current_user, form.reason.data or "")
            message = _("Rejected: the exhibitor is mailed with your reason.")
        else:
            ops.waitlist(application, current_user)
            message = _("Put on the waiting list: the exhibitor is mailed.")
    except ops.BoothError as exc:
        db.session.rollback()
        return _render_queue(
            festival,
            state,
            errors={application_id: exc.message()},
            reasons={application_id: reason},
            status=409 if exc.reason in ("taken", "bad_state") else 400,
        )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("booths.queue", slug=festival.slug, state=state))


from booths import cli  # noqa: E402,F401 - registers `flask --app app booths expire`
