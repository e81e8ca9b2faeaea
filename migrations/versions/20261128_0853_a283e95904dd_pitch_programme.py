"""Pitch programme: calls, tracks, applications (one live per organisation), judge conflicts,
rounds with criteria, assignments and scores, unavailability, programme items and published
versions, audience votes (one per ticket), prizes.

Revision ID: a283e95904dd
Revises: 33c60dcbfd63
Create Date: 2026-11-28 08:53:04.470994+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a283e95904dd"
down_revision = "33c60dcbfd63"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pitch_calls",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("min_judges", sa.Integer(), nullable=False),
        sa.Column("pitch_minutes", sa.Integer(), nullable=False),
        sa.Column("qa_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("audience_vote_open", sa.Boolean(), nullable=False),
        sa.Column("audience_vote_on_projector", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_pitch_calls_closes_after_opening")
        ),
        sa.CheckConstraint("min_judges >= 1", name=op.f("ck_pitch_calls_min_judges_positive")),
        sa.CheckConstraint(
            "pitch_minutes > 0 AND qa_minutes >= 0 AND buffer_minutes >= 0",
            name=op.f("ck_pitch_calls_slot_minutes_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_pitch_calls_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_calls")),
        sa.UniqueConstraint("festival_id", name=op.f("uq_pitch_calls_festival_id")),
    )
    op.create_table(
        "pitch_rounds",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pass_min_total", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("pass_no_zero", sa.Boolean(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_pitch_rounds_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_rounds")),
        sa.UniqueConstraint("festival_id", "name", name=op.f("uq_pitch_rounds_festival_id_name")),
    )
    with op.batch_alter_table("pitch_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pitch_rounds_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "programme_versions",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_programme_versions_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_programme_versions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_versions")),
        sa.UniqueConstraint(
            "festival_id", "number", name=op.f("uq_programme_versions_festival_id_number")
        ),
    )
    op.create_table(
        "pitch_criteria",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("max_score > 0", name=op.f("ck_pitch_criteria_max_score_positive")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_pitch_criteria_weight_positive")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pitch_rounds.id"],
            name=op.f("fk_pitch_criteria_round_id_pitch_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_criteria")),
        sa.UniqueConstraint("round_id", "name_vi", name=op.f("uq_pitch_criteria_round_id_name_vi")),
    )
    op.create_table(
        "pitch_tracks",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_pitch_tracks_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["stages.id"],
            name=op.f("fk_pitch_tracks_stage_id_stages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_tracks")),
        sa.UniqueConstraint(
            "festival_id", "name_vi", name=op.f("uq_pitch_tracks_festival_id_name_vi")
        ),
    )
    with op.batch_alter_table("pitch_tracks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pitch_tracks_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "pitch_applications",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_folded", sa.String(length=200), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("home_area_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("summary_vi", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.Column("market", sa.Text(), nullable=False),
        sa.Column("funding_vnd", sa.BigInteger(), nullable=False),
        sa.Column("deck_file", sa.String(length=64), nullable=True),
        sa.Column("deck_name", sa.String(length=200), nullable=True),
        sa.Column("deck_bytes", sa.Integer(), nullable=True),
        sa.Column("video_url", sa.String(length=500), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage IN ('idea', 'prototype', 'first_revenue', 'growth')",
            name=op.f("ck_pitch_applications_stage_valid"),
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'in_review', 'shortlisted', 'scheduled', 'pitched', 'awarded', 'not_selected', 'withdrawn')",
            name=op.f("ck_pitch_applications_state_valid"),
        ),
        sa.CheckConstraint(
            "funding_vnd >= 0", name=op.f("ck_pitch_applications_funding_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["users.id"],
            name=op.f("fk_pitch_applications_applicant_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_pitch_applications_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["home_area_id"], ["areas.id"], name=op.f("fk_pitch_applications_home_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pitch_applications_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["pitch_tracks.id"],
            name=op.f("fk_pitch_applications_track_id_pitch_tracks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_applications")),
    )
    with op.batch_alter_table("pitch_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pitch_applications_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(
            "ix_pitch_applications_festival_state", ["festival_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pitch_applications_home_area_id"), ["home_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pitch_applications_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pitch_applications_title_folded"), ["title_folded"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pitch_applications_track_id"), ["track_id"], unique=False
        )
        batch_op.create_index(
            "uq_pitch_applications_one_per_organisation",
            ["festival_id", "organisation_id"],
            unique=True,
            postgresql_where=sa.text("state <> 'withdrawn'"),
            sqlite_where=sa.text("state <> 'withdrawn'"),
        )

    op.create_table(
        "judge_conflicts",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'organisation' AND organisation_id IS NOT NULL) OR (kind = 'area' AND area_id IS NOT NULL) OR (kind = 'declared' AND application_id IS NOT NULL)",
            name=op.f("ck_judge_conflicts_target_given"),
        ),
        sa.CheckConstraint(
            "kind IN ('organisation', 'area', 'declared')",
            name=op.f("ck_judge_conflicts_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pitch_applications.id"],
            name=op.f("fk_judge_conflicts_application_id_pitch_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_judge_conflicts_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_judge_conflicts_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["users.id"],
            name=op.f("fk_judge_conflicts_judge_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_judge_conflicts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_conflicts")),
    )
    with op.batch_alter_table("judge_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_judge_conflicts_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "pitch_assignments",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("by_hand", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pitch_applications.id"],
            name=op.f("fk_pitch_assignments_application_id_pitch_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["users.id"],
            name=op.f("fk_pitch_assignments_judge_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pitch_rounds.id"],
            name=op.f("fk_pitch_assignments_round_id_pitch_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_assignments")),
        sa.UniqueConstraint(
            "round_id",
            "application_id",
            "judge_id",
            name=op.f("uq_pitch_assignments_round_id_application_id_judge_id"),
        ),
    )
    with op.batch_alter_table("pitch_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pitch_assignments_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pitch_assignments_judge_id"), ["judge_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pitch_assignments_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "pitch_prizes",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("nominated_for_province", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('first', 'second', 'third', 'consolation', 'custom')",
            name=op.f("ck_pitch_prizes_kind_valid"),
        ),
        sa.CheckConstraint("amount_vnd >= 0", name=op.f("ck_pitch_prizes_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pitch_applications.id"],
            name=op.f("fk_pitch_prizes_application_id_pitch_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_pitch_prizes_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_prizes")),
    )
    with op.batch_alter_table("pitch_prizes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pitch_prizes_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "pitch_unavailability",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("judge_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(application_id IS NULL) <> (judge_id IS NULL)",
            name=op.f("ck_pitch_unavailability_one_subject"),
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_pitch_unavailability_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pitch_applications.id"],
            name=op.f("fk_pitch_unavailability_application_id_pitch_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_pitch_unavailability_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["users.id"],
            name=op.f("fk_pitch_unavailability_judge_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_unavailability")),
    )
    with op.batch_alter_table("pitch_unavailability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pitch_unavailability_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "programme_items",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title_vi", sa.String(length=255), nullable=False),
        sa.Column("title_en", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("speakers", sa.Text(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('pitch', 'opening', 'forum', 'workshop', 'break', 'awards', 'closing', 'other')",
            name=op.f("ck_programme_items_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'started', 'ended', 'delayed')",
            name=op.f("ck_programme_items_status_valid"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_programme_items_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pitch_applications.id"],
            name=op.f("fk_programme_items_application_id_pitch_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_programme_items_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["stages.id"],
            name=op.f("fk_programme_items_stage_id_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_items")),
        sa.UniqueConstraint("uid", name=op.f("uq_programme_items_uid")),
    )
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_items_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_items_festival_id"), ["festival_id"], unique=False
        )
        batch_op.create_index(
            "ix_programme_items_stage_start", ["stage_id", "starts_at"], unique=False
        )

    op.create_table(
        "pitch_scores",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_pitch_scores_value_non_negative")),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["pitch_assignments.id"],
            name=op.f("fk_pitch_scores_assignment_id_pitch_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["pitch_criteria.id"],
            name=op.f("fk_pitch_scores_criterion_id_pitch_criteria"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_scores")),
        sa.UniqueConstraint(
            "assignment_id", "criterion_id", name=op.f("uq_pitch_scores_assignment_id_criterion_id")
        ),
    )
    op.create_table(
        "programme_item_judges",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["programme_items.id"],
            name=op.f("fk_programme_item_judges_item_id_programme_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["users.id"],
            name=op.f("fk_programme_item_judges_judge_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "judge_id", name=op.f("pk_programme_item_judges")),
    )
    op.create_table(
        "audience_votes",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pitch_applications.id"],
            name=op.f("fk_audience_votes_application_id_pitch_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_audience_votes_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_audience_votes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_votes")),
        sa.UniqueConstraint(
            "festival_id", "ticket_id", name=op.f("uq_audience_votes_festival_id_ticket_id")
        ),
    )
    with op.batch_alter_table("audience_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audience_votes_application_id"), ["application_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("audience_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audience_votes_application_id"))

    op.drop_table("audience_votes")
    op.drop_table("programme_item_judges")
    op.drop_table("pitch_scores")
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.drop_index("ix_programme_items_stage_start")
        batch_op.drop_index(batch_op.f("ix_programme_items_festival_id"))
        batch_op.drop_index(batch_op.f("ix_programme_items_application_id"))

    op.drop_table("programme_items")
    with op.batch_alter_table("pitch_unavailability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pitch_unavailability_festival_id"))

    op.drop_table("pitch_unavailability")
    with op.batch_alter_table("pitch_prizes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pitch_prizes_festival_id"))

    op.drop_table("pitch_prizes")
    with op.batch_alter_table("pitch_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pitch_assignments_round_id"))
        batch_op.drop_index(batch_op.f("ix_pitch_assignments_judge_id"))
        batch_op.drop_index(batch_op.f("ix_pitch_assignments_application_id"))

    op.drop_table("pitch_assignments")
    with op.batch_alter_table("judge_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judge_conflicts_festival_id"))

    op.drop_table("judge_conflicts")
    with op.batch_alter_table("pitch_applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pitch_applications_one_per_organisation",
            postgresql_where=sa.text("state <> 'withdrawn'"),
            sqlite_where=sa.text("state <> 'withdrawn'"),
        )
        batch_op.drop_index(batch_op.f("ix_pitch_applications_track_id"))
        batch_op.drop_index(batch_op.f("ix_pitch_applications_title_folded"))
        batch_op.drop_index(batch_op.f("ix_pitch_applications_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_pitch_applications_home_area_id"))
        batch_op.drop_index("ix_pitch_applications_festival_state")
        batch_op.drop_index(batch_op.f("ix_pitch_applications_applicant_id"))

    op.drop_table("pitch_applications")
    with op.batch_alter_table("pitch_tracks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pitch_tracks_festival_id"))

    op.drop_table("pitch_tracks")
    op.drop_table("pitch_criteria")
    op.drop_table("programme_versions")
    with op.batch_alter_table("pitch_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pitch_rounds_festival_id"))

    op.drop_table("pitch_rounds")
    op.drop_table("pitch_calls")
