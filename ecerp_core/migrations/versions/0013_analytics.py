"""saved custom reports (saved_report) and the permission to save them (analytics.report)

Revision ID: 0013_analytics
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import ecerp_core.db

revision = "0013_analytics"
down_revision = "0013_auth"
branch_labels = None
depends_on = None

GRANTED = ("admin", "accountant", "analyst")


def upgrade() -> None:
    op.create_table(
        "saved_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("chart", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("created_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_report")),
        sa.UniqueConstraint("name", name=op.f("uq_saved_report_name")),
    )
    bind = op.get_bind()
    roles = set(bind.execute(sa.text("SELECT code FROM role")).scalars())
    for role in GRANTED:
        if role in roles:
            bind.execute(
                sa.text(
                    "INSERT INTO role_permission (role_code, permission) VALUES (:r, 'analytics.report')"
                ),
                {"r": role},
            )


def downgrade() -> None:
    op.execute("DELETE FROM role_permission WHERE permission = 'analytics.report'")
    op.drop_table("saved_report")
