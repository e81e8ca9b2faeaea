"""Check-in: lists, gates, scanner devices and scans (one admission per ticket and
single-entry list, by a partial unique index).

Revision ID: 25cd9d2d51d9
Revises: f6377108e1d4
Create Date: 2026-11-28 05:11:24.873164+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "25cd9d2d51d9"
down_revision = "f6377108e1d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "checkin_lists",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("allow_reentry", sa.Boolean(), nullable=False),
        sa.Column("track_exits", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at",
            name=op.f("ck_checkin_lists_window_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_checkin_lists_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_lists")),
        sa.UniqueConstraint("festival_id", "name", name=op.f("uq_checkin_lists_festival_id_name")),
    )
    op.create_table(
        "gates",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_gates_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gates")),
        sa.UniqueConstraint("festival_id", "name", name=op.f("uq_gates_festival_id_name")),
    )
    op.create_table(
        "checkin_list_days",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("festival_day_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_day_id"],
            ["festival_days.id"],
            name=op.f("fk_checkin_list_days_festival_day_id_festival_days"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["checkin_lists.id"],
            name=op.f("fk_checkin_list_days_list_id_checkin_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "festival_day_id", name=op.f("pk_checkin_list_days")),
    )
    op.create_table(
        "checkin_list_types",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("ticket_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["checkin_lists.id"],
            name=op.f("fk_checkin_list_types_list_id_checkin_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"],
            ["ticket_types.id"],
            name=op.f("fk_checkin_list_types_ticket_type_id_ticket_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "ticket_type_id", name=op.f("pk_checkin_list_types")),
    )
    op.create_table(
        "scanner_devices",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("pairing_code_hash", sa.String(length=64), nullable=True),
        sa.Column("pairing_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_scanner_devices_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["gates.id"],
            name=op.f("fk_scanner_devices_gate_id_gates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["checkin_lists.id"],
            name=op.f("fk_scanner_devices_list_id_checkin_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_scanner_devices_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scanner_devices")),
        sa.UniqueConstraint("pairing_code_hash", name=op.f("uq_scanner_devices_pairing_code_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scanner_devices_token_hash")),
    )
    op.create_table(
        "scans",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("gate_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("admits", sa.Boolean(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("raw_code", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('ok', 'already_checked_in', 'unpaid', 'revoked', 'wrong_day', 'wrong_list', 'invalid')",
            name=op.f("ck_scans_status_valid"),
        ),
        sa.CheckConstraint("type IN ('entry', 'exit')", name=op.f("ck_scans_type_valid")),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["scanner_devices.id"],
            name=op.f("fk_scans_device_id_scanner_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["scans.id"], name=op.f("fk_scans_duplicate_of_id_scans")
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_scans_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"], ["gates.id"], name=op.f("fk_scans_gate_id_gates"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["checkin_lists.id"],
            name=op.f("fk_scans_list_id_checkin_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_scans_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
        sa.UniqueConstraint("nonce", name=op.f("uq_scans_nonce")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scans_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            "ix_scans_festival_scanned", ["festival_id", "scanned_at"], unique=False
        )
        batch_op.create_index("ix_scans_list_ticket", ["list_id", "ticket_id"], unique=False)
        batch_op.create_index(
            "uq_scans_one_admission",
            ["list_id", "ticket_id"],
            unique=True,
            postgresql_where=sa.text("admits"),
            sqlite_where=sa.text("admits"),
        )


def downgrade():
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_scans_one_admission",
            postgresql_where=sa.text("admits"),
            sqlite_where=sa.text("admits"),
        )
        batch_op.drop_index("ix_scans_list_ticket")
        batch_op.drop_index("ix_scans_festival_scanned")
        batch_op.drop_index(batch_op.f("ix_scans_device_id"))

    op.drop_table("scans")
    op.drop_table("scanner_devices")
    op.drop_table("checkin_list_types")
    op.drop_table("checkin_list_days")
    op.drop_table("gates")
    op.drop_table("checkin_lists")
