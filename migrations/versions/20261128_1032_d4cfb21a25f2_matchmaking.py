"""Matchmaking: settings, profiles, sessions with breaks, tables (optionally fixed to one
participant), blocked times, meeting requests (one live per pair), meetings (one live per request,
one per table and start) with seats (one live per person and start), feedback, scheduling runs,
session reminders.

Revision ID: d4cfb21a25f2
Revises: a283e95904dd
Create Date: 2026-11-28 10:32:18.581044+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4cfb21a25f2"
down_revision = "a283e95904dd"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "match_profiles",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("headline_vi", sa.String(length=300), nullable=False),
        sa.Column("headline_en", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("search_folded", sa.Text(), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("seeks", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("area_ids", sa.JSON(), nullable=False),
        sa.Column("ticket_min_vnd", sa.BigInteger(), nullable=True),
        sa.Column("ticket_max_vnd", sa.BigInteger(), nullable=True),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("max_meetings", sa.Integer(), nullable=True),
        sa.Column("feed_token", sa.String(length=43), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fund', 'angel', 'bank', 'enterprise', 'association', 'expert', 'startup', 'exhibitor')",
            name=op.f("ck_match_profiles_kind_valid"),
        ),
        sa.CheckConstraint(
            "max_meetings IS NULL OR max_meetings > 0", name=op.f("ck_match_profiles_cap_positive")
        ),
        sa.CheckConstraint(
            "ticket_max_vnd IS NULL OR ticket_min_vnd IS NULL OR ticket_max_vnd >= ticket_min_vnd",
            name=op.f("ck_match_profiles_ticket_range_ordered"),
        ),
        sa.CheckConstraint(
            "ticket_min_vnd IS NULL OR ticket_min_vnd >= 0",
            name=op.f("ck_match_profiles_ticket_min_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_match_profiles_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_match_profiles_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_match_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_profiles")),
        sa.UniqueConstraint("feed_token", name=op.f("uq_match_profiles_feed_token")),
        sa.UniqueConstraint(
            "festival_id", "user_id", name=op.f("uq_match_profiles_festival_id_user_id")
        ),
    )
    with op.batch_alter_table("match_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_profiles_festival_id"), ["festival_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_match_profiles_name_folded"), ["name_folded"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_match_profiles_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_match_profiles_user_id"), ["user_id"], unique=False)

    op.create_table(
        "match_schedule_runs",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("solver", sa.String(length=8), nullable=False),
        sa.Column("optimal", sa.Boolean(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("wall_ms", sa.Integer(), nullable=False),
        sa.Column("placed", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("left_out", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "solver IN ('cpsat', 'greedy')", name=op.f("ck_match_schedule_runs_solver_valid")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_match_schedule_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_match_schedule_runs_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_schedule_runs")),
    )
    with op.batch_alter_table("match_schedule_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_schedule_runs_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "match_sessions",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_match_sessions_ends_after_start")),
        sa.CheckConstraint("slot_minutes >= 5", name=op.f("ck_match_sessions_slot_minutes_min")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_match_sessions_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_sessions")),
    )
    with op.batch_alter_table("match_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_sessions_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "match_settings",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("instant_booking", sa.Boolean(), nullable=False),
        sa.Column("request_expiry_hours", sa.Integer(), nullable=False),
        sa.Column("max_requests_sent", sa.Integer(), nullable=False),
        sa.Column("max_meetings", sa.Integer(), nullable=False),
        sa.Column("reminder_minutes", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "max_meetings > 0", name=op.f("ck_match_settings_max_meetings_positive")
        ),
        sa.CheckConstraint(
            "max_requests_sent > 0", name=op.f("ck_match_settings_max_requests_positive")
        ),
        sa.CheckConstraint(
            "reminder_minutes >= 0", name=op.f("ck_match_settings_reminder_not_negative")
        ),
        sa.CheckConstraint(
            "request_expiry_hours > 0", name=op.f("ck_match_settings_expiry_positive")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_match_settings_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_settings")),
        sa.UniqueConstraint("festival_id", name=op.f("uq_match_settings_festival_id")),
    )
    op.create_table(
        "match_blocks",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_match_blocks_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["match_profiles.id"],
            name=op.f("fk_match_blocks_profile_id_match_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_blocks")),
    )
    with op.batch_alter_table("match_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_blocks_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "match_breaks",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_match_breaks_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["match_sessions.id"],
            name=op.f("fk_match_breaks_session_id_match_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_breaks")),
    )
    with op.batch_alter_table("match_breaks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_breaks_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "match_session_reminders",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["match_profiles.id"],
            name=op.f("fk_match_session_reminders_profile_id_match_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["match_sessions.id"],
            name=op.f("fk_match_session_reminders_session_id_match_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_session_reminders")),
        sa.UniqueConstraint(
            "session_id",
            "profile_id",
            name=op.f("uq_match_session_reminders_session_id_profile_id"),
        ),
    )
    with op.batch_alter_table("match_session_reminders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_session_reminders_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "match_tables",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("fixed_profile_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_match_tables_number_positive")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_match_tables_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fixed_profile_id"],
            ["match_profiles.id"],
            name=op.f("fk_match_tables_fixed_profile_id_match_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_tables")),
        sa.UniqueConstraint(
            "festival_id", "number", name=op.f("uq_match_tables_festival_id_number")
        ),
        sa.UniqueConstraint("fixed_profile_id", name=op.f("uq_match_tables_fixed_profile_id")),
    )
    with op.batch_alter_table("match_tables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_tables_festival_id"), ["festival_id"], unique=False
        )

    op.create_table(
        "meeting_requests",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("pair_low", sa.Integer(), nullable=False),
        sa.Column("pair_high", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("mutual", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decline_reason", sa.String(length=16), nullable=True),
        sa.Column("decline_note", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decline_reason IS NULL OR decline_reason IN ('no_fit', 'no_time', 'already_met', 'other')",
            name=op.f("ck_meeting_requests_decline_reason_known"),
        ),
        sa.CheckConstraint(
            "priority IN ('must', 'want')", name=op.f("ck_meeting_requests_priority_valid")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'accepted', 'declined', 'expired', 'cancelled')",
            name=op.f("ck_meeting_requests_state_valid"),
        ),
        sa.CheckConstraint("sender_id <> recipient_id", name=op.f("ck_meeting_requests_not_self")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_meeting_requests_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["match_profiles.id"],
            name=op.f("fk_meeting_requests_recipient_id_match_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["match_profiles.id"],
            name=op.f("fk_meeting_requests_sender_id_match_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_requests")),
    )
    with op.batch_alter_table("meeting_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_requests_festival_id"), ["festival_id"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_requests_recipient_state", ["recipient_id", "state"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_requests_sender_state", ["sender_id", "state"], unique=False
        )
        batch_op.create_index(
            "uq_meeting_requests_live_pair",
            ["festival_id", "pair_low", "pair_high"],
            unique=True,
            postgresql_where=sa.text("state IN ('pending', 'accepted')"),
            sqlite_where=sa.text("state IN ('pending', 'accepted')"),
        )

    op.create_table(
        "meetings",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('scheduled', 'held', 'no_show', 'cancelled')",
            name=op.f("ck_meetings_state_valid"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_meetings_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_meetings_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["meeting_requests.id"],
            name=op.f("fk_meetings_request_id_meeting_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["match_sessions.id"],
            name=op.f("fk_meetings_session_id_match_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["match_tables.id"],
            name=op.f("fk_meetings_table_id_match_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("uid", name=op.f("uq_meetings_uid")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meetings_festival_start", ["festival_id", "starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meetings_session_id"), ["session_id"], unique=False)
        batch_op.create_index(
            "uq_meetings_live_request",
            ["request_id"],
            unique=True,
            postgresql_where=sa.text("state <> 'cancelled'"),
            sqlite_where=sa.text("state <> 'cancelled'"),
        )
        batch_op.create_index(
            "uq_meetings_table_start",
            ["table_id", "starts_at"],
            unique=True,
            postgresql_where=sa.text("state <> 'cancelled'"),
            sqlite_where=sa.text("state <> 'cancelled'"),
        )

    op.create_table(
        "meeting_feedback",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("follow_up", sa.Boolean(), nullable=False),
        sa.Column("invest_interest", sa.String(length=8), nullable=False),
        sa.Column("amount_min_vnd", sa.BigInteger(), nullable=True),
        sa.Column("amount_max_vnd", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "invest_interest IN ('none', 'maybe', 'yes')",
            name=op.f("ck_meeting_feedback_invest_interest_valid"),
        ),
        sa.CheckConstraint(
            "amount_max_vnd IS NULL OR amount_min_vnd IS NULL OR amount_max_vnd >= amount_min_vnd",
            name=op.f("ck_meeting_feedback_amount_range_ordered"),
        ),
        sa.CheckConstraint(
            "amount_min_vnd IS NULL OR amount_min_vnd >= 0",
            name=op.f("ck_meeting_feedback_amount_not_negative"),
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_meeting_feedback_rating_range")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_feedback_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["match_profiles.id"],
            name=op.f("fk_meeting_feedback_profile_id_match_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_feedback")),
        sa.UniqueConstraint(
            "meeting_id", "profile_id", name=op.f("uq_meeting_feedback_meeting_id_profile_id")
        ),
    )
    with op.batch_alter_table("meeting_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_feedback_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_seats",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_seats_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["match_profiles.id"],
            name=op.f("fk_meeting_seats_profile_id_match_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_seats")),
        sa.UniqueConstraint(
            "meeting_id", "profile_id", name=op.f("uq_meeting_seats_meeting_id_profile_id")
        ),
    )
    with op.batch_alter_table("meeting_seats", schema=None) as batch_op:
        batch_op.create_index(
            "uq_meeting_seats_person_start",
            ["profile_id", "starts_at"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )


def downgrade():
    with op.batch_alter_table("meeting_seats", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_meeting_seats_person_start",
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.drop_table("meeting_seats")
    with op.batch_alter_table("meeting_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_feedback_meeting_id"))

    op.drop_table("meeting_feedback")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_meetings_table_start",
            postgresql_where=sa.text("state <> 'cancelled'"),
            sqlite_where=sa.text("state <> 'cancelled'"),
        )
        batch_op.drop_index(
            "uq_meetings_live_request",
            postgresql_where=sa.text("state <> 'cancelled'"),
            sqlite_where=sa.text("state <> 'cancelled'"),
        )
        batch_op.drop_index(batch_op.f("ix_meetings_session_id"))
        batch_op.drop_index("ix_meetings_festival_start")

    op.drop_table("meetings")
    with op.batch_alter_table("meeting_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_meeting_requests_live_pair",
            postgresql_where=sa.text("state IN ('pending', 'accepted')"),
            sqlite_where=sa.text("state IN ('pending', 'accepted')"),
        )
        batch_op.drop_index("ix_meeting_requests_sender_state")
        batch_op.drop_index("ix_meeting_requests_recipient_state")
        batch_op.drop_index(batch_op.f("ix_meeting_requests_festival_id"))

    op.drop_table("meeting_requests")
    with op.batch_alter_table("match_tables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_tables_festival_id"))

    op.drop_table("match_tables")
    with op.batch_alter_table("match_session_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_session_reminders_profile_id"))

    op.drop_table("match_session_reminders")
    with op.batch_alter_table("match_breaks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_breaks_session_id"))

    op.drop_table("match_breaks")
    with op.batch_alter_table("match_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_blocks_profile_id"))

    op.drop_table("match_blocks")
    op.drop_table("match_settings")
    with op.batch_alter_table("match_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_sessions_festival_id"))

    op.drop_table("match_sessions")
    with op.batch_alter_table("match_schedule_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_schedule_runs_festival_id"))

    op.drop_table("match_schedule_runs")
    with op.batch_alter_table("match_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_profiles_user_id"))
        batch_op.drop_index(batch_op.f("ix_match_profiles_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_match_profiles_name_folded"))
        batch_op.drop_index(batch_op.f("ix_match_profiles_festival_id"))

    op.drop_table("match_profiles")
