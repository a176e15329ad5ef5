"""The conversation table: what Darcy is waiting for from each person, shared by replicas.

Why: the conversation lived in one process's memory, so a follow-up ("make it Friday instead",
the e-mail Darcy asked for) that reached another replica, or came after a restart, found
nothing. One row per (platform, channel, user), a version for compare-and-set, a TTL.

Revision ID: 0005_conversations
Revises: 0004_slack_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_conversations"
down_revision = "0005_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data_json", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", "user_id"),
    )
    op.create_index("ix_conversation_expires_at", "conversation", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_expires_at", table_name="conversation")
    op.drop_table("conversation")
