"""The seen_event table: chat platform event ids already taken in, shared by replicas.

Why: Slack retries an event it got no timely ack for (`X-Slack-Retry-Num`, Socket Mode's
`retry_attempt`), and a retry may reach another replica; a record in each process let that
replica answer it a second time. Rows are kept about an hour (SqlSeenEvents.KEEP): Slack's
last retry comes about five minutes after the event.

Revision ID: 0004_slack_events
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_slack_events"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_event",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_seen_event_seen_at", "seen_event", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_event_seen_at", table_name="seen_event")
    op.drop_table("seen_event")
