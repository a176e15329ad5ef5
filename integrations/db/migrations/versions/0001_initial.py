"""The schema as it was before alembic: identity links, pending actions and the audit log.

Why: these three tables were made by `SQLModel.metadata.create_all` until now. This revision
makes the same tables (same columns, types, nullability and indexes), so a new database and
one made by create_all are the same thing; the latter is stamped at this revision at start
(integrations/db/migrations/__init__.py) instead of being upgraded through it.

Times are timezone-aware: `timestamp with time zone` on PostgreSQL, DATETIME on SQLite.

Revision ID: 0001
Revises: -
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_link",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("platform_user_id", sa.String(), nullable=False),
        sa.Column("notion_user_id", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "platform_user_id"),
    )
    op.create_index("ix_identity_link_notion_user_id", "identity_link", ["notion_user_id"])

    op.create_table(
        "pending_action",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("tool", sa.String(), nullable=False),
        sa.Column("plan_json", sa.String(), nullable=False),
        sa.Column("options_json", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("args_hash", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("result_json", sa.String(), nullable=True),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pending_action_state", "pending_action", ["state"])

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),  # SERIAL on PostgreSQL, ROWID on SQLite
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("notion_user_id", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("tool", sa.String(), nullable=True),
        sa.Column("args_json", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("page_id", sa.String(), nullable=True),
        sa.Column("before_json", sa.String(), nullable=True),
        sa.Column("after_json", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_at", "audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_table("audit")
    op.drop_index("ix_pending_action_state", table_name="pending_action")
    op.drop_table("pending_action")
    op.drop_index("ix_identity_link_notion_user_id", table_name="identity_link")
    op.drop_table("identity_link")
