"""The usage table: what each command cost (model calls, tokens, dollars, Notion calls).

Why: budgets and `darcy usage` read it (integrations/db/tables.py, UsageRow). `day` is the
workspace's calendar day, kept beside the UTC instant `at` so reports group by the day people
lived, whatever the server's timezone.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("command", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("notion_user_id", sa.String(), nullable=True),
        sa.Column("person", sa.String(), nullable=True),
        sa.Column("tool", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("llm_calls", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("notion_calls", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_usage_at", "usage", ["at"])
    op.create_index("ix_usage_day", "usage", ["day"])
    op.create_index("ix_usage_notion_user_id", "usage", ["notion_user_id"])


def downgrade() -> None:
    op.drop_index("ix_usage_notion_user_id", table_name="usage")
    op.drop_index("ix_usage_day", table_name="usage")
    op.drop_index("ix_usage_at", table_name="usage")
    op.drop_table("usage")
