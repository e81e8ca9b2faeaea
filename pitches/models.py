"""The pitch programme: a call for pitches with tracks, startups' applications, judges'
conflicts of interest, rounds with rubrics, assignments and scores, the stage programme
(pitches and everything else on stage) with versioned publishing, audience votes and prizes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow
from ticketing import models as _ticketing  # noqa: F401 - tickets are referred to

STARTUP_STAGES = ("idea", "prototype", "first_revenue", "growth")
APPLICATION_STATES = (
    "submitted",
    "in_review",
    "shortlisted",
    "scheduled",
    "pitched",
    "awarded",
    "not_selected",
    "withdrawn",
)
# Allowed moves of an application (each mailed to the startup).
TRANSITIONS = {
    "submitted": ("in_review", "not_selected", "withdrawn"),
    "in_review": ("shortlisted", "not_selected", "withdrawn"),
    "shortlisted": ("scheduled", "not_selected", "withdrawn", "in_review"),
    "scheduled": ("pitched", "shortlisted", "withdrawn"),
    "pitched": ("awarded", "not_selected"),
    "awarded": (),
    "not_selected": ("in_review",),
    "withdrawn": (),
}
CONFLICT_KINDS = ("organisation", "area", "declared")
ITEM_KINDS = (
    "pitch",
    "opening",
    "forum",
    "workshop",
    "break",
    "awards",
    "closing",
    "other",
)
ITEM_STATUSES = ("planned", "started", "ended", "delayed")
PRIZE_KINDS = ("first", "second", "third", "consolation", "custom")


class PitchCall(IdMixin, CreatedAtMixin, Base):
    """A festival's call for pitches and its slot settings."""

    __tablename__ = "pitch_calls"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("min_judges >= 1", name="min_judges_positive"),
        sa.CheckConstraint(
            "pitch_minutes > 0 AND qa_minutes >= 0 AND buffer_minutes >= 0",
            name="slot_minutes_valid",
        ),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), unique=True
    )
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    description_vi: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    min_judges: Mapped[int] = mapped_column(default=3)  # k: judges per application
    pitch_minutes: Mapped[int] = mapped_column(default=8)
    qa_minutes: Mapped[int] = mapped_column(default=10)
    buffer_minutes: Mapped[int] = mapped_column(default=2)
    audience_vote_open: Mapped[bool] = mapped_column(default=False)
    audience_vote_on_projector: Mapped[bool] = mapped_column(default=False)

    festival = relationship("Festival")

    def is_open(self, now: dt.datetime) -> bool:
        return self.opens_at <= now < self.closes_at


class Track(IdMixin, Base):
    __tablename__ = "pitch_tracks"
    __table_args__ = (sa.UniqueConstraint("festival_id", "name_vi"),)

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    name_vi: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str | None] = mapped_column(sa.String(120))
    # The stage this track prefers when the programme is scheduled (optional).
    stage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stages.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)

    stage = relationship("Stage")


class PitchApplication(IdMixin, CreatedAtMixin, Base):
    """A startup's application to pitch."""

    __tablename__ = "pitch_applications"
    __table_args__ = (
        enum_check("state", APPLICATION_STATES),
        enum_check("stage", STARTUP_STAGES),
        sa.CheckConstraint("funding_vnd >= 0", name="funding_non_negative"),
        sa.Index("ix_pitch_applications_festival_state", "festival_id", "state"),
        # One live application per organisation and festival (a withdrawn one frees the place).
        sa.Index(
            "uq_pitch_applications_one_per_organisation",
            "festival_id",
            "organisation_id",
            unique=True,
            postgresql_where=sa.text("state <> 'withdrawn'"),
            sqlite_where=sa.text("state <> 'withdrawn'"),
        ),
    )

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    track_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pitch_tracks.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    applicant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    title_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    team: Mapped[str] = mapped_column(sa.Text, default="")  # one member per line: name, role
    home_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    stage: Mapped[str] = mapped_column(sa.String(16), default="idea")
    summary_vi: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    problem: Mapped[str] = mapped_column(sa.Text, default="")
    solution: Mapped[str] = mapped_column(sa.Text, default="")
    market: Mapped[str] = mapped_column(sa.Text, default="")
    funding_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    deck_file: Mapped[str | None] = mapped_column(sa.String(64))  # under uploads/decks
    deck_name: Mapped[str | None] = mapped_column(sa.String(200))  # the name it was sent with
    deck_bytes: Mapped[int | None] = mapped_column()
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    festival = relationship("Festival")
    track = relationship("Track")
    organisation = relationship("Organisation")
    applicant = relationship("User")
    home_area = relationship("Area")


class JudgeConflict(IdMixin, CreatedAtMixin, Base):
    """A judge's declared conflict: an organisation, a home area, or one application (with a
    free-text declaration). Any of them blocks assigning the judge to the applications concerned."""

    __tablename__ = "judge_conflicts"
    __table_args__ = (
        enum_check("kind", CONFLICT_KINDS),
        sa.CheckConstraint(
            "(kind = 'organisation' AND organisation_id IS NOT NULL)"
            " OR (kind = 'area' AND area_id IS NOT NULL)"
            " OR (kind = 'declared' AND application_id IS NOT NULL)",
            name="target_given",
        ),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pitch_applications.id", ondelete="CASCADE")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")

    judge = relationship("User")
    organisation = relationship("Organisation")
    area = relationship("Area")
    application = relationship("PitchApplication")


class Round(IdMixin, CreatedAtMixin, Base):
    """A judging round ("Sơ khảo", "Chung kết") with its rubric and pass rule."""

    __tablename__ = "pitch_rounds"
    __table_args__ = (sa.UniqueConstraint("festival_id", "name"),)

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    pass_min_total: Mapped[float] = mapped_column(sa.Numeric(6, 2), default=50)
    pass_no_zero: Mapped[bool] = mapped_column(default=True)  # no criterion scored zero
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Criterion.position"
    )


class Criterion(IdMixin, Base):
    """One line of a rubric: a weight and a maximum score."""

    __tablename__ = "pitch_criteria"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "name_vi"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        sa.CheckConstraint("max_score > 0", name="max_score_positive"),
    )

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("pitch_rounds.id", ondelete="CASCADE"))
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[float] = mapped_column(sa.Numeric(6, 3), default=1)
    max_score: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="criteria")


class Assignment(IdMixin, CreatedAtMixin, Base):
    """A judge assigned to an application in a round; holds the judge's comment."""

    __tablename__ = "pitch_assignments"
    __table_args__ = (sa.UniqueConstraint("round_id", "application_id", "judge_id"),)

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pitch_rounds.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pitch_applications.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    by_hand: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    round = relationship("Round")
    application = relationship("PitchApplication")
    judge = relationship("User")
    scores: Mapped[list[Score]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )


class Score(IdMixin, Base):
    __tablename__ = "pitch_scores"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "criterion_id"),
        sa.CheckConstraint("value >= 0", name="value_non_negative"),
    )

    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pitch_assignments.id", ondelete="CASCADE")
    )
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pitch_criteria.id", ondelete="CASCADE")
    )
    value: Mapped[float] = mapped_column(sa.Numeric(6, 2))

    assignment: Mapped[Assignment] = relationship(back_populates="scores")
    criterion = relationship("Criterion")


class Unavailability(IdMixin, Base):
    """A time a startup (its application) or a judge cannot be on stage."""

    __tablename__ = "pitch_unavailability"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("(application_id IS NULL) <> (judge_id IS NULL)", name="one_subject"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pitch_applications.id", ondelete="CASCADE")
    )
    judge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(sa.String(200), default="")


programme_item_judges = sa.Table(
    "programme_item_judges",
    Base.metadata,
    sa.Column("item_id", sa.ForeignKey("programme_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("judge_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class ProgrammeItem(IdMixin, CreatedAtMixin, Base):
    """Anything on a stage at a time: a pitch, the opening, a forum, a break, the awards. The
    public programme is these items; ``uid`` and ``sequence`` are the ICS identity."""

    __tablename__ = "programme_items"
    __table_args__ = (
        enum_check("kind", ITEM_KINDS),
        enum_check("status", ITEM_STATUSES),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_programme_items_stage_start", "stage_id", "starts_at"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12), default="pitch")
    title_vi: Mapped[str] = mapped_column(sa.String(255))
    title_en: Mapped[str | None] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    speakers: Mapped[str] = mapped_column(sa.Text, default="")  # one per line
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pitch_applications.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10), default="planned")
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delay_minutes: Mapped[int] = mapped_column(default=0)
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    stage = relationship("Stage")
    application = relationship("PitchApplication")
    judges = relationship("User", secondary=programme_item_judges)


class ProgrammeVersion(IdMixin, CreatedAtMixin, Base):
    """A published programme: a numbered snapshot, so a change after publication can be found
    and mailed to the startups and judges it concerns."""

    __tablename__ = "programme_versions"
    __table_args__ = (sa.UniqueConstraint("festival_id", "number"),)

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    snapshot: Mapped[dict] = mapped_column(sa.JSON)  # item uid -> fields as published


class AudienceVote(IdMixin, CreatedAtMixin, Base):
    """One vote per checked-in ticket and festival."""

    __tablename__ = "audience_votes"
    __table_args__ = (sa.UniqueConstraint("festival_id", "ticket_id"),)

    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pitch_applications.id", ondelete="CASCADE"), index=True
    )


class Prize(IdMixin, CreatedAtMixin, Base):
    """A prize of the festival (Nhất, Nhì, Ba, Khuyến khích, or custom) and who won it."""

    __tablename__ = "pitch_prizes"
    __table_args__ = (
        enum_check("kind", PRIZE_KINDS),
        sa.CheckConstraint("amount_vnd >= 0", name="amount_non_negative"),
    )

    festival_id: Mapped[int] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(120))  # "Giải Nhất", or a custom prize's name
    position: Mapped[int] = mapped_column(default=0)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pitch_applications.id", ondelete="SET NULL")
    )
    nominated_for_province: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    application = relationship("PitchApplication")
