"""One chat account per Notion user on a platform, enforced by the database.

Why: the rule was only checked in code (the holder is looked up before a link is offered, and
again at the click), and two replicas linking the same Notion user at the same moment can both
pass that check. A unique index on identity_link(platform, notion_user_id) makes the second
link fail: SqlIdentityRepository.link raises core's LinkTaken, which the person sees as "linked
to another user meanwhile", and config mappings that would break the rule are skipped.

Links that already break it are removed first, keeping for each (platform, Notion user) the
earliest link (then the smallest chat user id): the others were made after that Notion user was
taken. Their people are asked to verify again; each removed link is logged.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The links that another link of the same Notion user on the same platform came before
# (SQLite stores the UTC times as ISO text, so comparing them compares the instants).
LATER_DUPLICATES = """
FROM identity_link
WHERE EXISTS (
    SELECT 1 FROM identity_link AS earlier
    WHERE earlier.platform = identity_link.platform
      AND earlier.notion_user_id = identity_link.notion_user_id
      AND (
        earlier.created_at < identity_link.created_at
        OR (earlier.created_at = identity_link.created_at
            AND earlier.platform_user_id < identity_link.platform_user_id)
      )
)
"""


def upgrade() -> None:
    bind = op.get_bind()
    removed = bind.execute(sa.text(f"SELECT platform, platform_user_id, notion_user_id {LATER_DUPLICATES}"))
    removed = [tuple(row) for row in removed]
    if removed:
        bind.execute(sa.text(f"DELETE {LATER_DUPLICATES}"))
        structlog.get_logger("darcy.db").warning(
            "duplicate_links_removed",
            links=[f"{platform}:{user} (Notion user {notion})" for platform, user, notion in removed],
        )
    op.create_index(
        "ix_identity_link_platform_notion_user",
        "identity_link",
        ["platform", "notion_user_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_identity_link_platform_notion_user", table_name="identity_link")
