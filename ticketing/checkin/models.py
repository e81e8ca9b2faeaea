"""Check-in lists and gates, paired scanner devices, and every scan ever made."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow
from ticketing.checkin import scan_sql

SCAN_TYPES = ("entry", "exit")
SCAN_STATUSES = (
    "ok",
    "already_checked_in",
    "unpaid",
    "revoked",
    "wrong_day",
    "wrong_list",
    "invalid",
)

checkin_list_types = sa.Table(
    "checkin_list_types",
    Base.metadata,
    sa.Column("list_id", sa.ForeignKey("checkin_lists.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "ticket_type_id", sa.ForeignKey("ticket_types.id", ondelete="CASCADE"), primary_key=True
    ),
)
checkin_list_days = sa.Table(
    "checkin_list_days",
    Base.metadata,
    sa.Column("list_id", sa.ForeignKey("checkin_lists.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "festival_day_id", sa.ForeignKey("festival_days.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Gate(IdMixin, Base):
    __tablename__ = "gates"
    __table_args__ = (sa.UniqueConstraint("festival_id", "name"),)

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)


class CheckinList(IdMixin, CreatedAtMixin, Base):
    """Which tickets a gate admits, on which days, once or again and again."""

    __tablename__ = "checkin_lists"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "name"),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="window_ordered"
        ),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    allow_reentry: Mapped[bool] = mapped_column(default=False)
    track_exits: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    ticket_types = relationship("TicketType", secondary=checkin_list_types)
    days = relationship("FestivalDay", secondary=checkin_list_days, order_by="FestivalDay.day")

    @property
    def single_entry(self) -> bool:
        return not self.allow_reentry


class ScannerDevice(IdMixin, CreatedAtMixin, Base):
    """A phone or handheld paired to one festival and list; its token can be revoked."""

    __tablename__ = "scanner_devices"

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_lists.id", ondelete="CASCADE"))
    gate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gates.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    pairing_code_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    pairing_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    checkin_list = relationship("CheckinList")
    gate = relationship("Gate")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.token_hash is not None


class Scan(IdMixin, Base):
    """One scan as the device saw it, kept forever; ``admits`` marks the scan that let the
    ticket in on a single-entry list, and a partial unique index allows one per ticket."""

    __tablename__ = "scans"
    __table_args__ = (
        enum_check("type", SCAN_TYPES),
        enum_check("status", SCAN_STATUSES),
        sa.UniqueConstraint("nonce"),
        sa.Index(
            "uq_scans_one_admission",
            "list_id",
            "ticket_id",
            unique=True,
            postgresql_where=sa.text("admits"),
            sqlite_where=sa.text("admits"),
        ),
        sa.Index("ix_scans_list_ticket", "list_id", "ticket_id"),
        sa.Index("ix_scans_festival_scanned", "festival_id", "scanned_at"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_lists.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scanner_devices.id", ondelete="SET NULL"), index=True
    )
    gate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gates.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(sa.String(5), default="entry")
    status: Mapped[str] = mapped_column(sa.String(20))
    admits: Mapped[bool] = mapped_column(default=False)
    nonce: Mapped[str] = mapped_column(sa.String(64))
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    offline: Mapped[bool] = mapped_column(default=False)
    # Set on an admission that a later sync found to be a second entry of the same ticket
    # (another device admitted it earlier, offline): the "duplicates after sync" report.
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scans.id"))
    raw_code: Mapped[str] = mapped_column(sa.String(200), default="")

    ticket = relationship("Ticket")
    gate = relationship("Gate")
    device = relationship("ScannerDevice")


scan_sql.register_ddl(Scan.__table__)  # the lean scan's SQL function lives with the table
