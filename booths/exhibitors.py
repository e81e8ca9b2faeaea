"""Exhibitor profiles and their products (with OCOP certificates and photos).

Operations take objects and plain data, flush, never commit. Bad data raises ``InvalidData``
with every problem found, keyed by field, so a form can show each next to its input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from booths import ocop
from booths.models import (
    ACTIVE_APPLICATION_STATES,
    EXHIBITOR_KINDS,
    BoothApplication,
    ExhibitorProfile,
    Product,
    ProductPhoto,
    application_products,
)
from eventday import uploads
from eventday.accounts.models import Organisation, OrganisationMember
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ, PhoneError, fold, normalize_phone
from eventday.permissions import can_manage

MAX_PHOTOS = 4
LOGO_SIZE = (400, 400)
PHOTO_SIZE = (1200, 1200)
THUMB_SIZE = (320, 320)
MAX_PRICE_VND = 10_000_000_000  # 10 billion đồng: anything above is a typo

# The fields of a product's OCOP certificate: changing any of them after an organizer verified
# the certificate withdraws the verification (the name too: a certificate names the product).
CERTIFICATE_FIELDS = (
    "name_vi",
    "ocop_group",
    "stars",
    "score",
    "decision_number",
    "decision_date",
    "issuing_body",
    "valid_until",
)

MESSAGES = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "bad_kind": _l("Choose a type from the list."),
    "bad_area": _l("Unknown area. Pick one from the list."),
    "bad_phone": _l("Enter a valid phone number, e.g. 0905 123 456."),
    "bad_email": _l("Enter a valid email address."),
    "bad_group": _l("Unknown OCOP group code. Use a code of Decision 148, e.g. I.5.b."),
    "bad_stars": _l("Stars go from 1 to 5."),
    "bad_score": _l("The score goes from 0 to 100."),
    "stars_score_mismatch": _l(
        "These stars do not match the score (Decision 148: 3★ from 50, 4★ from 70, 5★ from 90)."
    ),
    "stars_need_decision": _l("Give the date of the decision that awarded the stars."),
    "decision_needs_stars": _l("Give the stars (or the score) the decision awarded."),
    "decision_in_future": _l("The decision date cannot be in the future."),
    "valid_before_decision": _l("The certificate cannot end before its decision date."),
    "bad_price": _l("Enter a price in đồng, e.g. 150000."),
    "price_range": _l("The lowest price cannot be above the highest price."),
    "too_many_photos": _l("At most 4 photos per product."),
    "image_too_large": _l("The image is too large (at most 5 MB)."),
    "not_image": _l("This file is not an image we can use (JPEG, PNG or WebP)."),
    "profile_exists": _l("This organisation already has an exhibitor profile."),
    "not_member": _l("You are not a member of this organisation."),
    "no_certificate": _l("This product has no OCOP certificate to verify."),
    "not_organizer": _l("Only the organizers of a festival showing this product can verify it."),
}


class ExhibitorError(Exception):
    """A domain error: ``reason`` is a key of MESSAGES."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        return str(MESSAGES[self.reason])


class InvalidData(ExhibitorError):
    """Bad input: ``errors`` maps field names to reasons (keys of MESSAGES)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid")
        self.errors = errors

    def messages(self) -> dict[str, str]:
        return {field: str(MESSAGES[reason]) for field, reason in self.errors.items()}


@dataclasses.dataclass
class ExhibitorData:
    kind: str
    display_name: str
    home_area_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    website: str = ""
    description_vi: str = ""
    description_en: str = ""


@dataclasses.dataclass
class ProductData:
    name_vi: str
    name_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    ocop_group: str = ""
    stars: int | None = None
    score: int | None = None
    decision_number: str = ""
    decision_date: dt.date | None = None
    issuing_body: str = ""
    valid_until: dt.date | None = None
    price_min_vnd: int | None = None
    price_max_vnd: int | None = None
    unit: str = ""


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def is_member(user, organisation_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return (
        db.session.scalar(
            sa.select(OrganisationMember.id).where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.user_id == user.id,
            )
        )
        is not None
    )


def organisations_without_profile(user) -> list[Organisation]:
    """The user's organisations that have no exhibitor profile yet."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
            .outerjoin(ExhibitorProfile, ExhibitorProfile.organisation_id == Organisation.id)
            .where(OrganisationMember.user_id == user.id, ExhibitorProfile.id.is_(None))
            .order_by(Organisation.name_folded)
        )
    )


# --------------------------------------------------------------------------- profiles


def _check_exhibitor(data: ExhibitorData) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    if data.kind not in EXHIBITOR_KINDS:
        errors["kind"] = "bad_kind"
    name = _clean(data.display_name)
    if not name:
        errors["display_name"] = "required"
    elif len(name) > 255:
        errors["display_name"] = "too_long"
    values["display_name"] = name
    if data.home_area_id is not None and db.session.get(Area, data.home_area_id) is None:
        errors["home_area_id"] = "bad_area"
    try:
        values["contact_phone"] = normalize_phone(data.contact_phone)
    except PhoneError:
        errors["contact_phone"] = "bad_phone"
    email = (data.contact_email or "").strip()
    if email and ("@" not in email or " " in email or len(email) > 254):
        errors["contact_email"] = "bad_email"
    values["contact_email"] = email.lower() or None
    for field, limit in (("contact_name", 200), ("website", 255)):
        value = _clean(getattr(data, field))
        if len(value) > limit:
            errors[field] = "too_long"
        values[field] = value or None
    if errors:
        raise InvalidData(errors)
    values.update(
        kind=data.kind,
        name_folded=fold(name)[:255],
        home_area_id=data.home_area_id,
        description_vi=(data.description_vi or "").strip(),
        description_en=(data.description_en or "").strip(),
    )
    return values


def create_exhibitor(user, organisation: Organisation, data: ExhibitorData) -> ExhibitorProfile:
    """A profile for an organisation the user belongs to (one per organisation)."""
    if not is_member(user, organisation.id):
        raise ExhibitorError("not_member")
    values = _check_exhibitor(data)
    exists = db.session.scalar(
        sa.select(ExhibitorProfile.id).where(ExhibitorProfile.organisation_id == organisation.id)
    )
    if exists is not None:
        raise InvalidData({"organisation_id": "profile_exists"})
    profile = ExhibitorProfile(organisation_id=organisation.id, **values)
    db.session.add(profile)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:  # a concurrent creation: the unique key says no
        raise InvalidData({"organisation_id": "profile_exists"}) from exc
    return profile


def update_exhibitor(profile: ExhibitorProfile, data: ExhibitorData) -> ExhibitorProfile:
    for key, value in _check_exhibitor(data).items():
        setattr(profile, key, value)
    db.session.flush()
    return profile


def _image(raw: bytes, size: tuple[int, int]) -> bytes:
    try:
        return uploads.process_image(
            raw, max_bytes=current_app.config.get("COVER_MAX_BYTES", 5 * 1024 * 1024), max_size=size
        )
    except uploads.ImageError as exc:
        reason = "image_too_large" if exc.reason == "too_large" else "not_image"
        raise InvalidData({"photos": reason}) from exc


def set_logo(profile: ExhibitorProfile, raw: bytes) -> None:
    """Check the upload by content, resize it, replace the logo. Raises InvalidData("logo")."""
    try:
        data = _image(raw, LOGO_SIZE)
    except InvalidData as exc:
        raise InvalidData({"logo": exc.errors["photos"]}) from exc
    old = profile.logo
    profile.logo = uploads.store(data, "logos")
    db.session.flush()
    uploads.remove("logos", old)


# --------------------------------------------------------------------------- products


def _check_product(data: ProductData) -> dict:
    errors: dict[str, str] = {}
    name_vi, name_en = _clean(data.name_vi), _clean(data.name_en)
    if not name_vi:
        errors["name_vi"] = "required"
    elif len(name_vi) > 255:
        errors["name_vi"] = "too_long"
    if len(name_en) > 255:
        errors["name_en"] = "too_long"
    group = None
    if _clean(data.ocop_group):
        group = ocop.normalize_group(data.ocop_group)
        if group is None:
            errors["ocop_group"] = "bad_group"
    stars, score = data.stars, data.score
    if stars is not None and not 1 <= stars <= 5:
        errors["stars"] = "bad_stars"
    if score is not None and not 0 <= score <= 100:
        errors["score"] = "bad_score"
    if "stars" not in errors and "score" not in errors and score is not None:
        # The score decides the stars (Decision 148 bands): derive them when not given,
        # refuse a contradiction rather than guess which one is the typo.
        if stars is None:
            stars = ocop.stars_for_score(score)
        elif stars != ocop.stars_for_score(score):
            errors["stars"] = "stars_score_mismatch"
    decision_date = data.decision_date
    if stars is not None and decision_date is None and "stars" not in errors:
        errors["decision_date"] = "stars_need_decision"
    if decision_date is not None:
        if stars is None and "stars" not in errors and "score" not in errors:
            errors["stars"] = "decision_needs_stars"
        if decision_date > _today():
            errors["decision_date"] = "decision_in_future"
    valid_until = data.valid_until
    if decision_date is not None and valid_until is None:
        valid_until = ocop.default_valid_until(decision_date)
    if decision_date is not None and valid_until is not None and valid_until < decision_date:
        errors["valid_until"] = "valid_before_decision"
    if decision_date is None:
        valid_until = None  # no certificate, no validity
    for field in ("price_min_vnd", "price_max_vnd"):
        value = getattr(data, field)
        if value is not None and not 0 <= value <= MAX_PRICE_VND:
            errors[field] = "bad_price"
    if (
        data.price_min_vnd is not None
        and data.price_max_vnd is not None
        and "price_min_vnd" not in errors
        and "price_max_vnd" not in errors
        and data.price_min_vnd > data.price_max_vnd
    ):
        errors["price_max_vnd"] = "price_range"
    for field, limit in (("decision_number", 60), ("issuing_body", 255), ("unit", 40)):
        if len(_clean(getattr(data, field))) > limit:
            errors[field] = "too_long"
    if errors:
        raise InvalidData(errors)
    return {
        "name_vi": name_vi,
        "name_en": name_en or None,
        "name_folded": fold(f"{name_vi} {name_en}")[:255],
        "description_vi": (data.description_vi or "").strip(),
        "description_en": (data.description_en or "").strip(),
        "ocop_group": group,
        "stars": stars,
        "score": score,
        "decision_number": _clean(data.decision_number) or None,
        "decision_date": decision_date,
        "issuing_body": _clean(data.issuing_body) or None,
        "valid_until": valid_until,
        "price_min_vnd": data.price_min_vnd,
        "price_max_vnd": data.price_max_vnd,
        "unit": _clean(data.unit) or None,
    }


def create_product(exhibitor: ExhibitorProfile, data: ProductData) -> Product:
    values = _check_product(data)
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Product.position), -1)).where(
            Product.exhibitor_id == exhibitor.id
        )
    )
    product = Product(exhibitor_id=exhibitor.id, position=position + 1, **values)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, data: ProductData) -> Product:
    """Save the changes; a verified certificate whose fields changed is no longer verified.

    A validity left at the old default (decision + 36 months) follows a new decision date."""
    if (
        data.valid_until is not None
        and product.decision_date is not None
        and data.decision_date != product.decision_date
        and data.valid_until == ocop.default_valid_until(product.decision_date)
    ):
        data = dataclasses.replace(data, valid_until=None)
    values = _check_product(data)
    changed = any(getattr(product, f) != values[f] for f in CERTIFICATE_FIELDS)
    for key, value in values.items():
        setattr(product, key, value)
    if changed and product.verified_at is not None:
        product.verified_at = None
        product.verified_by_id = None
    db.session.flush()
    return product


def _thumb_name(name: str) -> str:
    return Path(name).stem + "_t.jpg"


def add_photos(product: Product, raws: list[bytes]) -> list[ProductPhoto]:
    """Check each upload by content, resize it (and a thumbnail), add it; at most 4 in all.
    Nothing is stored when any file is refused."""
    raws = [raw for raw in raws if raw]
    if not raws:
        return []
    if len(product.photos) + len(raws) > MAX_PHOTOS:
        raise InvalidData({"photos": "too_many_photos"})
    processed = [(_image(raw, PHOTO_SIZE), _image(raw, THUMB_SIZE)) for raw in raws]
    folder = Path(current_app.config["UPLOAD_DIR"]) / "products"
    position = max((p.position for p in product.photos), default=-1)
    added = []
    for full, thumb in processed:
        name = uploads.store(full, "products")
        (folder / _thumb_name(name)).write_bytes(thumb)
        position += 1
        photo = ProductPhoto(file=name, position=position)
        product.photos.append(photo)
        added.append(photo)
    db.session.flush()
    return added


def _remove_photo_files(name: str) -> None:
    uploads.remove("products", name)
    uploads.remove("products", _thumb_name(name))


def remove_photos(product: Product, photo_ids: list[int]) -> int:
    gone = [p for p in product.photos if p.id in set(photo_ids)]
    for photo in gone:
        product.photos.remove(photo)
    db.session.flush()
    for photo in gone:
        _remove_photo_files(photo.file)
    return len(gone)


def delete_product(product: Product) -> None:
    names = [p.file for p in product.photos]
    db.session.delete(product)
    db.session.flush()
    for name in names:
        _remove_photo_files(name)


# --------------------------------------------------------------------------- verification


def festivals_showing(product: Product) -> list[int]:
    """Ids of the festivals where an active application (held, pending, approved) shows it."""
    return list(
        db.session.scalars(
            sa.select(BoothApplication.festival_id)
            .join(
                application_products,
                application_products.c.application_id == BoothApplication.id,
            )
            .where(
                application_products.c.product_id == product.id,
                BoothApplication.state.in_(ACTIVE_APPLICATION_STATES),
            )
            .distinct()
        )
    )


def can_verify(user, product: Product) -> bool:
    """An organizer of a festival where an approved application shows the product — never
    someone who acts for its exhibitor (unless a site admin): nobody checks their own."""
    from booths.access import can_act_for
    from eventday.festivals.models import Festival

    if user is None or not user.is_authenticated:
        return False
    if not user.is_admin and can_act_for(user, product.exhibitor):
        return False
    ids = list(
        db.session.scalars(
            sa.select(BoothApplication.festival_id)
            .join(
                application_products,
                application_products.c.application_id == BoothApplication.id,
            )
            .where(
                application_products.c.product_id == product.id,
                BoothApplication.state == "approved",
            )
            .distinct()
        )
    )
    if not ids:
        return False
    festivals = db.session.scalars(sa.select(Festival).where(Festival.id.in_(ids)))
    return any(can_manage(user, f) for f in festivals)


def verify_certificate(product: Product, user, now: dt.datetime | None = None) -> Product:
    """An organizer of a festival showing the product checked its certificate."""
    if product.decision_date is None or product.stars is None:
        raise ExhibitorError("no_certificate")
    if not can_verify(user, product):
        raise ExhibitorError("not_organizer")
    product.verified_at = now or utcnow()
    product.verified_by_id = user.id
    db.session.flush()
    return product
