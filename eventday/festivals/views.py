"""Festival pages: public list and page, organizer dashboard, create/edit, people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename
from wtforms.fields.choices import SelectChoice

from eventday.accounts.forms import EmptyForm
from eventday.areas.models import Area
from eventday.areas.operations import areas_covering
from eventday.areas.views import area_json
from eventday.extensions import db
from eventday.festivals import operations as ops
from eventday.festivals.forms import FestivalForm, FilterForm, InviteForm, RoleForm
from eventday.festivals.models import (
    PUBLIC_STATES,
    TRANSITIONS,
    CoorganizerInvitation,
    Festival,
    FestivalDay,
    FestivalHost,
    FestivalRole,
)
from eventday.festivals.util import (
    GROUP_LABELS,
    ROLE_LABELS,
    SCOPE_LABELS,
    STATE_LABELS,
    public_actions,
    render_markdown,
    section_status,
)
from eventday.i18n import LOCAL_TZ
from eventday.permissions import (
    has_festival_role,
    organizer_required,
    public,
    user_roles,
)
from eventday.uploads import ImageError

bp = Blueprint("festivals", __name__)

# What a festival card needs, loaded in a few queries instead of one per festival.
_LIST_LOADS = (
    selectinload(Festival.hosts).selectinload(FestivalHost.area),
    selectinload(Festival.days),
)

# Sections that later parts of EventDay fill; the dashboard shows each as "not yet set up".
SECTIONS = ("booths", "tickets", "checkin", "pitches", "matchmaking")


@bp.app_context_processor
def _labels():
    return {
        "STATE_LABELS": STATE_LABELS,
        "SCOPE_LABELS": SCOPE_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "GROUP_LABELS": GROUP_LABELS,
        "render_markdown": render_markdown,
        "section_status": section_status,
        "public_actions": public_actions,
    }


@bp.get("/")
@public
def index():
    form = FilterForm(request.args)
    today = dt.datetime.now(LOCAL_TZ).date()  # "upcoming" by the date in Vietnam
    last_day = (
        sa.select(sa.func.max(FestivalDay.day))
        .where(FestivalDay.festival_id == Festival.id)
        .scalar_subquery()
    )
    first_day = (
        sa.select(sa.func.min(FestivalDay.day))
        .where(FestivalDay.festival_id == Festival.id)
        .scalar_subquery()
    )
    stmt = sa.select(Festival).where(Festival.state.in_(PUBLIC_STATES))
    when = form.when.data if form.when.data in ("upcoming", "past", "all") else "upcoming"
    if when == "upcoming":
        stmt = stmt.where(last_day >= today).order_by(first_day, Festival.id)
    elif when == "past":
        stmt = stmt.where(last_day < today).order_by(first_day.desc(), Festival.id)
    else:
        stmt = stmt.order_by(first_day.desc(), Festival.id)
    area = None
    if form.area.data and str(form.area.data).isdigit():
        area = db.session.get(Area, int(form.area.data))
    if area is not None:
        covered = [a.id for a in areas_covering(area)]
        stmt = stmt.where(
            sa.exists().where(
                FestivalHost.festival_id == Festival.id, FestivalHost.area_id.in_(covered)
            )
        )
    if form.q.data:
        from eventday.i18n import fold

        for word in fold(form.q.data).split()[:6]:
            pattern = f"%{word}%"
            # Festival names are short: fold them in Python would need a column; the slug is
            # the folded name already, so match the folded query against it and the names.
            stmt = stmt.where(
                sa.or_(
                    Festival.slug.like(pattern),
                    sa.func.lower(Festival.name_vi).like(pattern),
                    sa.func.lower(Festival.name_en).like(pattern),
                )
            )
    festivals = db.session.scalars(stmt.options(*_LIST_LOADS).limit(100)).all()
    return render_template(
        "festivals/index.html",
        festivals=festivals,
        form=form,
        when=when,
        area=area,
        area_data=area_json(area) if area else None,
    )


def _public_festival(slug: str) -> Festival:
    festival = db.session.scalar(
        sa.select(Festival)
        .where(Festival.slug == slug)
        .options(*_LIST_LOADS, selectinload(Festival.groups), selectinload(Festival.stages))
    )
    if festival is None:
        abort(404)
    if not festival.is_public:
        # Drafts are visible to site admins and anyone with a role in the festival only.
        allowed = current_user.is_authenticated and (
            current_user.is_admin or user_roles(current_user, festival)
        )
        if not allowed:
            abort(404)
    return festival


@bp.get("/f/<slug>")
@public
def show(slug: str):
    festival = _public_festival(slug)
    return render_template(
        "festivals/show.html",
        festival=festival,
        can_manage=has_festival_role(current_user, festival, "organizer"),
    )


@bp.get("/media/covers/<name>")
@public
def cover(name: str):
    safe = secure_filename(name)
    if safe != name:
        abort(404)
    folder = Path(current_app.config["UPLOAD_DIR"]) / "covers"
    return send_from_directory(folder, safe, max_age=60 * 60 * 24 * 30)


@bp.get("/my/festivals")
@login_required
def my_festivals():
    rows = db.session.execute(
        sa.select(Festival, FestivalRole.role)
        .join(FestivalRole, FestivalRole.festival_id == Festival.id)
        .where(FestivalRole.user_id == current_user.id)
        .order_by(Festival.created_at.desc())
    ).all()
    grouped: dict[int, tuple[Festival, list[str]]] = {}
    for festival, role in rows:
        grouped.setdefault(festival.id, (festival, []))[1].append(role)
    return render_template("festivals/mine.html", items=list(grouped.values()))


def _form_data(form: FestivalForm) -> ops.FestivalData:
    host_ids = [int(x) for x in (form.host_areas.data or "").split(",") if x.strip().isdigit()]
    bad_ids = [
        x for x in (form.host_areas.data or "").split(",") if x.strip() and not x.strip().isdigit()
    ]
    if bad_ids:
        raise ops.UnknownArea()
    lead = form.lead_area.data
    return ops.FestivalData(
        name_vi=form.name_vi.data,
        name_en=form.name_en.data,
        slug=(form.slug.data or "").strip() or None,
        host_area_ids=host_ids,
        lead_area_id=int(lead) if lead and lead.isdigit() else None,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        day_starts=form.day_starts.data,
        day_ends=form.day_ends.data,
        venue_name=form.venue_name.data,
        venue_address=form.venue_address.data or "",
        latitude=float(form.latitude.data) if form.latitude.data is not None else None,
        longitude=float(form.longitude.data) if form.longitude.data is not None else None,
        description_vi=form.description_vi.data or "",
        description_en=form.description_en.data or "",
        groups=list(form.groups.data or []),
        custom_groups=(form.custom_groups.data or "").splitlines(),
        stages=ops.parse_stage_lines(form.stages.data),
    )


def _save_festival(form: FestivalForm, festival: Festival | None) -> Festival | None:
    """Run the operation; on a domain error put a translated message on the field, roll back."""
    try:
        data = _form_data(form)
        if festival is None:
            festival = ops.create_festival(current_user, data)
        else:
            festival = ops.update_festival(festival, data)
        upload = form.cover.data
        if upload and getattr(upload, "filename", ""):
            ops.set_cover(festival, upload.read())
    except ops.SlugTaken:
        form.slug.errors = [*form.slug.errors, _("This web address is already taken.")]
    except ops.UnknownArea:
        form.host_areas.errors = [_("Unknown area. Pick host areas from the list.")]
    except ops.NoHost:
        form.host_areas.errors = [_("Choose at least one host area.")]
    except ops.InvalidDates as exc:
        messages = {
            "end_before_start": (form.end_date, _("The last day cannot be before the first day.")),
            "too_long": (form.end_date, _("A festival can last at most 14 days.")),
            "closes_before_opening": (form.day_ends, _("Closing time must be after opening time.")),
        }
        field, message = messages[exc.reason]
        field.errors = [*field.errors, message]
    except ops.InvalidStages as exc:
        form.stages.errors = [
            _(
                "Line %(line)s: write a name, then optionally | and a capacity number.",
                line=exc.line,
            )
        ]
    except ImageError as exc:
        if exc.reason == "too_large":
            form.cover.errors = [_("The image is too large (at most 5 MB).")]
        else:
            form.cover.errors = [_("This file is not an image we can use (JPEG, PNG or WebP).")]
    else:
        return festival
    db.session.rollback()
    return None


@bp.route("/festivals/new", methods=["GET", "POST"])
@login_required
def create_festival():
    if current_user.email_verified_at is None and not current_user.is_admin:
        flash(_("Confirm your email address before creating a festival."), "warning")
        return redirect(url_for("accounts.profile"))
    form = FestivalForm()
    if request.method == "GET":
        form.day_starts.data = dt.time(7, 30)
        form.day_ends.data = dt.time(17, 0)
        form.groups.data = [
            "youth",
            "farmers",
            "women",
            "university_students",
            "highschool_students",
        ]
    if form.validate_on_submit():
        festival = _save_festival(form, None)
        if festival is not None:
            db.session.commit()
            flash(_("Festival created as a draft. Publish it when it is ready."), "success")
            return redirect(url_for("festivals.manage", slug=festival.slug))
    return render_template(
        "festivals/form.html", form=form, festival=None, hosts=_hosts_for_picker(form)
    )


def _hosts_for_picker(form: FestivalForm, festival: Festival | None = None) -> list[dict]:
    ids = [int(x) for x in (form.host_areas.data or "").split(",") if x.strip().isdigit()]
    if not ids and festival is not None:
        ids = [h.area_id for h in festival.hosts]
    areas = {a.id: a for a in db.session.scalars(sa.select(Area).where(Area.id.in_(ids)))}
    return [area_json(areas[i]) for i in ids if i in areas]


@bp.route("/f/<slug>/edit", methods=["GET", "POST"])
@organizer_required
def edit(festival: Festival):
    form = FestivalForm(obj=festival)
    if request.method == "GET":
        form.host_areas.data = ",".join(str(h.area_id) for h in festival.hosts)
        lead = festival.lead_host
        form.lead_area.data = str(lead.area_id) if lead else ""
        if festival.days:
            form.start_date.data = festival.first_day
            form.end_date.data = festival.last_day
            form.day_starts.data = festival.days[0].starts_at
            form.day_ends.data = festival.days[0].ends_at
        form.groups.data = [g.kind for g in festival.groups if g.kind != "custom"]
        form.custom_groups.data = "\n".join(
            g.name_vi for g in festival.groups if g.kind == "custom"
        )
        form.stages.data = "\n".join(
            s.name_vi + (f" | {s.capacity}" if s.capacity is not None else "")
            for s in festival.stages
        )
    if form.validate_on_submit():
        saved = _save_festival(form, festival)
        if saved is not None:
            db.session.commit()
            flash(_("Festival saved."), "success")
            return redirect(url_for("festivals.manage", slug=saved.slug))
        festival = db.session.get(Festival, festival.id)
    return render_template(
        "festivals/form.html", form=form, festival=festival, hosts=_hosts_for_picker(form, festival)
    )


@bp.get("/f/<slug>/manage")
@organizer_required
def manage(festival: Festival):
    return render_template(
        "festivals/manage.html",
        festival=festival,
        sections=SECTIONS,
        transitions=TRANSITIONS[festival.state],
        action_form=EmptyForm(),
    )


def _require_button_form() -> None:
    """A POST button carries only the CSRF token; anything else is a bad request."""
    if not EmptyForm().validate_on_submit():
        abort(400)


def _child_of(festival: Festival, model, object_id: int):
    """Load a row that belongs to ``festival`` (404 otherwise) for a POST button."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.festival_id != festival.id:
        abort(404)
    _require_button_form()
    return obj


@bp.post("/f/<slug>/state/<new_state>")
@organizer_required
def change_state(festival: Festival, new_state: str):
    _require_button_form()
    try:
        ops.change_state(festival, new_state)
    except ops.InvalidTransition:
        db.session.rollback()
        flash(_("This change of state is not possible now."), "danger")
    else:
        db.session.commit()
        flash(_("The festival is now: %(state)s.", state=STATE_LABELS[festival.state]), "success")
    return redirect(url_for("festivals.manage", slug=festival.slug))


@bp.route("/f/<slug>/people", methods=["GET", "POST"])
@organizer_required
def people(festival: Festival):
    invite_form = InviteForm(prefix="invite")
    invite_form.area_id.choices = [SelectChoice(h.area_id, h.area_label) for h in festival.hosts]
    role_form = RoleForm(prefix="role")
    if request.method == "POST" and "invite-email" in request.form:
        if invite_form.validate_on_submit():
            area = db.session.get(Area, invite_form.area_id.data)
            try:
                ops.invite_coorganizer(festival, current_user, invite_form.email.data, area)
            except ops.UnknownArea:
                db.session.rollback()
                invite_form.area_id.errors = [_("Choose one of the festival's host areas.")]
            else:
                db.session.commit()
                flash(_("Invitation sent."), "success")
                return redirect(url_for("festivals.people", slug=festival.slug))
    elif request.method == "POST" and "role-email" in request.form:
        if role_form.validate_on_submit():
            try:
                ops.grant_role_by_email(festival, role_form.email.data, role_form.role.data)
            except ops.UnknownUser:
                db.session.rollback()
                role_form.email.errors = [
                    _("No account uses this email. Ask them to register first.")
                ]
            else:
                db.session.commit()
                flash(_("Role granted."), "success")
                return redirect(url_for("festivals.people", slug=festival.slug))
    elif request.method == "POST":
        abort(400)
    grants = db.session.scalars(
        sa.select(FestivalRole)
        .where(FestivalRole.festival_id == festival.id)
        .order_by(FestivalRole.role, FestivalRole.id)
    ).all()
    invitations = db.session.scalars(
        sa.select(CoorganizerInvitation)
        .where(CoorganizerInvitation.festival_id == festival.id)
        .order_by(CoorganizerInvitation.created_at.desc())
    ).all()
    return render_template(
        "festivals/people.html",
        festival=festival,
        grants=grants,
        invitations=invitations,
        invite_form=invite_form,
        role_form=role_form,
        action_form=EmptyForm(),
    )


@bp.post("/f/<slug>/roles/<int:grant_id>/revoke")
@organizer_required
def revoke_role(festival: Festival, grant_id: int):
    grant = _child_of(festival, FestivalRole, grant_id)
    try:
        ops.revoke_role(festival, grant)
    except ops.LastOrganizer:
        db.session.rollback()
        flash(_("A festival needs at least one organizer."), "danger")
    else:
        db.session.commit()
        flash(_("Role removed."), "success")
    return redirect(url_for("festivals.people", slug=festival.slug))


@bp.post("/f/<slug>/invitations/<int:invitation_id>/revoke")
@organizer_required
def revoke_invitation(festival: Festival, invitation_id: int):
    invitation = _child_of(festival, CoorganizerInvitation, invitation_id)
    ops.revoke_invitation(invitation)
    db.session.commit()
    flash(_("Invitation withdrawn."), "info")
    return redirect(url_for("festivals.people", slug=festival.slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    try:
        invitation = ops.invitation_from_token(token)
    except ops.InvitationInvalid as exc:
        message = (
            _("This invitation has expired. Ask the organizers for a new one.")
            if exc.expired
            else _("This invitation is not valid or has already been used.")
        )
        flash(message, "danger")
        return redirect(url_for("festivals.my_festivals"))
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            ops.accept_invitation(token, current_user)
        except ops.InvitationInvalid:
            db.session.rollback()
            flash(_("This invitation is not valid or has already been used."), "danger")
            return redirect(url_for("festivals.my_festivals"))
        db.session.commit()
        flash(_("You are now a co-organizer of this festival."), "success")
        return redirect(url_for("festivals.manage", slug=invitation.festival.slug))
    return render_template("festivals/invitation.html", invitation=invitation, form=form)
