"""Exhibitors and their products (with OCOP certificates), floor plans (halls, zones, booths),
booth applications with holds, and leads captured at the booth.

A booth's state is derived, never stored: blocked, or from its active booking — held (an
unexpired hold), pending approval, booked — or available. One active booking per booth is
enforced by the partial unique index ``uq_booth_bookings_one_active`` and, before it, by a row
lock on the booth (``booths.operations``).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow
from ticketing import models as _ticketing  # noqa: F401 - orders and tickets are referred to

EXHIBITOR_KINDS = (
    "ocop_producer",
    "cooperative",
    "startup",
    "enterprise",
    "household_business",
    "union",
    "school",
    "other",
)
BOOTH_KINDS = ("ocop", "startup", "sponsor", "union", "school", "food", "outdoor")
BOOTH_STATES = ("available", "held", "pending", "booked", "blocked")
APPLICATION_STATES = (
    "held",  # booths picked, the application not sent yet: the hold runs out
    "pending",  # sent, awaiting the organizers
    "approved",
    "waitlisted",  # not now; keeps no booth
    "rejected",
    "withdrawn",
    "expired",  # the hold ran out before it was sent
)
# Applications whose bookings keep their booths.
ACTIVE_APPLICATION_STATES = ("held", "pending", "approved")
CERTIFICATE_VALID_MONTHS = 36
OCOP_MIN_STARS = 3  # 1★ and 2★ are not recognised OCOP products


class ExhibitorProfile(IdMixin, CreatedAtMixin, Base):
    """What an organisation shows as an exhibitor, at any festival."""

    __tablename__ = "exhibitors"
    __table_args__ = (enum_check("kind", EXHIBITOR_KINDS),)

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(sa.String(24))
    display_name: Mapped[str] = mapped_column(sa.String(255))
    name_folded: Mapped[str] = mapped_column(sa.String(255), index=True)
    home_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(20))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(255))
    description_vi: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    logo: Mapped[str | None] = mapped_column(sa.String(64))  # file name under uploads/logos
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation = relationship("Organisation")
    home_area = relationship("Area")
    products: Mapped[list[Product]] = relationship(
        back_populates="exhibitor",
        cascade="all, delete-orphan",
        order_by="(Product.position, Product.id)",
    )


class Product(IdMixin, CreatedAtMixin, Base):
    """A product an exhibitor shows, with its OCOP certificate when it has one."""

    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("stars IS NULL OR stars BETWEEN 1 AND 5", name="stars_range"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
        sa.CheckConstraint(
            "price_min_vnd IS NULL OR price_min_vnd >= 0", name="price_min_non_negative"
        ),
        sa.CheckConstraint(
            "price_max_vnd IS NULL OR price_min_vnd IS NULL OR price_max_vnd >= price_min_vnd",
            name="price_range_ordered",
        ),
    )

    exhibitor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exhibitors.id", ondelete="CASCADE"), index=True
    )
    name_vi: Mapped[str] = mapped_column(sa.String(255))
    name_en: Mapped[str | None] = mapped_column(sa.String(255))
    name_folded: Mapped[str] = mapped_column(sa.String(255), index=True)
    description_vi: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    # Decision 148/QĐ-TTg group code, e.g. "I.3.c" (booths.ocop.GROUPS).
    ocop_group: Mapped[str | None] = mapped_column(sa.String(8), index=True)
    stars: Mapped[int | None] = mapped_column(sa.SmallInteger)
    score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    decision_number: Mapped[str | None] = mapped_column(sa.String(60))
    decision_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    issuing_body: Mapped[str | None] = mapped_column(sa.String(255))  # as issued, as text
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    price_min_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    price_max_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    unit: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    exhibitor: Mapped[ExhibitorProfile] = relationship(back_populates="products")
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="(ProductPhoto.position, ProductPhoto.id)",
    )

    def ocop_status(self, today: dt.date) -> str:
        """'current' (3★–5★, certificate valid today), 'expired' (3★–5★, no longer valid) or
        'none' (no certificate, or 1★–2★, which are not OCOP ratings)."""
        if self.stars is None or self.stars < OCOP_MIN_STARS or self.decision_date is None:
            return "none"
        if self.valid_until is None or self.valid_until < today:
            return "expired"
        return "current"


class ProductPhoto(IdMixin, Base):
    __tablename__ = "product_photos"

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    file: Mapped[str] = mapped_column(sa.String(64))  # under uploads/products
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="photos")


class Hall(IdMixin, Base):
    """A hall or an outdoor area of the venue, drawn on a grid of metres."""

    __tablename__ = "halls"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "name"),
        sa.CheckConstraint("width_m > 0 AND depth_m > 0", name="size_positive"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    width_m: Mapped[int] = mapped_column(default=40)
    depth_m: Mapped[int] = mapped_column(default=24)
    outdoor: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    zones: Mapped[list[Zone]] = relationship(
        back_populates="hall", cascade="all, delete-orphan", order_by="Zone.position"
    )
    booths: Mapped[list[Booth]] = relationship(back_populates="hall", order_by="Booth.code")


class Zone(IdMixin, Base):
    """A named rectangle of a hall ("Gian OCOP Tây Giang", "Khởi nghiệp", "Ẩm thực")."""

    __tablename__ = "zones"
    __table_args__ = (
        sa.UniqueConstraint("hall_id", "name"),
        sa.CheckConstraint("width_m > 0 AND depth_m > 0", name="size_positive"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("halls.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    color: Mapped[str] = mapped_column(sa.String(7), default="#e8f1ea")
    x: Mapped[int] = mapped_column(default=0)
    y: Mapped[int] = mapped_column(default=0)
    width_m: Mapped[int] = mapped_column(default=10)
    depth_m: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)

    hall: Mapped[Hall] = relationship(back_populates="zones")


class Booth(IdMixin, CreatedAtMixin, Base):
    """A booth on the plan: code, place and size in metres, type, price, who it is kept for."""

    __tablename__ = "booths"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "code"),
        enum_check("kind", BOOTH_KINDS),
        sa.CheckConstraint("width_m > 0 AND depth_m > 0", name="size_positive"),
        sa.CheckConstraint("price_vnd >= 0", name="price_non_negative"),
        sa.CheckConstraint("staff_passes >= 0", name="staff_passes_non_negative"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("zones.id", ondelete="SET NULL"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(12))
    x: Mapped[int] = mapped_column(default=0)
    y: Mapped[int] = mapped_column(default=0)
    width_m: Mapped[int] = mapped_column(default=3)
    depth_m: Mapped[int] = mapped_column(default=3)
    corner: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[str] = mapped_column(sa.String(12), default="ocop")
    price_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Kept for a participant group or a home area ("OCOP Tây Giang"): others cannot pick it.
    reserved_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant_groups.id", ondelete="SET NULL")
    )
    reserved_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    blocked: Mapped[bool] = mapped_column(default=False)
    blocked_reason: Mapped[str | None] = mapped_column(sa.String(200))
    staff_passes: Mapped[int] = mapped_column(default=2)  # exhibitor passes on approval

    hall: Mapped[Hall] = relationship(back_populates="booths")
    zone = relationship("Zone")
    reserved_group = relationship("ParticipantGroup")
    reserved_area = relationship("Area")


application_products = sa.Table(
    "booth_application_products",
    Base.metadata,
    sa.Column(
        "application_id",
        sa.ForeignKey("booth_applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class BoothFeeWaiver(IdMixin, Base):
    """Booth fees waived for a participant group (a district's support programme pays)."""

    __tablename__ = "booth_fee_waivers"
    __table_args__ = (sa.UniqueConstraint("festival_id", "group_id"),)

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant_groups.id", ondelete="CASCADE")
    )
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    group = relationship("ParticipantGroup")


class BoothApplication(IdMixin, CreatedAtMixin, Base):
    """An exhibitor's request for one or more booths at a festival."""

    __tablename__ = "booth_applications"
    __table_args__ = (
        enum_check("state", APPLICATION_STATES),
        sa.CheckConstraint("tables >= 0 AND chairs >= 0", name="furniture_non_negative"),
        sa.CheckConstraint("fee_vnd >= 0", name="fee_non_negative"),
        sa.Index("ix_booth_applications_festival_state", "festival_id", "state"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    exhibitor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exhibitors.id", ondelete="CASCADE"), index=True
    )
    applicant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The participant group the exhibitor comes under (reserved booths, fee waivers).
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant_groups.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(sa.String(12), default="held")
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    needs_electricity: Mapped[bool] = mapped_column(default=False)
    tables: Mapped[int] = mapped_column(default=1)
    chairs: Mapped[int] = mapped_column(default=2)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    fee_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    fee_waived: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    # The free order holding the exhibitor's staff passes (tickets), issued on approval.
    passes_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL")
    )
    reject_reason: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    festival = relationship("Festival")
    exhibitor: Mapped[ExhibitorProfile] = relationship()
    group = relationship("ParticipantGroup")
    order = relationship("Order", foreign_keys=[order_id])
    passes_order = relationship("Order", foreign_keys=[passes_order_id])
    bookings: Mapped[list[BoothBooking]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="BoothBooking.id"
    )
    products = relationship("Product", secondary=application_products)

    @property
    def booths(self) -> list[Booth]:
        return [b.booth for b in self.bookings]


class BoothBooking(IdMixin, CreatedAtMixin, Base):
    """One booth of an application; ``active`` while the application keeps it."""

    __tablename__ = "booth_bookings"
    __table_args__ = (
        sa.Index(
            "uq_booth_bookings_one_active",
            "booth_id",
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        ),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booth_applications.id", ondelete="CASCADE"), index=True
    )
    booth_id: Mapped[int] = mapped_column(sa.ForeignKey("booths.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)

    application: Mapped[BoothApplication] = relationship(back_populates="bookings")
    booth: Mapped[Booth] = relationship()


class Lead(IdMixin, CreatedAtMixin, Base):
    """A visitor who let exhibitors scan their ticket, saved by an exhibitor's staff."""

    __tablename__ = "leads"
    __table_args__ = (sa.UniqueConstraint("exhibitor_id", "ticket_id"),)

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    exhibitor_id: Mapped[int] = mapped_column(sa.ForeignKey("exhibitors.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    exhibitor = relationship("ExhibitorProfile")
    ticket = relationship("Ticket")
