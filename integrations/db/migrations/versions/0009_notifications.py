"""The notice tables: notifications claimed once, assignments seen, people's own settings.

Why: Darcy speaks first (issue #20). A notice is inserted under its unique key before it is
sent, so replicas and restarts send it once (`notice`); the assignments seen on the board tell
a new one from an old one across restarts and replicas (`notice_assignment`); a person's
"remind me at 8:30" is kept over the admin's defaults (`notice_prefs`); a lead's weekly channel
digest (`notice_digest`) and when each task was first seen finished (`notice_finished`).

Revision ID: 0005_notifications
Revises: 0004_slack_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_notifications"
down_revision = "0005_task_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("notion_user_id", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("payload_json", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_key", "notice", ["key"], unique=True)
    op.create_index("ix_notice_notion_user_id", "notice", ["notion_user_id"])
    op.create_index("ix_notice_state", "notice", ["state"])
    op.create_index("ix_notice_fire_at", "notice", ["fire_at"])
    op.create_table(
        "notice_assignment",
        sa.Column("task_id", sa.String(), nullable=False),
        sa.Column("notion_user_id", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "notion_user_id"),
    )
    op.create_table(
        "notice_prefs",
        sa.Column("notion_user_id", sa.String(), nullable=False),
        sa.Column("prefs_json", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notion_user_id"),
    )
    op.create_table(
        "notice_digest",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("project_name", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "notice_finished",
        sa.Column("task_id", sa.String(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )


def downgrade() -> None:
    op.drop_table("notice_finished")
    op.drop_table("notice_digest")
    op.drop_table("notice_prefs")
    op.drop_table("notice_assignment")
    op.drop_index("ix_notice_fire_at", table_name="notice")
    op.drop_index("ix_notice_state", table_name="notice")
    op.drop_index("ix_notice_notion_user_id", table_name="notice")
    op.drop_index("ix_notice_key", table_name="notice")
    op.drop_table("notice")
