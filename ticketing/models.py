"""Ticket types, generic orders (lines: tickets now, booths and sponsorships later), tickets,
payments, waiting lists, invitation codes, signing keys and bank statement rows."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow

ORDER_STATES = ("awaiting_approval", "pending", "paid", "cancelled", "refunded", "expired")
OPEN_ORDER_STATES = ("awaiting_approval", "pending", "paid")
PAYMENT_METHODS = ("free", "vietqr", "stripe", "cash")
LINE_KINDS = ("ticket", "booth", "sponsorship")
TICKET_STATES = ("reserved", "valid", "cancelled", "refunded", "released")
# Tickets that take a place in the quota.
HOLDING_TICKET_STATES = ("reserved", "valid")
PAYMENT_STATES = ("pending", "succeeded", "failed", "refunded")
WAITING_STATES = ("waiting", "offered", "accepted", "expired", "cancelled")
STATEMENT_STATUSES = ("matched", "partial", "overpaid", "unknown", "duplicate")

ticket_type_days = sa.Table(
    "ticket_type_days",
    Base.metadata,
    sa.Column(
        "ticket_type_id",
        sa.ForeignKey("ticket_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "festival_day_id",
        sa.ForeignKey("festival_days.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

ticket_type_groups = sa.Table(
    "ticket_type_groups",
    Base.metadata,
    sa.Column(
        "ticket_type_id",
        sa.ForeignKey("ticket_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "participant_group_id",
        sa.ForeignKey("participant_groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class TicketType(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "ticket_types"
    __table_args__ = (
        sa.CheckConstraint("price_vnd >= 0", name="price_non_negative"),
        sa.CheckConstraint("quota >= 0", name="quota_non_negative"),
        sa.CheckConstraint("max_per_order >= 1", name="max_per_order_positive"),
        sa.CheckConstraint(
            "sale_ends_at IS NULL OR sale_starts_at IS NULL OR sale_ends_at > sale_starts_at",
            name="sale_window_ordered",
        ),
        sa.UniqueConstraint("festival_id", "name_vi"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    name_vi: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str | None] = mapped_column(sa.String(120))
    description_vi: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    price_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    quota: Mapped[int] = mapped_column(default=100)
    sale_starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sale_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    max_per_order: Mapped[int] = mapped_column(default=5)
    is_hidden: Mapped[bool] = mapped_column(default=False)  # only through an invitation code
    requires_approval: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    festival = relationship("Festival")
    days = relationship("FestivalDay", secondary=ticket_type_days, order_by="FestivalDay.day")
    groups = relationship("ParticipantGroup", secondary=ticket_type_groups)

    @property
    def is_free(self) -> bool:
        return self.price_vnd == 0


class Order(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        enum_check("state", ORDER_STATES),
        enum_check("payment_method", PAYMENT_METHODS),
        sa.CheckConstraint("total_vnd >= 0", name="total_non_negative"),
        sa.CheckConstraint("paid_vnd >= 0", name="paid_non_negative"),
        enum_check("locale", ("vi", "en")),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    payment_method: Mapped[str] = mapped_column(sa.String(10))
    total_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    buyer_name: Mapped[str] = mapped_column(sa.String(200))
    buyer_email: Mapped[str | None] = mapped_column(sa.String(254))
    buyer_phone: Mapped[str | None] = mapped_column(sa.String(20))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    invitation_code_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitation_codes.id", ondelete="SET NULL")
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(sa.String(16), default="web")  # web, gate, import
    note: Mapped[str] = mapped_column(sa.Text, default="")

    festival = relationship("Festival")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    tickets: Mapped[list[Ticket]] = relationship(back_populates="order", order_by="Ticket.id")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.id"
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ORDER_STATES


class OrderLine(IdMixin, Base):
    """One line of an order: a ticket type now; a booth or a sponsorship later."""

    __tablename__ = "order_lines"
    __table_args__ = (
        enum_check("kind", LINE_KINDS),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("unit_price_vnd >= 0", name="unit_price_non_negative"),
    )

    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), default="ticket")
    ticket_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket_types.id"), index=True)
    description: Mapped[str] = mapped_column(sa.String(255))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_vnd: Mapped[int] = mapped_column(sa.BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")
    ticket_type = relationship("TicketType")

    @property
    def amount_vnd(self) -> int:
        return self.quantity * self.unit_price_vnd


class Ticket(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        enum_check("state", TICKET_STATES),
        sa.UniqueConstraint("festival_id", "short_code"),
        sa.Index("ix_tickets_type_state", "ticket_type_id", "state"),
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="contact_given"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id", ondelete="CASCADE"))
    ticket_type_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket_types.id"))
    state: Mapped[str] = mapped_column(sa.String(12), default="reserved")
    secret: Mapped[str] = mapped_column(sa.String(64), unique=True)
    short_code: Mapped[str] = mapped_column(sa.String(8))
    attendee_name: Mapped[str] = mapped_column(sa.String(200))
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    participant_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant_groups.id", ondelete="SET NULL")
    )
    home_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    share_with_exhibitors: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Any change (state, name) moves it: scanners sync the ticket list incrementally by it.
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, index=True
    )

    order: Mapped[Order] = relationship(back_populates="tickets")
    ticket_type = relationship("TicketType")
    participant_group = relationship("ParticipantGroup")
    home_area = relationship("Area")


class Payment(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        enum_check("provider", PAYMENT_METHODS),
        enum_check("state", PAYMENT_STATES),
        sa.CheckConstraint("amount_vnd >= 0", name="amount_non_negative"),
        sa.UniqueConstraint("provider", "external_id"),
    )

    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(sa.String(10))
    state: Mapped[str] = mapped_column(sa.String(12), default="pending")
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    external_id: Mapped[str | None] = mapped_column(sa.String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    order: Mapped[Order] = relationship(back_populates="payments")


class StripeEvent(CreatedAtMixin, Base):
    """Webhook events already processed: a replay finds its id here and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(80))


class InvitationCode(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "invitation_codes"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "code"),
        sa.CheckConstraint("max_uses >= 1", name="max_uses_positive"),
        sa.CheckConstraint("used_count >= 0 AND used_count <= max_uses", name="uses_within_limit"),
        sa.CheckConstraint("price_vnd IS NULL OR price_vnd >= 0", name="price_non_negative"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(32))
    ticket_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ticket_types.id", ondelete="CASCADE")
    )
    price_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # a special price, if any
    max_uses: Mapped[int] = mapped_column(default=1)
    used_count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(sa.String(255), default="")

    ticket_type = relationship("TicketType")


class WaitingListEntry(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "waiting_list_entries"
    __table_args__ = (
        enum_check("state", WAITING_STATES),
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="contact_given"),
        sa.Index("ix_waiting_list_entries_type_state", "ticket_type_id", "state"),
    )

    ticket_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ticket_types.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    state: Mapped[str] = mapped_column(sa.String(10), default="waiting")
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))

    ticket_type = relationship("TicketType")


class FestivalKey(IdMixin, CreatedAtMixin, Base):
    """An Ed25519 key pair that signs a festival's tickets; the private half encrypted at rest."""

    __tablename__ = "festival_keys"
    __table_args__ = (
        sa.Index(
            "uq_festival_keys_one_active",
            "festival_id",
            unique=True,
            postgresql_where=sa.text("retired_at IS NULL"),
            sqlite_where=sa.text("retired_at IS NULL"),
        ),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    key_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)  # 32-bit id in the QR
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    private_key_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PaymentSettings(IdMixin, Base):
    """A festival's payment set-up: the bank account for VietQR transfers, hold times."""

    __tablename__ = "payment_settings"
    __table_args__ = (
        sa.CheckConstraint("hold_minutes >= 5", name="hold_minutes_min"),
        sa.CheckConstraint("offer_minutes >= 5", name="offer_minutes_min"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), unique=True
    )
    bank_bin: Mapped[str | None] = mapped_column(sa.String(6))
    account_number: Mapped[str | None] = mapped_column(sa.String(19))
    account_name: Mapped[str | None] = mapped_column(sa.String(100))
    cash_enabled: Mapped[bool] = mapped_column(default=True)
    stripe_enabled: Mapped[bool] = mapped_column(default=True)
    hold_minutes: Mapped[int] = mapped_column(default=60 * 24)  # unpaid orders hold a place
    offer_minutes: Mapped[int] = mapped_column(default=60 * 24)  # waiting-list offers
    name_change_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def vietqr_enabled(self) -> bool:
        return bool(self.bank_bin and self.account_number)


class BankStatementRow(IdMixin, Base):
    """One imported bank statement row; the fingerprint makes a re-import change nothing."""

    __tablename__ = "bank_statement_rows"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "fingerprint"),
        enum_check("status", STATEMENT_STATUSES),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    booked_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    reference: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    batch: Mapped[str] = mapped_column(sa.String(40))
