"""Check-in: the ``checkin_scan`` SQL function of the lean scan path (PostgreSQL only).

Revision ID: 7d1f0c2a9b3e
Revises: 25cd9d2d51d9
Create Date: 2026-11-28 07:45:00+00:00

"""

from alembic import op

from ticketing.checkin import scan_sql

# revision identifiers, used by Alembic.
revision = "7d1f0c2a9b3e"
down_revision = "25cd9d2d51d9"
branch_labels = None
depends_on = None


def upgrade():
    # The function's text is the application's (``scan_sql.FUNCTION``): CREATE OR REPLACE,
    # so a later revision that changes the rules runs it again.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(scan_sql.FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(scan_sql.DROP)
