"""Festivals: hosts, days, venue, participant groups, stages, roles, co-organizer invitations."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow

STATES = ("draft", "published", "closed", "archived")
PUBLIC_STATES = ("published", "closed")
# Allowed transitions of the festival state machine.
TRANSITIONS = {
    "draft": ("published",),
    "published": ("closed", "draft"),
    "closed": ("archived", "published"),
    "archived": (),
}
ROLES = (
    "organizer",
    "staff",
    "judge",
    "exhibitor",
    "investor",
    "expert",
    "startup",
    "attendee",
)
GROUP_KINDS = (
    "youth",
    "farmers",
    "women",
    "university_students",
    "highschool_students",
    "enterprises",
    "cooperatives",
    "custom",
)


class Festival(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "festivals"
    __table_args__ = (
        enum_check("state", STATES),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name="longitude_range",
        ),
    )

    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name_vi: Mapped[str] = mapped_column(sa.String(255))
    name_en: Mapped[str | None] = mapped_column(sa.String(255))
    description_vi: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    venue_name: Mapped[str] = mapped_column(sa.String(255), default="")
    venue_address: Mapped[str] = mapped_column(sa.String(500), default="")
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    cover_image: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    hosts: Mapped[list[FestivalHost]] = relationship(
        back_populates="festival", cascade="all, delete-orphan", order_by="FestivalHost.position"
    )
    days: Mapped[list[FestivalDay]] = relationship(
        back_populates="festival", cascade="all, delete-orphan", order_by="FestivalDay.day"
    )
    groups: Mapped[list[ParticipantGroup]] = relationship(
        back_populates="festival",
        cascade="all, delete-orphan",
        order_by="ParticipantGroup.position",
    )
    stages: Mapped[list[Stage]] = relationship(
        back_populates="festival", cascade="all, delete-orphan", order_by="Stage.position"
    )
    roles: Mapped[list[FestivalRole]] = relationship(
        back_populates="festival", cascade="all, delete-orphan"
    )
    invitations: Mapped[list[CoorganizerInvitation]] = relationship(
        back_populates="festival", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def lead_host(self) -> FestivalHost | None:
        return next((h for h in self.hosts if h.is_lead), None)

    @property
    def first_day(self) -> dt.date | None:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> dt.date | None:
        return self.days[-1].day if self.days else None

    @property
    def scope(self) -> str:
        """single_commune, single_district, ..., inter_commune, inter_district or inter_area."""
        levels = {h.area.level for h in self.hosts}
        if len(self.hosts) <= 1:
            return f"single_{levels.pop()}" if levels else "single_area"
        if levels == {"commune"}:
            return "inter_commune"
        if levels == {"district"}:
            return "inter_district"
        if levels == {"province"}:
            return "inter_province"
        return "inter_area"

    @property
    def is_inter_area(self) -> bool:
        return len(self.hosts) >= 2

    def __repr__(self) -> str:
        return f"<Festival {self.slug} {self.state}>"


class FestivalHost(IdMixin, Base):
    """An area that hosts the festival; exactly one of them is the lead host."""

    __tablename__ = "festival_hosts"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "area_id"),
        sa.Index(
            "uq_festival_hosts_one_lead",
            "festival_id",
            unique=True,
            postgresql_where=sa.text("is_lead"),
            sqlite_where=sa.text("is_lead"),
        ),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    # The host's name as it was when the festival was made: records of the past keep it.
    area_label: Mapped[str] = mapped_column(sa.String(255))

    festival: Mapped[Festival] = relationship(back_populates="hosts")
    area = relationship("Area")


class FestivalDay(IdMixin, Base):
    __tablename__ = "festival_days"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "day"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(sa.Date)
    starts_at: Mapped[dt.time] = mapped_column(sa.Time)
    ends_at: Mapped[dt.time] = mapped_column(sa.Time)

    festival: Mapped[Festival] = relationship(back_populates="days")


class ParticipantGroup(IdMixin, Base):
    __tablename__ = "participant_groups"
    __table_args__ = (
        enum_check("kind", GROUP_KINDS),
        sa.UniqueConstraint("festival_id", "name_vi"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    name_vi: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str | None] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)

    festival: Mapped[Festival] = relationship(back_populates="groups")


class Stage(IdMixin, Base):
    __tablename__ = "stages"
    __table_args__ = (
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        sa.UniqueConstraint("festival_id", "name_vi"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    name_vi: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str | None] = mapped_column(sa.String(120))
    capacity: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)

    festival: Mapped[Festival] = relationship(back_populates="stages")


class FestivalRole(IdMixin, CreatedAtMixin, Base):
    """A user's role in one festival; a user may hold several roles in several festivals."""

    __tablename__ = "festival_roles"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "user_id", "role"),
        enum_check("role", ROLES),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    # For organizers: the host area they represent (co-organizers come from other host areas).
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))

    festival: Mapped[Festival] = relationship(back_populates="roles")
    user = relationship("User")
    area = relationship("Area")


class CoorganizerInvitation(IdMixin, CreatedAtMixin, Base):
    """An emailed, signed, single-use link that makes someone an organizer for a host area."""

    __tablename__ = "coorganizer_invitations"

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254))
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    festival: Mapped[Festival] = relationship(back_populates="invitations")
    area = relationship("Area")
    invited_by = relationship("User", foreign_keys=[invited_by_id])

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
