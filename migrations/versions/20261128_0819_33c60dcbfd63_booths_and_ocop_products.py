"""Booths and OCOP products: exhibitors, products with certificates and photos, halls, zones,
booths, booth applications (with their fee and staff-pass orders) and bookings (one active
booking per booth, by a partial unique index), fee waivers, leads.

Revision ID: 33c60dcbfd63
Revises: 7d1f0c2a9b3e
Create Date: 2026-11-28 08:19:00.480971+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "33c60dcbfd63"
down_revision = "7d1f0c2a9b3e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exhibitors",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("home_area_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("logo", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ocop_producer', 'cooperative', 'startup', 'enterprise', 'household_business', 'union', 'school', 'other')",
            name=op.f("ck_exhibitors_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["home_area_id"], ["areas.id"], name=op.f("fk_exhibitors_home_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_exhibitors_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibitors")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_exhibitors_organisation_id")),
    )
    with op.batch_alter_table("exhibitors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exhibitors_home_area_id"), ["home_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exhibitors_name_folded"), ["name_folded"], unique=False
        )

    op.create_table(
        "halls",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("width_m", sa.Integer(), nullable=False),
        sa.Column("depth_m", sa.Integer(), nullable=False),
        sa.Column("outdoor", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("width_m > 0 AND depth_m > 0", name=op.f("ck_halls_size_positive")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_halls_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_halls")),
        sa.UniqueConstraint("festival_id", "name", name=op.f("uq_halls_festival_id_name")),
    )
    with op.batch_alter_table("halls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_halls_festival_id"), ["festival_id"], unique=False)

    op.create_table(
        "booth_fee_waivers",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_booth_fee_waivers_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["participant_groups.id"],
            name=op.f("fk_booth_fee_waivers_group_id_participant_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booth_fee_waivers")),
        sa.UniqueConstraint(
            "festival_id", "group_id", name=op.f("uq_booth_fee_waivers_festival_id_group_id")
        ),
    )
    op.create_table(
        "products",
        sa.Column("exhibitor_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("ocop_group", sa.String(length=8), nullable=True),
        sa.Column("stars", sa.SmallInteger(), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("decision_number", sa.String(length=60), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("issuing_body", sa.String(length=255), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("price_min_vnd", sa.BigInteger(), nullable=True),
        sa.Column("price_max_vnd", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_max_vnd IS NULL OR price_min_vnd IS NULL OR price_max_vnd >= price_min_vnd",
            name=op.f("ck_products_price_range_ordered"),
        ),
        sa.CheckConstraint(
            "price_min_vnd IS NULL OR price_min_vnd >= 0",
            name=op.f("ck_products_price_min_non_negative"),
        ),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN 0 AND 100", name=op.f("ck_products_score_range")
        ),
        sa.CheckConstraint(
            "stars IS NULL OR stars BETWEEN 1 AND 5", name=op.f("ck_products_stars_range")
        ),
        sa.ForeignKeyConstraint(
            ["exhibitor_id"],
            ["exhibitors.id"],
            name=op.f("fk_products_exhibitor_id_exhibitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_products_verified_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_products_exhibitor_id"), ["exhibitor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_products_name_folded"), ["name_folded"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_ocop_group"), ["ocop_group"], unique=False)

    op.create_table(
        "zones",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("width_m", sa.Integer(), nullable=False),
        sa.Column("depth_m", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("width_m > 0 AND depth_m > 0", name=op.f("ck_zones_size_positive")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_zones_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_zones_hall_id_halls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint("hall_id", "name", name=op.f("uq_zones_hall_id_name")),
    )
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zones_festival_id"), ["festival_id"], unique=False)

    op.create_table(
        "booths",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("width_m", sa.Integer(), nullable=False),
        sa.Column("depth_m", sa.Integer(), nullable=False),
        sa.Column("corner", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("price_vnd", sa.BigInteger(), nullable=False),
        sa.Column("reserved_group_id", sa.Integer(), nullable=True),
        sa.Column("reserved_area_id", sa.Integer(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("blocked_reason", sa.String(length=200), nullable=True),
        sa.Column("staff_passes", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ocop', 'startup', 'sponsor', 'union', 'school', 'food', 'outdoor')",
            name=op.f("ck_booths_kind_valid"),
        ),
        sa.CheckConstraint("price_vnd >= 0", name=op.f("ck_booths_price_non_negative")),
        sa.CheckConstraint("staff_passes >= 0", name=op.f("ck_booths_staff_passes_non_negative")),
        sa.CheckConstraint("width_m > 0 AND depth_m > 0", name=op.f("ck_booths_size_positive")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_booths_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_booths_hall_id_halls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reserved_area_id"], ["areas.id"], name=op.f("fk_booths_reserved_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["reserved_group_id"],
            ["participant_groups.id"],
            name=op.f("fk_booths_reserved_group_id_participant_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_booths_zone_id_zones"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booths")),
        sa.UniqueConstraint("festival_id", "code", name=op.f("uq_booths_festival_id_code")),
    )
    with op.batch_alter_table("booths", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booths_festival_id"), ["festival_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booths_hall_id"), ["hall_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booths_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "product_photos",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_photos_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_photos")),
    )
    with op.batch_alter_table("product_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_photos_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "booth_applications",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("exhibitor_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_electricity", sa.Boolean(), nullable=False),
        sa.Column("tables", sa.Integer(), nullable=False),
        sa.Column("chairs", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fee_vnd", sa.BigInteger(), nullable=False),
        sa.Column("fee_waived", sa.Boolean(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("passes_order_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('held', 'pending', 'approved', 'waitlisted', 'rejected', 'withdrawn', 'expired')",
            name=op.f("ck_booth_applications_state_valid"),
        ),
        sa.CheckConstraint("fee_vnd >= 0", name=op.f("ck_booth_applications_fee_non_negative")),
        sa.CheckConstraint(
            "tables >= 0 AND chairs >= 0", name=op.f("ck_booth_applications_furniture_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["users.id"],
            name=op.f("fk_booth_applications_applicant_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_booth_applications_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["exhibitor_id"],
            ["exhibitors.id"],
            name=op.f("fk_booth_applications_exhibitor_id_exhibitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_booth_applications_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["participant_groups.id"],
            name=op.f("fk_booth_applications_group_id_participant_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_booth_applications_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["passes_order_id"],
            ["orders.id"],
            name=op.f("fk_booth_applications_passes_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booth_applications")),
    )
    with op.batch_alter_table("booth_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booth_applications_exhibitor_id"), ["exhibitor_id"], unique=False
        )
        batch_op.create_index(
            "ix_booth_applications_festival_state", ["festival_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_booth_applications_hold_expires_at"), ["hold_expires_at"], unique=False
        )

    op.create_table(
        "booth_application_products",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["booth_applications.id"],
            name=op.f("fk_booth_application_products_application_id_booth_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_booth_application_products_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "product_id", name=op.f("pk_booth_application_products")
        ),
    )
    op.create_table(
        "booth_bookings",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("booth_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["booth_applications.id"],
            name=op.f("fk_booth_bookings_application_id_booth_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booth_id"],
            ["booths.id"],
            name=op.f("fk_booth_bookings_booth_id_booths"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_booth_bookings_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booth_bookings")),
    )
    with op.batch_alter_table("booth_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booth_bookings_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_booth_bookings_festival_id"), ["festival_id"], unique=False
        )
        batch_op.create_index(
            "uq_booth_bookings_one_active",
            ["booth_id"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.create_table(
        "leads",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("exhibitor_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_leads_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["exhibitor_id"],
            ["exhibitors.id"],
            name=op.f("fk_leads_exhibitor_id_exhibitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["festivals.id"],
            name=op.f("fk_leads_festival_id_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_leads_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint(
            "exhibitor_id", "ticket_id", name=op.f("uq_leads_exhibitor_id_ticket_id")
        ),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_festival_id"), ["festival_id"], unique=False)


def downgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_festival_id"))

    op.drop_table("leads")
    with op.batch_alter_table("booth_bookings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_booth_bookings_one_active",
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )
        batch_op.drop_index(batch_op.f("ix_booth_bookings_festival_id"))
        batch_op.drop_index(batch_op.f("ix_booth_bookings_application_id"))

    op.drop_table("booth_bookings")
    op.drop_table("booth_application_products")
    with op.batch_alter_table("booth_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booth_applications_hold_expires_at"))
        batch_op.drop_index("ix_booth_applications_festival_state")
        batch_op.drop_index(batch_op.f("ix_booth_applications_exhibitor_id"))

    op.drop_table("booth_applications")
    with op.batch_alter_table("product_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_photos_product_id"))

    op.drop_table("product_photos")
    with op.batch_alter_table("booths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booths_zone_id"))
        batch_op.drop_index(batch_op.f("ix_booths_hall_id"))
        batch_op.drop_index(batch_op.f("ix_booths_festival_id"))

    op.drop_table("booths")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zones_festival_id"))

    op.drop_table("zones")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_ocop_group"))
        batch_op.drop_index(batch_op.f("ix_products_name_folded"))
        batch_op.drop_index(batch_op.f("ix_products_exhibitor_id"))

    op.drop_table("products")
    op.drop_table("booth_fee_waivers")
    with op.batch_alter_table("halls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_halls_festival_id"))

    op.drop_table("halls")
    with op.batch_alter_table("exhibitors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exhibitors_name_folded"))
        batch_op.drop_index(batch_op.f("ix_exhibitors_home_area_id"))

    op.drop_table("exhibitors")
