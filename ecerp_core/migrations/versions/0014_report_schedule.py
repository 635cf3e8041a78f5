"""saved reports rendered on a schedule: when each is due (saved_report_schedule) and every rendering
(saved_report_run, one per due slot)

Revision ID: 0014_report_schedule
Revises: 0013_robust
"""

import sqlalchemy as sa
from alembic import op

import ecerp_core.db

revision = "0014_report_schedule"
down_revision = "0013_robust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("slot", ecerp_core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("notebook", sa.String(length=500), nullable=False),
        sa.Column("html", sa.String(length=500), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["saved_report.id"], name=op.f("fk_saved_report_run_report_id_saved_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_report_run")),
        sa.UniqueConstraint("report_id", "slot", name=op.f("uq_saved_report_run_report_id_slot")),
    )
    with op.batch_alter_table("saved_report_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_report_run_report_id"), ["report_id"], unique=False)

    op.create_table(
        "saved_report_schedule",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("every", sa.String(length=10), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["saved_report.id"], name=op.f("fk_saved_report_schedule_report_id_saved_report")
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_saved_report_schedule")),
    )


def downgrade() -> None:
    op.drop_table("saved_report_schedule")
    with op.batch_alter_table("saved_report_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_report_run_report_id"))

    op.drop_table("saved_report_run")
