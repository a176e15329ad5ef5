"""The task index: what naming a task needs of every page of the board, kept in Darcy's
database and followed incrementally (issue #19).

Why: a request that named a task listed the whole board (35 Notion calls at 3,500 tasks, about
12 s at Notion's 3 requests/s). `task_index` holds id, title, status, people, project, due date
and last edit per page; `task_index_state` how far the index has followed Notion, the mapping
that built it, the first sync's progress and the refresh lease shared by replicas.

Revision ID: 0005_task_index
Revises: 0004_slack_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_task_index"
down_revision = "0005_link_proof"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_index",
        sa.Column("task_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("assignee_ids", sa.String(), nullable=False),
        sa.Column("project_ids", sa.String(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("last_edited", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_index("ix_task_index_version", "task_index", ["version"])
    op.create_table(
        "task_index_state",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.String(), nullable=False),
        sa.Column("watermark", sa.String(), nullable=True),
        sa.Column("trash_watermark", sa.String(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_tasks", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("swept_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trash_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("task_index_state")
    op.drop_index("ix_task_index_version", table_name="task_index")
    op.drop_table("task_index")
