"""Indexes for the per-person and per-task questions the security fixes ask on every request.

Why: a person's open confirmations are counted before another is stored (at most
`[limits] open_confirmations`), and an archive looks up the audit rows of its task (a lead
may not archive a task they moved out of a project they do not lead): without these
indexes both scan their whole table.

Revision ID: 0005_limits
Revises: 0004_slack_events
"""

from __future__ import annotations

from alembic import op

revision = "0005_limits"
down_revision = "0004_slack_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pending_action_platform_user", "pending_action", ["platform", "user_id"])
    op.create_index("ix_audit_page_id", "audit", ["page_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_page_id", table_name="audit")
    op.drop_index("ix_pending_action_platform_user", table_name="pending_action")
