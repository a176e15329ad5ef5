"""Links record how they were proven; sign-in codes and link requests get tables.

Why (issue #17, review finding C1): a chat account could link itself to any Notion user by
typing that user's e-mail, admins included. Links are now proven: Slack's verified e-mail, a
one-time code posted in Notion, an admin's approval, the config, or the trusted terminal, and
identity_link.via says which (core.identity.Proof).

Links made before by the e-mail alone ("verification") had no proof: on the terminal they
become "terminal" (trusted local use), elsewhere "unverified", which Darcy ignores unless
`[identity] allow_unverified` is on (then with the member role at most): those people prove
who they are once more (a Slack user whose Slack e-mail matches is linked again at once).

signin_code keeps the hash of each code with its tries and expiry; link_request the links an
admin is asked to approve or deny, and conflicts Darcy settled and reports.

Revision ID: 0005_link_proof
Revises: 0004_slack_events
"""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from alembic import op

revision = "0005_link_proof"
down_revision = "0005_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    unproven = bind.execute(
        sa.text("SELECT COUNT(*) FROM identity_link WHERE via = 'verification' AND platform <> 'terminal'")
    ).scalar_one()
    bind.execute(
        sa.text(
            "UPDATE identity_link SET via = 'terminal' WHERE via = 'verification' AND platform = 'terminal'"
        )
    )
    bind.execute(sa.text("UPDATE identity_link SET via = 'unverified' WHERE via = 'verification'"))
    if unproven:
        structlog.get_logger("darcy.db").warning(
            "unproven_links_marked",
            links=unproven,
            detail="links made by e-mail alone are now 'unverified': those people prove who they are again",
        )

    op.create_table(
        "signin_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("platform_user_id", sa.String(), nullable=False),
        sa.Column("notion_user_id", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signin_code_account", "signin_code", ["platform", "platform_user_id"])
    op.create_index("ix_signin_code_notion_user", "signin_code", ["platform", "notion_user_id"])

    op.create_table(
        "link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("platform_user_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("notion_user_id", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_request_state", "link_request", ["state"])


def downgrade() -> None:
    op.drop_index("ix_link_request_state", table_name="link_request")
    op.drop_table("link_request")
    op.drop_index("ix_signin_code_notion_user", table_name="signin_code")
    op.drop_index("ix_signin_code_account", table_name="signin_code")
    op.drop_table("signin_code")
    op.execute("UPDATE identity_link SET via = 'verification' WHERE via IN ('terminal', 'unverified')")
