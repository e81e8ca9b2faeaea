"""The public directory of a festival's exhibitors and products, their pages, uploaded images,
and the organizers' certificate check."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.utils import secure_filename

from booths import exhibitors as ops
from booths import ocop, search
from booths.models import ExhibitorProfile, Product
from booths.views import bp, public_festival
from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.festivals.util import register_public_action
from eventday.i18n import current_lang
from eventday.permissions import can_manage, organizer_required, public

MEDIA_FOLDERS = ("logos", "products")
ARG_KEYS = ("q", "group", "stars", "area", "zone", "view")


@register_public_action
def _directory_action(festival: Festival):
    if not search.has_exhibitors(festival.id):
        return None
    return (_("Exhibitors and products"), url_for("booths.directory", slug=festival.slug))


def group_label(code: str | None) -> str:
    if not code or code not in ocop.GROUPS:
        return ""
    vi, en = ocop.GROUPS[code]
    return f"{code} · {vi if current_lang() == 'vi' else en}"


@bp.app_context_processor
def _directory_helpers():
    return {"ocop_group_label": group_label, "product_thumb": _thumb_url}


def _thumb_url(photo) -> str:
    return url_for("booths.media", folder="products", name=Path(photo.file).stem + "_t.jpg")


@bp.get("/media/booths/<folder>/<name>")
@public
def media(folder: str, name: str):
    """Uploaded logos and product photos (names are random; the folder is fixed)."""
    from flask import send_from_directory

    safe = secure_filename(name)
    if folder not in MEDIA_FOLDERS or safe != name:
        abort(404)
    base = Path(current_app.config["UPLOAD_DIR"]) / folder
    return send_from_directory(base, safe, max_age=60 * 60 * 24 * 30)


@bp.get("/f/<slug>/exhibitors")
@public
def directory(slug: str):
    festival = public_festival(slug)
    f = search.Filters.parse(**request.args.to_dict())
    view = "exhibitors" if request.args.get("view") == "exhibitors" else "products"
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() else 1
    today = search.today_local()
    codes: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    if view == "products":
        page = search.search_products(festival.id, f, page=page_number, today=today)
        codes = search.booth_codes(festival.id, list({p.exhibitor_id for p in page.items}))
    else:
        page = search.search_exhibitors(festival.id, f, page=page_number, today=today)
        ids = [e.id for e in page.items]
        codes = search.booth_codes(festival.id, ids)
        counts = search.shown_product_counts(festival.id, ids)
    args = {k: v for k, v in request.args.items() if k in ARG_KEYS and v}
    try:  # helper pages may not be there yet
        map_url = url_for("booths.public_map", slug=festival.slug, **args)
    except BuildError:
        map_url = None
    return render_template(
        "booths/directory_list.html",
        festival=festival,
        f=f,
        view=view,
        page=page,
        codes=codes,
        counts=counts,
        today=today,
        args=args,
        map_url=map_url,
        groups=[(code, group_label(code)) for code in ocop.GROUPS],
        areas=search.area_choices(festival.id),
        zones=search.zone_choices(festival.id),
    )


@bp.get("/f/<slug>/exhibitors/<int:exhibitor_id>")
@public
def exhibitor_page(slug: str, exhibitor_id: int):
    festival = public_festival(slug)
    exhibitor = db.session.get(ExhibitorProfile, exhibitor_id)
    if exhibitor is None or not search.is_exhibiting(festival.id, exhibitor.id):
        abort(404)
    return render_template(
        "booths/directory_exhibitor.html",
        festival=festival,
        exhibitor=exhibitor,
        products=search.shown_products(festival.id, exhibitor.id),
        codes=search.booth_codes(festival.id, [exhibitor.id]).get(exhibitor.id, []),
        today=search.today_local(),
    )


@bp.get("/f/<slug>/products/<int:product_id>")
@public
def product_page(slug: str, product_id: int):
    festival = public_festival(slug)
    product = search.shown_product(festival.id, product_id)
    if product is None:
        abort(404)
    return render_template(
        "booths/directory_product.html",
        festival=festival,
        product=product,
        exhibitor=product.exhibitor,
        codes=search.booth_codes(festival.id, [product.exhibitor_id]).get(product.exhibitor_id, []),
        today=search.today_local(),
        can_verify=can_manage(current_user, festival) and ops.can_verify(current_user, product),
        verify_form=EmptyForm(),
    )


@bp.post("/f/<slug>/manage/products/<int:product_id>/verify")
@organizer_required
def verify_certificate(festival: Festival, product_id: int):
    product = db.session.get(Product, product_id)
    if product is None or festival.id not in ops.festivals_showing(product):
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.verify_certificate(product, current_user)
    except ops.ExhibitorError as exc:
        db.session.rollback()
        flash(exc.message(), "danger")
    else:
        db.session.commit()
        flash(_("Certificate marked as verified by the organizers."), "success")
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("booths.product_page", slug=festival.slug, product_id=product.id)
    return redirect(target)
