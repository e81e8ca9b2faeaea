"""The public directory of a festival: its exhibitors (an approved booth application there) and
the products those applications show, searched without diacritics and filtered.

Every function runs a fixed number of queries whatever the number of exhibitors: filters are
subqueries, and a page's related rows come with joins or one ``selectinload`` each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from booths import ocop
from booths.models import (
    OCOP_MIN_STARS,
    Booth,
    BoothApplication,
    BoothBooking,
    ExhibitorProfile,
    Product,
    Zone,
    application_products,
)
from eventday.areas.models import Area
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ, fold

PER_PAGE = 30
MAX_WORDS = 6


@dataclasses.dataclass
class Filters:
    q: str = ""
    group: str | None = None  # a Decision 148 code; a parent matches its children
    stars: int | None = None  # at least this many stars, current certificates only (3–5)
    area: int | None = None  # home area id (or a parent of it)
    zone: int | None = None  # zone of the exhibitor's booth

    @classmethod
    def parse(cls, q=None, group=None, stars=None, area=None, zone=None, **_ignored) -> Filters:
        """From request arguments (strings) or values; anything invalid is dropped."""

        def as_int(value):
            try:
                return int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                return None

        stars_value = as_int(stars)
        if stars_value is not None and not OCOP_MIN_STARS <= stars_value <= 5:
            stars_value = None
        return cls(
            q=(q or "").strip()[:100],
            group=ocop.normalize_group(group) if group else None,
            stars=stars_value,
            area=as_int(area),
            zone=as_int(zone),
        )

    @property
    def words(self) -> list[str]:
        return fold(self.q).split()[:MAX_WORDS]

    @property
    def product_level(self) -> bool:
        return self.group is not None or self.stars is not None

    @property
    def active(self) -> bool:
        return bool(self.q or self.product_level or self.area or self.zone)


@dataclasses.dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def today_local() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _approved_applications(festival_id: int, f: Filters) -> sa.Select:
    stmt = sa.select(BoothApplication.id).where(
        BoothApplication.festival_id == festival_id, BoothApplication.state == "approved"
    )
    if f.zone is not None:
        stmt = stmt.where(
            sa.exists().where(
                BoothBooking.application_id == BoothApplication.id,
                BoothBooking.active,
                Booth.id == BoothBooking.booth_id,
                Booth.zone_id == f.zone,
            )
        )
    return stmt


def _area_ids(area_id: int) -> sa.Select:
    """The area and the areas under it (two levels: district → communes, province → …)."""
    child = sa.select(Area.id).where(Area.parent_id == area_id)
    grandchild = sa.select(Area.id).where(Area.parent_id.in_(child))
    return sa.select(Area.id).where(
        sa.or_(Area.id == area_id, Area.id.in_(child), Area.id.in_(grandchild))
    )


def _exhibitor_text(word: str):
    return sa.or_(
        ExhibitorProfile.name_folded.like(_like(word), escape="\\"),
        sa.func.lower(ExhibitorProfile.description_en).like(_like(word), escape="\\"),
    )


def _product_text(word: str):
    return sa.or_(
        Product.name_folded.like(_like(word), escape="\\"),
        sa.func.lower(Product.description_en).like(_like(word), escape="\\"),
    )


def current_certificate(stars: int, today: dt.date):
    """At least ``stars`` stars on a certificate valid today (an expired one never counts)."""
    return sa.and_(
        Product.stars >= max(stars, OCOP_MIN_STARS),
        Product.decision_date.is_not(None),
        Product.valid_until >= today,
    )


def _group(code: str):
    return sa.or_(Product.ocop_group == code, Product.ocop_group.like(code + ".%"))


def _product_conditions(f: Filters, today: dt.date, *, with_text: bool) -> list:
    conditions = []
    if f.group:
        conditions.append(_group(f.group))
    if f.stars is not None:
        conditions.append(current_certificate(f.stars, today))
    if with_text:
        for word in f.words:
            # A product matches a word by its own name or description, or its maker's name.
            conditions.append(sa.or_(_product_text(word), _exhibitor_text(word)))
    return conditions


def _exhibitor_conditions(f: Filters) -> list:
    conditions = []
    if f.area is not None:
        conditions.append(ExhibitorProfile.home_area_id.in_(_area_ids(f.area)))
    return conditions


def products_query(festival_id: int, f: Filters, today: dt.date) -> sa.Select:
    """Products shown by the festival's approved applications, matching ``f`` (no duplicates)."""
    shown = sa.select(application_products.c.product_id).where(
        application_products.c.application_id.in_(_approved_applications(festival_id, f))
    )
    return (
        sa.select(Product)
        .join(ExhibitorProfile, ExhibitorProfile.id == Product.exhibitor_id)
        .where(
            Product.id.in_(shown),
            *_product_conditions(f, today, with_text=True),
            *_exhibitor_conditions(f),
        )
    )


def exhibitors_query(festival_id: int, f: Filters, today: dt.date) -> sa.Select:
    """The festival's exhibitors matching ``f``: by their own name, or by a product they show
    there that matches the words and the product filters (group, stars)."""
    apps = _approved_applications(festival_id, f)
    stmt = sa.select(ExhibitorProfile).where(
        ExhibitorProfile.id.in_(
            sa.select(BoothApplication.exhibitor_id).where(BoothApplication.id.in_(apps))
        ),
        *_exhibitor_conditions(f),
    )
    if not f.words and not f.product_level:
        return stmt
    shown = sa.select(application_products.c.product_id).where(
        application_products.c.application_id.in_(apps)
    )
    product_match = sa.exists().where(
        Product.exhibitor_id == ExhibitorProfile.id,
        Product.id.in_(shown),
        *_product_conditions(f, today, with_text=False),
        *[_product_text(word) for word in f.words],
    )
    options = [product_match]
    if f.words and not f.product_level:
        options.append(sa.and_(*[_exhibitor_text(word) for word in f.words]))
    return stmt.where(sa.or_(*options))


def _paged(stmt: sa.Select, page: int, per_page: int, order, options) -> Page:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(
        db.session.scalars(
            stmt.order_by(*order).options(*options).limit(per_page).offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def search_products(
    festival_id: int,
    f: Filters,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    today: dt.date | None = None,
) -> Page:
    """A page of products (with their exhibitor and photos): 3 queries."""
    today = today or today_local()
    return _paged(
        products_query(festival_id, f, today),
        page,
        per_page,
        (Product.name_folded, Product.id),
        (joinedload(Product.exhibitor), selectinload(Product.photos)),
    )


def search_exhibitors(
    festival_id: int,
    f: Filters,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    today: dt.date | None = None,
) -> Page:
    """A page of exhibitors (with their home area): 2 queries."""
    today = today or today_local()
    return _paged(
        exhibitors_query(festival_id, f, today),
        page,
        per_page,
        (ExhibitorProfile.name_folded, ExhibitorProfile.id),
        (joinedload(ExhibitorProfile.home_area),),
    )


def booth_codes(festival_id: int, exhibitor_ids: list[int]) -> dict[int, list[str]]:
    """exhibitor id -> codes of its booths at the festival (approved applications): 1 query."""
    if not exhibitor_ids:
        return {}
    rows = db.session.execute(
        sa.select(BoothApplication.exhibitor_id, Booth.code)
        .join(BoothBooking, BoothBooking.application_id == BoothApplication.id)
        .join(Booth, Booth.id == BoothBooking.booth_id)
        .where(
            BoothApplication.festival_id == festival_id,
            BoothApplication.state == "approved",
            BoothBooking.active,
            BoothApplication.exhibitor_id.in_(exhibitor_ids),
        )
        .order_by(Booth.code)
    )
    out: dict[int, list[str]] = {}
    for exhibitor_id, code in rows:
        codes = out.setdefault(exhibitor_id, [])
        if code not in codes:
            codes.append(code)
    return out


def shown_product_counts(festival_id: int, exhibitor_ids: list[int]) -> dict[int, int]:
    """exhibitor id -> number of products it shows at the festival: 1 query."""
    if not exhibitor_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            BoothApplication.exhibitor_id,
            sa.func.count(sa.distinct(application_products.c.product_id)),
        )
        .join(application_products, application_products.c.application_id == BoothApplication.id)
        .where(
            BoothApplication.festival_id == festival_id,
            BoothApplication.state == "approved",
            BoothApplication.exhibitor_id.in_(exhibitor_ids),
        )
        .group_by(BoothApplication.exhibitor_id)
    )
    return dict(rows.all())


def is_exhibiting(festival_id: int, exhibitor_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(BoothApplication.id)
            .where(
                BoothApplication.festival_id == festival_id,
                BoothApplication.exhibitor_id == exhibitor_id,
                BoothApplication.state == "approved",
            )
            .limit(1)
        )
        is not None
    )


def has_exhibitors(festival_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(BoothApplication.id)
            .where(
                BoothApplication.festival_id == festival_id, BoothApplication.state == "approved"
            )
            .limit(1)
        )
        is not None
    )


def shown_products(festival_id: int, exhibitor_id: int) -> list[Product]:
    """The products an exhibitor shows at the festival, with their photos: 2 queries."""
    shown = (
        sa.select(application_products.c.product_id)
        .join(BoothApplication, BoothApplication.id == application_products.c.application_id)
        .where(
            BoothApplication.festival_id == festival_id,
            BoothApplication.exhibitor_id == exhibitor_id,
            BoothApplication.state == "approved",
        )
    )
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.id.in_(shown))
            .order_by(Product.position, Product.id)
            .options(selectinload(Product.photos))
        )
    )


def shown_product(festival_id: int, product_id: int) -> Product | None:
    """The product if an approved application of the festival shows it (with exhibitor and
    photos), else None."""
    shown = (
        sa.select(application_products.c.product_id)
        .join(BoothApplication, BoothApplication.id == application_products.c.application_id)
        .where(
            BoothApplication.festival_id == festival_id,
            BoothApplication.state == "approved",
            application_products.c.product_id == product_id,
        )
    )
    return db.session.scalar(
        sa.select(Product)
        .where(Product.id.in_(shown))
        .options(joinedload(Product.exhibitor), selectinload(Product.photos))
    )


def area_choices(festival_id: int) -> list[Area]:
    """The home areas of the festival's exhibitors, by name: 1 query."""
    ids = sa.select(ExhibitorProfile.home_area_id).where(
        ExhibitorProfile.id.in_(
            sa.select(BoothApplication.exhibitor_id).where(
                BoothApplication.festival_id == festival_id,
                BoothApplication.state == "approved",
            )
        )
    )
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(ids)).order_by(Area.name)))


def zone_choices(festival_id: int) -> list[Zone]:
    return list(
        db.session.scalars(
            sa.select(Zone).where(Zone.festival_id == festival_id).order_by(Zone.position, Zone.id)
        )
    )


def matching_booth_ids(festival_id: int, q: str | None = None, **filters) -> set[int]:
    """Booths (active bookings of approved applications) whose exhibitor matches the search,
    by its own name or a product it shows there: 1 query. For the public map."""
    f = Filters.parse(q=q, **filters)
    exhibitors = exhibitors_query(festival_id, f, today_local()).with_only_columns(
        ExhibitorProfile.id
    )
    apps = _approved_applications(festival_id, f).where(
        BoothApplication.exhibitor_id.in_(exhibitors)
    )
    return set(
        db.session.scalars(
            sa.select(BoothBooking.booth_id).where(
                BoothBooking.active, BoothBooking.application_id.in_(apps)
            )
        )
    )
