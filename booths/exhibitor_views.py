"""Exhibitor pages for the members of an organisation: its profile, logo and products."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from sqlalchemy.orm import selectinload
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from booths import exhibitors as ops
from booths import ocop
from booths.access import can_act_for, profiles_for_user
from booths.labels import EXHIBITOR_KIND_LABELS as KIND_LABELS
from booths.models import EXHIBITOR_KINDS, ExhibitorProfile, Product
from booths.views import bp
from eventday.accounts.forms import EmptyForm
from eventday.accounts.models import Organisation
from eventday.areas.models import Area
from eventday.areas.views import area_json
from eventday.extensions import db
from eventday.festivals.forms import MultiCheckboxField

INT_MESSAGE = _l("Enter a whole number.")


class ExhibitorForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    kind = SelectField(_l("Type"), choices=[])
    display_name = StringField(
        _l("Name shown to visitors"), validators=[DataRequired(), Length(max=255)]
    )
    home_area_id = HiddenField(_l("Home area"))
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    contact_email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=255)])
    description_vi = TextAreaField(_l("Description (Vietnamese)"))
    description_en = TextAreaField(_l("Description (English)"))
    logo = FileField(_l("Logo"), description=_l("JPEG, PNG or WebP, at most 5 MB."))


class ProductForm(FlaskForm):
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(max=255)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=255)])
    description_vi = TextAreaField(_l("Description (Vietnamese)"))
    description_en = TextAreaField(_l("Description (English)"))
    ocop_group = SelectField(_l("OCOP product group (Decision 148)"), choices=[])
    stars = SelectField(_l("OCOP stars"), choices=[])
    score = IntegerField(
        _l("Score (out of 100)"),
        validators=[Optional(), NumberRange(0, 100)],
        description=_l("The stars follow from the score: 3★ from 50, 4★ from 70, 5★ from 90."),
    )
    decision_number = StringField(
        _l("Decision number"),
        validators=[Optional(), Length(max=60)],
        description=_l("As on the certificate, e.g. 123/QĐ-UBND."),
    )
    decision_date = DateField(_l("Decision date"), validators=[Optional()])
    issuing_body = StringField(
        _l("Issued by"),
        validators=[Optional(), Length(max=255)],
        description=_l("As written on the certificate, e.g. UBND tỉnh Quảng Nam."),
    )
    valid_until = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("Leave empty: 36 months after the decision date."),
    )
    price_min_vnd = IntegerField(
        _l("Price from (đồng)"), validators=[Optional(), NumberRange(0, ops.MAX_PRICE_VND)]
    )
    price_max_vnd = IntegerField(
        _l("Price up to (đồng)"), validators=[Optional(), NumberRange(0, ops.MAX_PRICE_VND)]
    )
    unit = StringField(
        _l("Unit"), validators=[Optional(), Length(max=40)], description=_l("e.g. hộp 200 g")
    )
    photos = MultipleFileField(
        _l("Add photos"), description=_l("Up to 4 photos: JPEG, PNG or WebP, at most 5 MB each.")
    )
    remove_photos = MultiCheckboxField(_l("Remove photos"), choices=[], coerce=int)


def _translate_int_errors(form: FlaskForm) -> None:
    for field in form:
        if (
            isinstance(field, IntegerField)
            and field.errors
            and field.raw_data
            and any("integer" in str(e).lower() for e in field.errors)
        ):
            field.errors = [INT_MESSAGE]


def _put_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is None:
            field = getattr(form, "photos", None) or form.display_name
        field.errors = [*(field.errors or []), message]


def _own_exhibitor(exhibitor_id: int) -> ExhibitorProfile:
    exhibitor = db.session.get(ExhibitorProfile, exhibitor_id)
    if exhibitor is None:
        abort(404)
    if not can_act_for(current_user, exhibitor):
        abort(403)
    return exhibitor


def _exhibitor_form(obj: ExhibitorProfile | None = None) -> ExhibitorForm:
    form = ExhibitorForm(obj=obj)
    form.kind.choices = [SelectChoice(k, str(KIND_LABELS[k])) for k in EXHIBITOR_KINDS]
    if request.method == "GET" and obj is not None:
        form.home_area_id.data = str(obj.home_area_id or "")
    return form


def _exhibitor_data(form: ExhibitorForm) -> ops.ExhibitorData | None:
    raw = (form.home_area_id.data or "").strip()
    if raw and not raw.isdigit():
        form.home_area_id.errors = [str(ops.MESSAGES["bad_area"])]
        return None
    return ops.ExhibitorData(
        kind=form.kind.data,
        display_name=form.display_name.data or "",
        home_area_id=int(raw) if raw else None,
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        contact_email=form.contact_email.data or "",
        website=form.website.data or "",
        description_vi=form.description_vi.data or "",
        description_en=form.description_en.data or "",
    )


def _area_data(form: ExhibitorForm) -> list[dict]:
    raw = (form.home_area_id.data or "").strip()
    area = db.session.get(Area, int(raw)) if raw.isdigit() else None
    return [area_json(area)] if area else []


@bp.route("/exhibitors/mine", methods=["GET", "POST"])
@login_required
def my_exhibitors():
    """The user's exhibitor profiles, and a form to create one for an organisation of theirs."""
    organisations = ops.organisations_without_profile(current_user)
    form = _exhibitor_form()
    form.organisation_id.choices = [SelectChoice(str(o.id), o.name) for o in organisations]
    if request.method == "GET" and organisations:
        form.display_name.data = organisations[0].name
    if form.validate_on_submit():
        org_id = form.organisation_id.data
        org = db.session.get(Organisation, int(org_id)) if str(org_id).isdigit() else None
        data = _exhibitor_data(form)
        if org is None or org.id not in {o.id for o in organisations}:
            form.organisation_id.errors = [_("Choose one of your organisations.")]
        elif data is not None:
            try:
                profile = ops.create_exhibitor(current_user, org, data)
            except ops.InvalidData as exc:
                db.session.rollback()
                _put_errors(form, exc.messages())
            except ops.ExhibitorError as exc:
                db.session.rollback()
                form.organisation_id.errors = [exc.message()]
            else:
                db.session.commit()
                flash(_("Exhibitor profile created. Add your products."), "success")
                return redirect(url_for("booths.edit_exhibitor", exhibitor_id=profile.id))
    _translate_int_errors(form)
    return render_template(
        "booths/exhibitor_mine.html",
        profiles=profiles_for_user(current_user),
        organisations=organisations,
        form=form,
        area_data=_area_data(form),
        kinds=KIND_LABELS,
    )


@bp.route("/exhibitors/<int:exhibitor_id>", methods=["GET", "POST"])
@login_required
def edit_exhibitor(exhibitor_id: int):
    exhibitor = _own_exhibitor(exhibitor_id)
    form = _exhibitor_form(exhibitor)
    del form.organisation_id
    if form.validate_on_submit():
        data = _exhibitor_data(form)
        if data is not None:
            try:
                ops.update_exhibitor(exhibitor, data)
                upload = form.logo.data
                if upload and getattr(upload, "filename", ""):
                    ops.set_logo(exhibitor, upload.read())
            except ops.InvalidData as exc:
                db.session.rollback()
                _put_errors(form, exc.messages())
            else:
                db.session.commit()
                flash(_("Exhibitor profile saved."), "success")
                return redirect(url_for("booths.edit_exhibitor", exhibitor_id=exhibitor.id))
        exhibitor = db.session.get(ExhibitorProfile, exhibitor_id)
    products = db.session.scalars(
        sa.select(Product)
        .where(Product.exhibitor_id == exhibitor.id)
        .order_by(Product.position, Product.id)
        .options(selectinload(Product.photos))
    ).all()
    return render_template(
        "booths/exhibitor_edit.html",
        exhibitor=exhibitor,
        form=form,
        products=products,
        area_data=_area_data(form),
    )


def _product_form(product: Product | None) -> ProductForm:
    form = ProductForm(obj=product)
    form.ocop_group.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(code, f"{code} · {vi}") for code, (vi, _en) in ocop.GROUPS.items()
    ]
    form.stars.choices = [SelectChoice("", _("— not rated —"))] + [
        SelectChoice(str(n), "★" * n + (_(" (not OCOP)") if n < 3 else "")) for n in range(1, 6)
    ]
    form.remove_photos.choices = (
        [(p.id, str(i + 1)) for i, p in enumerate(product.photos)] if (product is not None) else []
    )
    if request.method == "GET" and product is not None:
        form.ocop_group.data = product.ocop_group or ""
        form.stars.data = str(product.stars) if product.stars else ""
    return form


def _product_data(form: ProductForm) -> ops.ProductData:
    return ops.ProductData(
        name_vi=form.name_vi.data or "",
        name_en=form.name_en.data or "",
        description_vi=form.description_vi.data or "",
        description_en=form.description_en.data or "",
        ocop_group=form.ocop_group.data or "",
        stars=int(form.stars.data) if (form.stars.data or "").isdigit() else None,
        score=form.score.data,
        decision_number=form.decision_number.data or "",
        decision_date=form.decision_date.data,
        issuing_body=form.issuing_body.data or "",
        valid_until=form.valid_until.data,
        price_min_vnd=form.price_min_vnd.data,
        price_max_vnd=form.price_max_vnd.data,
        unit=form.unit.data or "",
    )


def _uploads(form: ProductForm) -> list[bytes]:
    files = [f for f in (form.photos.data or []) if f and getattr(f, "filename", "")]
    return [f.read() for f in files]


@bp.route(
    "/exhibitors/<int:exhibitor_id>/products/new",
    methods=["GET", "POST"],
    defaults={"product_id": None},
)
@bp.route("/exhibitors/<int:exhibitor_id>/products/<int:product_id>", methods=["GET", "POST"])
@login_required
def edit_product(exhibitor_id: int, product_id: int | None):
    exhibitor = _own_exhibitor(exhibitor_id)
    product = None
    if product_id is not None:
        product = db.session.get(Product, product_id)
        if product is None or product.exhibitor_id != exhibitor.id:
            abort(404)
    delete_form = EmptyForm(prefix="delete")
    if product is not None and request.form.get("delete-submit") and delete_form.validate():
        ops.delete_product(product)
        db.session.commit()
        flash(_("Product deleted."), "success")
        return redirect(url_for("booths.edit_exhibitor", exhibitor_id=exhibitor.id))
    form = _product_form(product)
    if form.validate_on_submit():
        try:
            if product is None:
                target = ops.create_product(exhibitor, _product_data(form))
            else:
                target = ops.update_product(product, _product_data(form))
                ops.remove_photos(target, form.remove_photos.data or [])
            ops.add_photos(target, _uploads(form))
        except ops.InvalidData as exc:
            db.session.rollback()
            _put_errors(form, exc.messages())
            if product is not None:
                product = db.session.get(Product, product_id)
        else:
            db.session.commit()
            flash(_("Product saved."), "success")
            return redirect(
                url_for("booths.edit_product", exhibitor_id=exhibitor.id, product_id=target.id)
            )
    _translate_int_errors(form)
    return render_template(
        "booths/exhibitor_product.html",
        exhibitor=exhibitor,
        product=product,
        form=form,
        delete_form=delete_form,
        max_photos=ops.MAX_PHOTOS,
    )
