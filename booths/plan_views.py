"""Floor plan pages: the organizer's SVG editor (JSON endpoints that also work as plain forms),
plan.json, the public map, booth pages, printable signs and list, CSV export and import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from booths import plan as ops
from booths.models import (
    BOOTH_KINDS,
    Booth,
    BoothApplication,
    BoothBooking,
    ExhibitorProfile,
    Hall,
    Zone,
)
from booths.search import today_local
from booths.states import active_bookings_query, derive_state
from booths.views import bp, public_festival
from eventday.api import MAX_ID
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, ParticipantGroup
from eventday.i18n import fold, localized
from eventday.permissions import can_manage, organizer_required, public
from eventday.util import external_url

# --- forms ---------------------------------------------------------------------------------


def _int_field(label, minimum=0, maximum=ops.MAX_SIZE_M, required=True, default=None):
    first = _Present() if required else Optional()
    return IntegerField(
        label, validators=[first, NumberRange(min=minimum, max=maximum)], default=default
    )


class _Present:
    """Required, but 0 is a value (DataRequired refuses 0)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data is None:
            # A typed non-number has its own error already; an empty field gets this one.
            raise StopValidation("" if field.process_errors else _("This value is required."))


class HallForm(FlaskForm):
    hall_id = HiddenField()
    name = StringField(_l("Hall name"), validators=[DataRequired(), Length(max=120)])
    width_m = _int_field(_l("Width (m)"), 1, default=40)
    depth_m = _int_field(_l("Depth (m)"), 1, default=24)
    outdoor = BooleanField(_l("Outdoor area"))


class ZoneForm(FlaskForm):
    zone_id = HiddenField()
    hall_id = SelectField(_l("Hall"), coerce=int, choices=[])
    name = StringField(_l("Zone name"), validators=[DataRequired(), Length(max=120)])
    color = StringField(_l("Colour"), default="#e8f1ea", validators=[Length(max=7)])
    x = _int_field(_l("From the left (m)"), default=0)
    y = _int_field(_l("From the top (m)"), default=0)
    width_m = _int_field(_l("Width (m)"), 1, default=10)
    depth_m = _int_field(_l("Depth (m)"), 1, default=6)


class RowForm(FlaskForm):
    hall_id = SelectField(_l("Hall"), coerce=int, choices=[])
    zone_id = SelectField(_l("Zone"), choices=[], default="")
    prefix = StringField(
        _l("Code letters"), default="A", validators=[DataRequired(), Length(max=4)]
    )
    start_number = _int_field(_l("First number"), default=1, maximum=9999)
    count = _int_field(_l("Number of booths"), 1, maximum=ops.MAX_ROW, default=6)
    x = _int_field(_l("From the left (m)"), default=0)
    y = _int_field(_l("From the top (m)"), default=0)
    width_m = _int_field(_l("Booth width (m)"), 1, maximum=ops.MAX_BOOTH_M, default=3)
    depth_m = _int_field(_l("Booth depth (m)"), 1, maximum=ops.MAX_BOOTH_M, default=3)
    direction = SelectField(
        _l("Direction"),
        choices=[SelectChoice("right", _l("To the right")), SelectChoice("down", _l("Downwards"))],
    )
    kind = SelectField(_l("Type"), choices=[])
    price_vnd = _int_field(_l("Price (đồng)"), maximum=10**12, default=0)
    corner_ends = BooleanField(_l("The two end booths are corner booths"))


class BoothForm(FlaskForm):
    booth_id = HiddenField()
    hall_id = SelectField(_l("Hall"), coerce=int, choices=[])
    zone_id = SelectField(_l("Zone"), choices=[], default="")
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=12)])
    x = _int_field(_l("From the left (m)"), default=0)
    y = _int_field(_l("From the top (m)"), default=0)
    width_m = _int_field(_l("Width (m)"), 1, maximum=ops.MAX_BOOTH_M, default=3)
    depth_m = _int_field(_l("Depth (m)"), 1, maximum=ops.MAX_BOOTH_M, default=3)
    corner = BooleanField(_l("Corner booth"))
    kind = SelectField(_l("Type"), choices=[])
    price_vnd = _int_field(_l("Price (đồng)"), maximum=10**12, default=0)
    reserved_group_id = SelectField(_l("Kept for a participant group"), choices=[], default="")
    reserved_area_code = StringField(
        _l("Kept for a home area (area code)"),
        validators=[Optional(), Length(max=16)],
        description=_l("The code of a commune, district or province, e.g. 20467."),
    )
    blocked = BooleanField(_l("Blocked (not for booking)"))
    blocked_reason = StringField(_l("Why blocked"), validators=[Optional(), Length(max=200)])
    staff_passes = _int_field(_l("Staff passes on approval"), maximum=50, default=2)


class MoveForm(FlaskForm):
    booth_id = IntegerField(validators=[DataRequired()])
    x = _int_field(_l("From the left (m)"))
    y = _int_field(_l("From the top (m)"))
    width_m = _int_field(_l("Width (m)"), 1, maximum=ops.MAX_BOOTH_M, required=False)
    depth_m = _int_field(_l("Depth (m)"), 1, maximum=ops.MAX_BOOTH_M, required=False)


class DeleteForm(FlaskForm):
    item_id = IntegerField(validators=[DataRequired()])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _kind_choices():
    return _choices((k, ops.BOOTH_KIND_LABELS[k]) for k in BOOTH_KINDS)


def _plan_forms(festival: Festival, halls: list[Hall]) -> dict:
    """The editor's forms with their choices filled (the posted one bound to the request)."""
    hall_choices = _choices((h.id, h.name) for h in halls)
    zone_choices = _choices(
        [("", _("— by place —"))]
        + [(str(z.id), f"{h.name} · {z.name}") for h in halls for z in h.zones]
    )
    groups = db.session.scalars(
        sa.select(ParticipantGroup)
        .where(ParticipantGroup.festival_id == festival.id)
        .order_by(ParticipantGroup.position)
    ).all()
    forms = {
        "hall": HallForm(prefix="hall"),
        "zone": ZoneForm(prefix="zone"),
        "row": RowForm(prefix="row"),
        "booth": BoothForm(prefix="booth"),
    }
    forms["zone"].hall_id.choices = hall_choices
    forms["row"].hall_id.choices = hall_choices
    forms["row"].zone_id.choices = zone_choices
    forms["row"].kind.choices = _kind_choices()
    booth = forms["booth"]
    booth.hall_id.choices = hall_choices
    booth.zone_id.choices = zone_choices
    booth.kind.choices = _kind_choices()
    booth.reserved_group_id.choices = _choices(
        [("", _("— nobody in particular —"))] + [(str(g.id), localized(g, "name")) for g in groups]
    )
    return forms


def _halls(festival: Festival) -> list[Hall]:
    return db.session.scalars(
        sa.select(Hall)
        .where(Hall.festival_id == festival.id)
        .options(selectinload(Hall.zones))
        .order_by(Hall.position, Hall.id)
    ).all()


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _editor_url(festival: Festival, **args) -> str:
    return url_for("booths.plan_editor", slug=festival.slug, **args)


def _render_editor(festival: Festival, forms: dict, status: int = 200, selected=None):
    halls = _halls(festival)
    booths = db.session.scalars(
        sa.select(Booth).where(Booth.festival_id == festival.id).order_by(Booth.code)
    ).all()
    return (
        render_template(
            "booths/plan_editor.html",
            festival=festival,
            forms=forms,
            halls=halls,
            booths=booths,
            selected=selected,
            kind_labels=ops.BOOTH_KIND_LABELS,
        ),
        status,
    )


def _done(festival: Festival, message: str, **payload):
    """Success: JSON for the editor's script, else flash and back to the editor."""
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True, message=message, **payload)
    flash(message, "success")
    return redirect(_editor_url(festival, booth=payload.get("booth_id")))


def _refused(festival: Festival, forms: dict, key: str, errors: dict | None = None):
    """Failure: the form's errors (translated) as JSON, or the editor again with what was
    typed and the errors next to their fields."""
    db.session.rollback()
    form = forms[key]
    for name, messages in (errors or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(messages)
        else:
            form.extra_errors = list(messages)
    if _wants_json():
        found = {name: [str(m) for m in f.errors] for name, f in form._fields.items() if f.errors}
        if getattr(form, "extra_errors", None):
            found["_form"] = [str(m) for m in form.extra_errors]
        first = next(iter(found.values()), [_("Check the form.")])[0]
        return jsonify(ok=False, errors=found, message=first), 400
    return _render_editor(festival, forms)


def _error_dict(exc: ops.PlanError, allowed: set[str]) -> dict:
    field = exc.field if exc.field in allowed else None
    return {field or "_form": [exc.message()]}


def _field_names(form: FlaskForm) -> set[str]:
    return set(form._fields)


# --- the editor ----------------------------------------------------------------------------


@bp.get("/f/<slug>/manage/booths/plan")
@organizer_required
def plan_editor(festival: Festival):
    halls = _halls(festival)
    forms = _plan_forms(festival, halls)
    selected = None
    if (booth_id := request.args.get("booth", type=int)) is not None:
        selected = db.session.get(Booth, booth_id)
        if selected is None or selected.festival_id != festival.id:
            abort(404)
        _fill_booth_form(forms["booth"], selected)
    if (hall_id := request.args.get("hall", type=int)) is not None:
        hall = db.session.get(Hall, hall_id)
        if hall is None or hall.festival_id != festival.id:
            abort(404)
        form = forms["hall"]
        form.hall_id.data, form.name.data = str(hall.id), hall.name
        form.width_m.data, form.depth_m.data, form.outdoor.data = (
            hall.width_m,
            hall.depth_m,
            hall.outdoor,
        )
    if (zone_id := request.args.get("zone", type=int)) is not None:
        zone = db.session.get(Zone, zone_id)
        if zone is None or zone.festival_id != festival.id:
            abort(404)
        form = forms["zone"]
        form.zone_id.data, form.hall_id.data, form.name.data = str(zone.id), zone.hall_id, zone.name
        form.color.data, form.x.data, form.y.data = zone.color, zone.x, zone.y
        form.width_m.data, form.depth_m.data = zone.width_m, zone.depth_m
    return _render_editor(festival, forms, selected=selected)


def _fill_booth_form(form: BoothForm, booth: Booth) -> None:
    form.booth_id.data = str(booth.id)
    form.hall_id.data = booth.hall_id
    form.zone_id.data = str(booth.zone_id or "")
    for name in ("code", "x", "y", "width_m", "depth_m", "corner", "kind", "price_vnd"):
        getattr(form, name).data = getattr(booth, name)
    form.reserved_group_id.data = str(booth.reserved_group_id or "")
    form.reserved_area_code.data = booth.reserved_area.code if booth.reserved_area else ""
    form.blocked.data, form.blocked_reason.data = booth.blocked, booth.blocked_reason or ""
    form.staff_passes.data = booth.staff_passes


def _own(model, festival: Festival, item_id) -> object:
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        abort(404)
    if not 1 <= item_id <= MAX_ID:  # beyond the id column: the database would refuse it
        abort(404)
    item = db.session.get(model, item_id)
    if item is None or item.festival_id != festival.id:
        abort(404)
    return item


@bp.post("/f/<slug>/manage/booths/plan/hall")
@organizer_required
def plan_save_hall(festival: Festival):
    forms = _plan_forms(festival, _halls(festival))
    form = forms["hall"]
    if not form.validate_on_submit():
        return _refused(festival, forms, "hall")
    hall = _own(Hall, festival, form.hall_id.data) if form.hall_id.data else None
    try:
        hall = ops.save_hall(
            festival,
            hall,
            name=form.name.data,
            width_m=form.width_m.data,
            depth_m=form.depth_m.data,
            outdoor=form.outdoor.data,
        )
    except ops.PlanError as exc:
        return _refused(festival, forms, "hall", _error_dict(exc, _field_names(form)))
    return _done(festival, _("Hall saved."), hall_id=hall.id)


@bp.post("/f/<slug>/manage/booths/plan/zone")
@organizer_required
def plan_save_zone(festival: Festival):
    forms = _plan_forms(festival, _halls(festival))
    form = forms["zone"]
    if not form.validate_on_submit():
        return _refused(festival, forms, "zone")
    hall = _own(Hall, festival, form.hall_id.data)
    zone = _own(Zone, festival, form.zone_id.data) if form.zone_id.data else None
    try:
        zone = ops.save_zone(
            hall,
            zone,
            name=form.name.data,
            x=form.x.data,
            y=form.y.data,
            width_m=form.width_m.data,
            depth_m=form.depth_m.data,
            color=form.color.data,
        )
    except ops.PlanError as exc:
        return _refused(festival, forms, "zone", _error_dict(exc, _field_names(form)))
    return _done(festival, _("Zone saved."), zone_id=zone.id)


@bp.post("/f/<slug>/manage/booths/plan/zone/delete")
@organizer_required
def plan_delete_zone(festival: Festival):
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    ops.delete_zone(_own(Zone, festival, form.item_id.data))
    return _done(festival, _("Zone deleted; its booths stay."))


@bp.post("/f/<slug>/manage/booths/plan/row")
@organizer_required
def plan_add_row(festival: Festival):
    forms = _plan_forms(festival, _halls(festival))
    form = forms["row"]
    if not form.validate_on_submit():
        return _refused(festival, forms, "row")
    hall = _own(Hall, festival, form.hall_id.data)
    zone = _own(Zone, festival, form.zone_id.data) if form.zone_id.data else None
    try:
        booths = ops.add_row(
            hall,
            zone,
            form.prefix.data,
            form.start_number.data,
            form.count.data,
            form.x.data,
            form.y.data,
            form.width_m.data,
            form.depth_m.data,
            form.direction.data,
            form.kind.data,
            form.price_vnd.data,
            corner_ends=form.corner_ends.data,
        )
    except ops.PlanError as exc:
        fields = _field_names(form)
        if exc.field == "code":
            return _refused(festival, forms, "row", {"prefix": [exc.message()]})
        return _refused(festival, forms, "row", _error_dict(exc, fields))
    return _done(
        festival,
        _(
            "%(count)s booths added: %(first)s to %(last)s.",
            count=len(booths),
            first=booths[0].code,
            last=booths[-1].code,
        ),
        booth_ids=[b.id for b in booths],
    )


def _area_by_code(code: str) -> Area | None:
    today = today_local()
    return db.session.scalar(
        sa.select(Area)
        .where(
            Area.code == code.strip(),
            Area.valid_from <= today,
            sa.or_(Area.valid_to.is_(None), Area.valid_to >= today),
        )
        .order_by(Area.id)
        .limit(1)
    )


@bp.post("/f/<slug>/manage/booths/plan/booth")
@organizer_required
def plan_save_booth(festival: Festival):
    forms = _plan_forms(festival, _halls(festival))
    form = forms["booth"]
    if not form.validate_on_submit():
        return _refused(festival, forms, "booth")
    booth = _own(Booth, festival, form.booth_id.data) if form.booth_id.data else None
    hall = _own(Hall, festival, form.hall_id.data)
    area_id = None
    if form.reserved_area_code.data:
        area = _area_by_code(form.reserved_area_code.data)
        if area is None:
            message = ops.PlanError("unknown_area", value=form.reserved_area_code.data).message()
            return _refused(festival, forms, "booth", {"reserved_area_code": [message]})
        area_id = area.id
    data = ops.BoothData(
        code=form.code.data,
        x=form.x.data,
        y=form.y.data,
        width_m=form.width_m.data,
        depth_m=form.depth_m.data,
        zone_id=int(form.zone_id.data) if form.zone_id.data else None,
        corner=form.corner.data,
        kind=form.kind.data,
        price_vnd=form.price_vnd.data,
        reserved_group_id=int(form.reserved_group_id.data) if form.reserved_group_id.data else None,
        reserved_area_id=area_id,
        blocked=form.blocked.data,
        blocked_reason=form.blocked_reason.data,
        staff_passes=form.staff_passes.data,
    )
    try:
        with db.session.begin_nested():
            booth = ops.save_booth(hall, booth, data)
    except ops.PlanError as exc:
        return _refused(festival, forms, "booth", _error_dict(exc, _field_names(form)))
    except sa.exc.IntegrityError:  # the same code saved at the same moment
        message = ops.PlanError("code_taken", "code", code=data.code).message()
        return _refused(festival, forms, "booth", {"code": [message]})
    return _done(festival, _("Booth %(code)s saved.", code=booth.code), booth_id=booth.id)


@bp.post("/f/<slug>/manage/booths/plan/booth/move")
@organizer_required
def plan_move_booth(festival: Festival):
    form = MoveForm()
    forms = {"move": form}
    if not form.validate_on_submit():
        if _wants_json():
            return _refused(festival, forms, "move")
        abort(400)
    booth = _own(Booth, festival, form.booth_id.data)
    try:
        ops.move_booth(booth, form.x.data, form.y.data, form.width_m.data, form.depth_m.data)
    except ops.PlanError as exc:
        if _wants_json():
            return _refused(festival, forms, "move", _error_dict(exc, _field_names(form)))
        db.session.rollback()
        flash(exc.message(), "danger")
        return redirect(_editor_url(festival, booth=booth.id))
    return _done(festival, _("Booth %(code)s moved.", code=booth.code), booth_id=booth.id)


@bp.post("/f/<slug>/manage/booths/plan/booth/delete")
@organizer_required
def plan_delete_booth(festival: Festival):
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    booth = _own(Booth, festival, form.item_id.data)
    code = booth.code
    try:
        ops.delete_booth(booth)
    except ops.PlanError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(ok=False, errors={"_form": [exc.message()]}, message=exc.message()), 400
        flash(exc.message(), "danger")
        return redirect(_editor_url(festival, booth=booth.id))
    return _done(festival, _("Booth %(code)s deleted.", code=code))


# --- CSV -----------------------------------------------------------------------------------


@bp.get("/f/<slug>/manage/booths/plan/booths.csv")
@organizer_required
def booths_csv(festival: Festival):
    return Response(
        ops.export_csv(festival),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="booths-{festival.slug}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/f/<slug>/manage/booths/plan/import", methods=["GET", "POST"])
@organizer_required
def import_booths(festival: Festival):
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(5 * 1024 * 1024 + 1)
        if len(data) > 5 * 1024 * 1024:
            form.file.errors = [_("The file is larger than 5 MB.")]
        else:
            report = ops.import_csv(festival, data)
            if report.ok:
                db.session.commit()
                flash(
                    _(
                        "%(created)s booths created, %(updated)s updated.",
                        created=report.created,
                        updated=report.updated,
                    ),
                    "success",
                )
            else:
                db.session.rollback()
    return render_template(
        "booths/plan_import.html",
        festival=festival,
        form=form,
        report=report,
        columns=ops.CSV_COLUMNS,
        required=ops.REQUIRED_COLUMNS,
    )


# --- public data and pages -----------------------------------------------------------------


def _visible_festival(slug: str) -> tuple[Festival, bool]:
    """A public festival, or any festival for its organizers; with "is an organizer"."""
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None:
        abort(404)
    organizer = can_manage(current_user, festival)
    if not organizer and not festival.is_public:
        abort(404)
    return festival, organizer


@bp.get("/f/<slug>/booths/plan.json")
@public
def plan_json(slug: str):
    festival, organizer = _visible_festival(slug)
    highlight = set()
    if any(request.args.get(k) for k in ("q", "group", "stars", "area", "zone")):
        highlight = matching_booths(festival, request.args)
    response = jsonify(ops.plan_data(festival, for_organizer=organizer, highlight=highlight))
    response.headers["Cache-Control"] = "private, no-cache" if organizer else "no-cache"
    return response


def matching_booths(festival: Festival, args) -> set[int]:
    """Booths matching a directory search (helper B's search), or — without it — booked booths
    whose exhibitor's name contains every word of ``q`` (diacritics ignored)."""
    filters = {k: args.get(k) for k in ("group", "stars", "area", "zone") if args.get(k)}
    q = (args.get("q") or "").strip()[:100]
    try:
        from booths.search import matching_booth_ids
    except ImportError:
        matching_booth_ids = None
    if matching_booth_ids is not None:
        return set(matching_booth_ids(festival.id, q, **filters))
    words = fold(q).split()
    if not words:
        return set()
    stmt = (
        sa.select(BoothBooking.booth_id)
        .join(BoothApplication, BoothApplication.id == BoothBooking.application_id)
        .join(ExhibitorProfile, ExhibitorProfile.id == BoothApplication.exhibitor_id)
        .where(
            BoothBooking.festival_id == festival.id,
            BoothBooking.active,
            BoothApplication.state == "approved",
        )
    )
    for word in words:
        stmt = stmt.where(ExhibitorProfile.name_folded.contains(word, autoescape=True))
    return set(db.session.scalars(stmt))


@bp.get("/f/<slug>/map")
@public
def public_map(slug: str):
    festival = public_festival(slug)
    searching = any(request.args.get(k) for k in ("q", "group", "stars", "area", "zone"))
    highlight = matching_booths(festival, request.args) if searching else set()
    data = ops.plan_data(festival, for_organizer=False, highlight=highlight)
    zones = [z for h in data["halls"] for z in h["zones"]]
    try:
        directory_url = url_for("booths.directory", slug=festival.slug)
    except BuildError:
        directory_url = None
    return render_template(
        "booths/plan_map.html",
        festival=festival,
        data=data,
        zones=zones,
        highlight=sorted(highlight),
        searching=searching,
        args=request.args,
        directory_url=directory_url,
        kind_labels=ops.BOOTH_KIND_LABELS,
        state_labels=ops.BOOTH_STATE_LABELS,
    )


def _exhibitor_url(festival: Festival, exhibitor_id: int) -> str | None:
    try:
        return url_for("booths.exhibitor_page", slug=festival.slug, exhibitor_id=exhibitor_id)
    except BuildError:
        return None


def _product_url(festival: Festival, product_id: int) -> str | None:
    try:
        return url_for("booths.product_page", slug=festival.slug, product_id=product_id)
    except BuildError:
        return None


@bp.get("/f/<slug>/booths/<code>")
@public
def booth_page(slug: str, code: str):
    festival = public_festival(slug)
    booth = db.session.scalar(
        sa.select(Booth)
        .where(Booth.festival_id == festival.id, Booth.code == ops.normalize_code(code))
        .options(selectinload(Booth.hall), selectinload(Booth.zone))
    )
    if booth is None:
        abort(404)
    row = db.session.execute(active_bookings_query(festival.id).where(Booth.id == booth.id)).one()
    _id, blocked, app_state, expires, application_id, _exhibitor = row
    state = derive_state(blocked, app_state, expires, utcnow())
    application = None
    if state == "booked":  # visitors see who is there once the organizers approved it
        application = db.session.scalar(
            sa.select(BoothApplication)
            .where(BoothApplication.id == application_id)
            .options(
                selectinload(BoothApplication.exhibitor),
                selectinload(BoothApplication.products),
            )
        )
    return render_template(
        "booths/plan_booth.html",
        festival=festival,
        booth=booth,
        state=state,
        state_label=ops.BOOTH_STATE_LABELS[state],
        kind_label=ops.BOOTH_KIND_LABELS[booth.kind],
        application=application,
        exhibitor_url=_exhibitor_url(festival, application.exhibitor_id) if application else None,
        product_url=lambda p: _product_url(festival, p.id),
        today=today_local(),
    )


def _booth_rows(festival: Festival, codes: list[str] | None = None) -> list[dict]:
    """Each booth with hall, zone, state and — when it is kept — its exhibitor (fixed number of
    queries), for the printable list and the signs."""
    from booths.states import booth_occupants

    stmt = (
        sa.select(Booth, Hall.name, Zone.name)
        .join(Hall, Hall.id == Booth.hall_id)
        .outerjoin(Zone, Zone.id == Booth.zone_id)
        .where(Booth.festival_id == festival.id)
        .order_by(Hall.position, Hall.id, Booth.code)
    )
    if codes:
        stmt = stmt.where(Booth.code.in_(codes))
    rows = db.session.execute(stmt).all()
    occupants = booth_occupants(festival.id)
    ids = {ex for _s, _a, ex in occupants.values() if ex}
    exhibitors = {}
    if ids:
        exhibitors = {
            e.id: e
            for e in db.session.scalars(
                sa.select(ExhibitorProfile).where(ExhibitorProfile.id.in_(ids))
            )
        }
    out = []
    for booth, hall, zone in rows:
        state, _app, exhibitor_id = occupants.get(booth.id, ("available", None, None))
        out.append(
            {
                "booth": booth,
                "hall": hall,
                "zone": zone,
                "state": state,
                "state_label": ops.BOOTH_STATE_LABELS[state],
                "kind_label": ops.BOOTH_KIND_LABELS[booth.kind],
                "exhibitor": exhibitors.get(exhibitor_id),
            }
        )
    return out


@bp.get("/f/<slug>/manage/booths/plan/list")
@organizer_required
def booth_list(festival: Festival):
    return render_template("booths/plan_list.html", festival=festival, rows=_booth_rows(festival))


@bp.get("/f/<slug>/manage/booths/plan/signs")
@organizer_required
def booth_signs(festival: Festival):
    from ticketing import qrimage

    size = "a5" if request.args.get("size") == "a5" else "a4"
    codes = [ops.normalize_code(c) for c in request.args.getlist("code") if c.strip()]
    rows = _booth_rows(festival, codes or None)
    if codes and not rows:
        abort(404)
    for row in rows:
        url = external_url("booths.booth_page", slug=festival.slug, code=row["booth"].code)
        row["url"] = url
        row["qr"] = qrimage.svg_text(url, scale=4, border=2)
    return render_template("booths/plan_signs.html", festival=festival, rows=rows, size=size)
