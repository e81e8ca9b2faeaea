"""Investor matchmaking: participants' profiles, settings per festival, sessions and their
breaks, tables, blocked times, meeting requests, meetings with one seat per party (the seats
carry the "one meeting at a time per person" rule into the database), feedback after a meeting,
scheduling runs and session reminders."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow

PROFILE_KINDS = (
    "fund",
    "angel",
    "bank",
    "enterprise",
    "association",
    "expert",
    "startup",
    "exhibitor",
)
# Kinds that bring money, advice or partners: they sit at a table of their own when fixed.
INVESTOR_KINDS = ("fund", "angel", "bank", "enterprise", "association", "expert")
SEEKER_KINDS = ("startup", "exhibitor")
PRIORITIES = ("must", "want")
REQUEST_STATES = ("pending", "accepted", "declined", "expired", "cancelled")
LIVE_REQUEST_STATES = ("pending", "accepted")
DECLINE_REASONS = ("no_fit", "no_time", "already_met", "other")
MEETING_STATES = ("scheduled", "held", "no_show", "cancelled")
INVEST_INTEREST = ("none", "maybe", "yes")
RUN_SOLVERS = ("cpsat", "greedy")


class MatchSettings(IdMixin, Base):
    """A festival's matchmaking rules."""

    __tablename__ = "match_settings"
    __table_args__ = (
        sa.CheckConstraint("request_expiry_hours > 0", name="expiry_positive"),
        sa.CheckConstraint("max_requests_sent > 0", name="max_requests_positive"),
        sa.CheckConstraint("max_meetings > 0", name="max_meetings_positive"),
        sa.CheckConstraint("reminder_minutes >= 0", name="reminder_not_negative"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), unique=True
    )
    is_open: Mapped[bool] = mapped_column(default=False)  # profiles and requests accepted
    instant_booking: Mapped[bool] = mapped_column(default=True)  # book on acceptance
    request_expiry_hours: Mapped[int] = mapped_column(default=48)
    max_requests_sent: Mapped[int] = mapped_column(default=20)  # open requests per person
    max_meetings: Mapped[int] = mapped_column(default=12)  # meetings per person
    reminder_minutes: Mapped[int] = mapped_column(default=60)  # before each session

    festival = relationship("Festival")


class MatchProfile(IdMixin, CreatedAtMixin, Base):
    """A participant of a festival's matchmaking: one person (who sits at the table),
    optionally for an organisation (the fund, the startup, the cooperative)."""

    __tablename__ = "match_profiles"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "user_id"),
        enum_check("kind", PROFILE_KINDS),
        sa.CheckConstraint(
            "ticket_min_vnd IS NULL OR ticket_min_vnd >= 0", name="ticket_min_not_negative"
        ),
        sa.CheckConstraint(
            "ticket_max_vnd IS NULL OR ticket_min_vnd IS NULL OR ticket_max_vnd >= ticket_min_vnd",
            name="ticket_range_ordered",
        ),
        sa.CheckConstraint("max_meetings IS NULL OR max_meetings > 0", name="cap_positive"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    display_name: Mapped[str] = mapped_column(sa.String(255))  # person or organisation
    name_folded: Mapped[str] = mapped_column(sa.String(255), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")  # the person's role
    headline_vi: Mapped[str] = mapped_column(sa.String(300), default="")
    headline_en: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Folded name, headlines and description: search ignores diacritics.
    search_folded: Mapped[str] = mapped_column(sa.Text, default="")
    sectors: Mapped[list] = mapped_column(sa.JSON, default=list)  # taxonomy codes
    stages: Mapped[list] = mapped_column(sa.JSON, default=list)  # idea … growth
    offers: Mapped[list] = mapped_column(sa.JSON, default=list)  # funding, distribution, …
    seeks: Mapped[list] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)  # vi, en, …
    area_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # areas of interest / home
    # Investors: the ticket they invest; startups: the funding they seek. Integer đồng.
    ticket_min_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    ticket_max_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    visible: Mapped[bool] = mapped_column(default=True)
    max_meetings: Mapped[int | None] = mapped_column()  # below the festival's cap
    # The secret of the personal ICS feed (a calendar app cannot log in).
    feed_token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    festival = relationship("Festival")
    user = relationship("User")
    organisation = relationship("Organisation")

    @property
    def is_investor(self) -> bool:
        return self.kind in INVESTOR_KINDS


class MatchSession(IdMixin, Base):
    """A matchmaking session on one day: from start to end in slots of ``slot_minutes``."""

    __tablename__ = "match_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("slot_minutes >= 5", name="slot_minutes_min"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    slot_minutes: Mapped[int] = mapped_column(default=20)
    location: Mapped[str] = mapped_column(sa.String(255), default="")

    festival = relationship("Festival")
    breaks: Mapped[list[MatchBreak]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="MatchBreak.starts_at"
    )


class MatchBreak(IdMixin, Base):
    """A pause inside a session: no slot overlaps it."""

    __tablename__ = "match_breaks"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("match_sessions.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    session: Mapped[MatchSession] = relationship(back_populates="breaks")


class MatchTable(IdMixin, Base):
    """A numbered table (or place); optionally fixed to one participant (an investor)."""

    __tablename__ = "match_tables"
    __table_args__ = (
        sa.UniqueConstraint("festival_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(sa.String(120), default="")  # "Bàn 3 – Sảnh A"
    fixed_profile_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("match_profiles.id", ondelete="SET NULL"), unique=True
    )
    active: Mapped[bool] = mapped_column(default=True)

    fixed_profile = relationship("MatchProfile")


class MatchBlock(IdMixin, Base):
    """A time a participant cannot meet (their pitch slots are blocked without a row)."""

    __tablename__ = "match_blocks"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("match_profiles.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    profile = relationship("MatchProfile")


class MeetingRequest(IdMixin, CreatedAtMixin, Base):
    """A request from one participant to meet another. ``pair_low``/``pair_high`` order the
    two profiles so that one live request per pair is a unique index."""

    __tablename__ = "meeting_requests"
    __table_args__ = (
        enum_check("priority", PRIORITIES),
        enum_check("state", REQUEST_STATES),
        sa.CheckConstraint(
            "decline_reason IS NULL OR decline_reason IN "
            "('no_fit', 'no_time', 'already_met', 'other')",
            name="decline_reason_known",
        ),
        sa.CheckConstraint("sender_id <> recipient_id", name="not_self"),
        sa.Index(
            "uq_meeting_requests_live_pair",
            "festival_id",
            "pair_low",
            "pair_high",
            unique=True,
            postgresql_where=sa.text("state IN ('pending', 'accepted')"),
            sqlite_where=sa.text("state IN ('pending', 'accepted')"),
        ),
        sa.Index("ix_meeting_requests_recipient_state", "recipient_id", "state"),
        sa.Index("ix_meeting_requests_sender_state", "sender_id", "state"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("match_profiles.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("match_profiles.id", ondelete="CASCADE")
    )
    pair_low: Mapped[int] = mapped_column()
    pair_high: Mapped[int] = mapped_column()
    message: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[str] = mapped_column(sa.String(8), default="want")
    # The recipient wants it too (said on accepting, or had asked the sender): weight 2.
    mutual: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(sa.String(12), default="pending")
    decline_reason: Mapped[str | None] = mapped_column(sa.String(16))
    decline_note: Mapped[str] = mapped_column(sa.String(500), default="")
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    sender = relationship("MatchProfile", foreign_keys=[sender_id])
    recipient = relationship("MatchProfile", foreign_keys=[recipient_id])

    @property
    def weight(self) -> int:
        """Batch scheduling weight: must-meet 3, mutual 2, one-sided 1."""
        if self.priority == "must":
            return 3
        return 2 if self.mutual else 1


class Meeting(IdMixin, CreatedAtMixin, Base):
    """An accepted request placed at a table and a time. ``published`` meetings are known to
    both parties and stay fixed in batch runs; ``uid``/``sequence`` are the ICS identity."""

    __tablename__ = "meetings"
    __table_args__ = (
        enum_check("state", MEETING_STATES),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index(
            "uq_meetings_live_request",
            "request_id",
            unique=True,
            postgresql_where=sa.text("state <> 'cancelled'"),
            sqlite_where=sa.text("state <> 'cancelled'"),
        ),
        sa.Index(
            "uq_meetings_table_start",
            "table_id",
            "starts_at",
            unique=True,
            postgresql_where=sa.text("state <> 'cancelled'"),
            sqlite_where=sa.text("state <> 'cancelled'"),
        ),
        sa.Index("ix_meetings_festival_start", "festival_id", "starts_at"),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_requests.id", ondelete="CASCADE")
    )
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("match_sessions.id", ondelete="CASCADE"), index=True
    )
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("match_tables.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(sa.String(12), default="scheduled")
    published: Mapped[bool] = mapped_column(default=False)
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    request = relationship("MeetingRequest")
    session = relationship("MatchSession")
    table = relationship("MatchTable")
    seats: Mapped[list[MeetingSeat]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingSeat.id"
    )


class MeetingSeat(IdMixin, Base):
    """One party of a meeting: a person is in at most one live meeting starting at a time
    (a unique index), and attendance is marked per seat."""

    __tablename__ = "meeting_seats"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "profile_id"),
        sa.Index(
            "uq_meeting_seats_person_start",
            "profile_id",
            "starts_at",
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        ),
    )

    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("match_profiles.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # copy of the meeting's
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)  # false once the meeting is cancelled
    attended: Mapped[bool | None] = mapped_column()  # None: not marked yet
    marked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="seats")
    profile = relationship("MatchProfile")


class MeetingFeedback(IdMixin, CreatedAtMixin, Base):
    """One side's view of a meeting held."""

    __tablename__ = "meeting_feedback"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "profile_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        enum_check("invest_interest", INVEST_INTEREST),
        sa.CheckConstraint(
            "amount_min_vnd IS NULL OR amount_min_vnd >= 0", name="amount_not_negative"
        ),
        sa.CheckConstraint(
            "amount_max_vnd IS NULL OR amount_min_vnd IS NULL OR amount_max_vnd >= amount_min_vnd",
            name="amount_range_ordered",
        ),
    )

    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("match_profiles.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column()
    follow_up: Mapped[bool] = mapped_column(default=False)
    invest_interest: Mapped[str] = mapped_column(sa.String(8), default="none")
    amount_min_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    amount_max_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    meeting = relationship("Meeting")
    profile = relationship("MatchProfile")


class ScheduleRun(IdMixin, CreatedAtMixin, Base):
    """A batch scheduling run and its report (requests left out and why)."""

    __tablename__ = "match_schedule_runs"
    __table_args__ = (enum_check("solver", RUN_SOLVERS),)

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    solver: Mapped[str] = mapped_column(sa.String(8))
    optimal: Mapped[bool] = mapped_column(default=False)
    objective: Mapped[int] = mapped_column(default=0)
    bound: Mapped[float | None] = mapped_column(sa.Float)
    wall_ms: Mapped[int] = mapped_column(default=0)
    placed: Mapped[int] = mapped_column(default=0)
    moved: Mapped[int] = mapped_column(default=0)
    # [{"request_id": …, "reason": …}, …]
    left_out: Mapped[list] = mapped_column(sa.JSON, default=list)

    created_by = relationship("User")


class SessionReminder(IdMixin, Base):
    """A reminder mailed to a participant before a session (never twice)."""

    __tablename__ = "match_session_reminders"
    __table_args__ = (sa.UniqueConstraint("session_id", "profile_id"),)

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("match_sessions.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("match_profiles.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
