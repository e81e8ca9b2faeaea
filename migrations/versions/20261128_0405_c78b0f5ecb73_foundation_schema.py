"""Foundation schema: areas and lineage, users and organisations, festivals, outbox.

Revision ID: c78b0f5ecb73
Revises:
Create Date: 2026-11-28 04:05:56.401821+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c78b0f5ecb73"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "areas",
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('tinh', 'thanh_pho', 'huyen', 'thi_xa', 'xa', 'phuong', 'thi_tran', 'dac_khu')",
            name=op.f("ck_areas_kind_valid"),
        ),
        sa.CheckConstraint(
            "level IN ('province', 'district', 'commune')", name=op.f("ck_areas_level_valid")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_areas_validity_ordered")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["areas.id"], name=op.f("fk_areas_parent_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint(
            "level", "code", "valid_from", name=op.f("uq_areas_level_code_valid_from")
        ),
    )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_areas_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_areas_name_folded"), ["name_folded"], unique=False)
        batch_op.create_index(batch_op.f("ix_areas_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "outbox_mails",
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("template", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'logged', 'failed')",
            name=op.f("ck_outbox_mails_status_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mails")),
    )
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_mails_recipient"), ["recipient"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_mails_status"), ["status"], unique=False)

    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_version", sa.Integer(), nullable=False),
        sa.Column("data_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("locale IN ('vi', 'en')", name=op.f("ck_users_locale_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_name_folded"), ["name_folded"], unique=False)

    op.create_table(
        "area_lineages",
        sa.Column("old_area_id", sa.Integer(), nullable=False),
        sa.Column("new_area_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("old_area_id <> new_area_id", name=op.f("ck_area_lineages_not_self")),
        sa.ForeignKeyConstraint(
            ["new_area_id"],
            ["areas.id"],
            name=op.f("fk_area_lineages_new_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["old_area_id"],
            ["areas.id"],
            name=op.f("fk_area_lineages_old_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_lineages")),
        sa.UniqueConstraint(
            "old_area_id", "new_area_id", name=op.f("uq_area_lineages_old_area_id_new_area_id")
        ),
    )
    with op.batch_alter_table("area_lineages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_area_lineages_new_area_id"), ["new_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_area_lineages_old_area_id"), ["old_area_id"], unique=False
        )

    op.create_table(
        "festivals",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name_vi", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("venue_name", sa.String(length=255), nullable=False),
        sa.Column("venue_address", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("cover_image", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'closed', 'archived')",
            name=op.f("ck_festivals_state_valid"),
        ),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
            name=op.f("ck_festivals_latitude_range"),
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name=op.f("ck_festivals_longitude_range"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_festivals_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_festivals")),
        sa.UniqueConstraint("slug", name=op.f("uq_festivals_slug")),
    )
    with op.batch_alter_table("festivals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_festivals_state"), ["state"], unique=False)

    op.create_table(
        "organisations",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("tax_code", sa.String(length=20), nullable=True),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('startup', 'cooperative', 'enterprise', 'household_business', 'union', 'school', 'investment_fund', 'government')",
            name=op.f("ck_organisations_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_organisations_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_organisations_name_folded"), ["name_folded"], unique=False
        )

    op.create_table(
        "coorganizer_invitations",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_coorganizer_invitations_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_coorganizer_invitations_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_coorganizer_invitations_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_coorganizer_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coorganizer_invitations")),
    )
    op.create_table(
        "festival_days",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_festival_days_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_festival_days_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_festival_days")),
        sa.UniqueConstraint("festival_id", "day", name=op.f("uq_festival_days_festival_id_day")),
    )
    op.create_table(
        "festival_hosts",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("area_label", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_festival_hosts_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_festival_hosts_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_festival_hosts")),
        sa.UniqueConstraint(
            "festival_id", "area_id", name=op.f("uq_festival_hosts_festival_id_area_id")
        ),
    )
    with op.batch_alter_table("festival_hosts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_festival_hosts_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "uq_festival_hosts_one_lead",
            ["festival_id"],
            unique=True,
            postgresql_where=sa.text("is_lead"),
            sqlite_where=sa.text("is_lead"),
        )

    op.create_table(
        "festival_roles",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('organizer', 'staff', 'judge', 'exhibitor', 'investor', 'expert', 'startup', 'attendee')",
            name=op.f("ck_festival_roles_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_festival_roles_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_festival_roles_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_festival_roles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_festival_roles")),
        sa.UniqueConstraint(
            "festival_id",
            "user_id",
            "role",
            name=op.f("uq_festival_roles_festival_id_user_id_role"),
        ),
    )
    with op.batch_alter_table("festival_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_festival_roles_user_id"), ["user_id"], unique=False)

    op.create_table(
        "organisation_members",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'member')", name=op.f("ck_organisation_members_role_valid")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_members_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_organisation_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_members")),
        sa.UniqueConstraint(
            "organisation_id",
            "user_id",
            name=op.f("uq_organisation_members_organisation_id_user_id"),
        ),
    )
    with op.batch_alter_table("organisation_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "participant_groups",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('youth', 'farmers', 'women', 'university_students', 'highschool_students', 'enterprises', 'cooperatives', 'custom')",
            name=op.f("ck_participant_groups_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_participant_groups_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_groups")),
        sa.UniqueConstraint(
            "festival_id", "name_vi", name=op.f("uq_participant_groups_festival_id_name_vi")
        ),
    )
    op.create_table(
        "stages",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_stages_capacity_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_stages_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stages")),
        sa.UniqueConstraint("festival_id", "name_vi", name=op.f("uq_stages_festival_id_name_vi")),
    )


def downgrade():
    op.drop_table("stages")
    op.drop_table("participant_groups")
    with op.batch_alter_table("organisation_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_members_user_id"))

    op.drop_table("organisation_members")
    with op.batch_alter_table("festival_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_festival_roles_user_id"))

    op.drop_table("festival_roles")
    with op.batch_alter_table("festival_hosts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_festival_hosts_one_lead",
            postgresql_where=sa.text("is_lead"),
            sqlite_where=sa.text("is_lead"),
        )
        batch_op.drop_index(batch_op.f("ix_festival_hosts_area_id"))

    op.drop_table("festival_hosts")
    op.drop_table("festival_days")
    op.drop_table("coorganizer_invitations")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_name_folded"))
        batch_op.drop_index(batch_op.f("ix_organisations_area_id"))

    op.drop_table("organisations")
    with op.batch_alter_table("festivals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_festivals_state"))

    op.drop_table("festivals")
    with op.batch_alter_table("area_lineages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_lineages_old_area_id"))
        batch_op.drop_index(batch_op.f("ix_area_lineages_new_area_id"))

    op.drop_table("area_lineages")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_name_folded"))

    op.drop_table("users")
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_mails_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_mails_recipient"))

    op.drop_table("outbox_mails")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_areas_parent_id"))
        batch_op.drop_index(batch_op.f("ix_areas_name_folded"))
        batch_op.drop_index(batch_op.f("ix_areas_code"))

    op.drop_table("areas")
