"""Darcy's tables. SQLite by default, PostgreSQL by DATABASE_URL: the same models.

Times are timezone-aware (`timestamp with time zone` on PostgreSQL) and written in UTC. A change
here needs a revision in integrations/db/migrations/versions (tests/integration/test_migrations.py
compares the models with the migrated schema).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import DateTime, Index
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


class IdentityLink(SQLModel, table=True):
    __tablename__ = "identity_link"
    # One chat account per Notion user on a platform: the database refuses a second (0003).
    __table_args__ = (
        Index("ix_identity_link_platform_notion_user", "platform", "notion_user_id", unique=True),
    )

    platform: str = Field(primary_key=True)
    platform_user_id: str = Field(primary_key=True)
    notion_user_id: str = Field(index=True)
    via: str  # how it was proven: core.identity.Proof (config, admin, slack_email, notion_code, …)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class PendingActionRow(SQLModel, table=True):
    __tablename__ = "pending_action"
    # A person's open confirmations are counted before another is stored (0005).
    __table_args__ = (Index("ix_pending_action_platform_user", "platform", "user_id"),)

    id: str = Field(primary_key=True)
    kind: str
    platform: str
    user_id: str
    channel_id: str
    tool: str
    plan_json: str
    options_json: str = "[]"
    summary: str
    text: str
    args_hash: str
    state: str = Field(index=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    correlation_id: str
    result_json: str | None = None
    # When the state last moved (wall clock): an action "confirmed" long ago was interrupted.
    moved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, index=True, sa_type=DateTime(timezone=True))
    correlation_id: str
    platform: str
    user_id: str
    notion_user_id: str | None = None
    text: str = ""
    tool: str | None = None
    args_json: str = "{}"
    decision: str
    page_id: str | None = Field(default=None, index=True)  # a task's history (0005)
    before_json: str | None = None
    after_json: str | None = None


class UsageRow(SQLModel, table=True):
    """What one command cost: model calls, tokens, dollars and Notion calls. `day` is the
    workspace's calendar day (budgets and `darcy usage --by day` count in it), not UTC's."""

    __tablename__ = "usage"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, index=True, sa_type=DateTime(timezone=True))
    day: date = Field(index=True)
    correlation_id: str
    command: str  # HandleRequest, Confirm, Pick, ...
    platform: str
    user_id: str
    notion_user_id: str | None = Field(default=None, index=True)
    person: str | None = None  # the member's handle or name when known, for the report
    tool: str | None = None
    decision: str | None = None
    model: str | None = None  # the model that answered last, if one was called
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    notion_calls: int = 0
    duration_ms: float = 0.0


class SeenEventRow(SQLModel, table=True):
    """A chat platform's event id, once some replica took the event in (Slack retries an event
    it got no timely ack for, to any replica). Rows older than a short while are deleted."""

    __tablename__ = "seen_event"

    event_id: str = Field(primary_key=True)  # "<platform>:<the platform's event id>"
    seen_at: datetime = Field(default_factory=_now, index=True, sa_type=DateTime(timezone=True))


class ConversationRow(SQLModel, table=True):
    """What Darcy is waiting for from one person in one channel (core/conversation.py), shared
    by replicas. `version` moves by one at each write: a write that finds another version lost
    a race. Rows past `expires_at` are dead and deleted in the background."""

    __tablename__ = "conversation"

    platform: str = Field(primary_key=True)
    channel_id: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    version: int
    data_json: str  # the pydantic Conversation's JSON
    expires_at: datetime = Field(index=True, sa_type=DateTime(timezone=True))

class SignInCodeRow(SQLModel, table=True):
    """A one-time sign-in code posted in Notion (core.identity.SignInCode): its hash only."""

    __tablename__ = "signin_code"
    __table_args__ = (
        Index("ix_signin_code_account", "platform", "platform_user_id"),
        Index("ix_signin_code_notion_user", "platform", "notion_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    platform_user_id: str
    notion_user_id: str | None = None  # None: the address matched no one, so nothing was sent
    email: str
    code_hash: str
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    attempts: int = 0
    state: str  # live, used, dead


class LinkRequestRow(SQLModel, table=True):
    """A link waiting for an admin (core.identity.LinkRequest): `darcy links --pending`."""

    __tablename__ = "link_request"

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # approval, conflict
    platform: str
    platform_user_id: str
    email: str | None = None
    notion_user_id: str | None = None
    reason: str = ""
    state: str = Field(index=True)  # pending, approved, denied, superseded
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class TaskIndexRow(SQLModel, table=True):
    """What naming a task needs of one Notion page, so a request never lists the whole board
    (issue #19). Never decides a write: the click reads the page again from Notion.

    `version` is the index's change counter when the row was last written (TaskIndexState
    .version): a replica asks for the rows above the last version it saw, so it follows the
    refresher's changes with one small query. A page that left the board is kept as `gone`
    (so replicas see it leave) until the next rebuild."""

    __tablename__ = "task_index"

    task_id: str = Field(primary_key=True)
    title: str
    status: str | None = None
    assignee_ids: str = "[]"  # JSON list of Notion user ids
    project_ids: str = "[]"  # JSON list of project page ids
    due: date | None = None
    url: str | None = None
    last_edited: str = ""  # Notion's last_edited_time (ISO, to the minute)
    version: int = Field(default=0, index=True)
    gone: bool = False


class TaskIndexState(SQLModel, table=True):
    """One row per index (key "tasks"): how far the index has followed Notion, which mapping
    built it, the first sync's progress, and the lease that lets one replica refresh at a time."""

    __tablename__ = "task_index_state"

    key: str = Field(primary_key=True)
    version: int = 0  # bumped by every write to task_index
    generation: int = 0  # bumped by every rebuild: replicas then reload everything
    mapping: str = ""  # hash of the property mapping that built the rows
    watermark: str | None = None  # newest last_edited_time seen among live pages
    trash_watermark: str | None = None  # newest last_edited_time seen among trashed pages
    synced_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sync_tasks: int = 0  # pages read by the first sync so far (progress, `darcy doctor`)
    refreshed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    swept_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    trash_checked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NoticeRow(SQLModel, table=True):
    """A notification, claimed under its unique key before it is sent: the key's unique index
    is what makes it once across replicas and restarts. `state`: claimed → sent | fallback |
    dropped; a snooze waits as `scheduled` until its time, then is claimed like the others."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_key", "key", unique=True),)

    id: str = Field(primary_key=True)
    key: str  # kind:task:person:due window
    kind: str
    notion_user_id: str = Field(index=True)
    platform: str
    chat_id: str
    payload_json: str = "{}"
    state: str = Field(index=True)
    fire_at: datetime = Field(index=True, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    settled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NoticeAssignmentRow(SQLModel, table=True):
    """An assignment (task, person) Darcy has seen on the board: when, who made it (a Darcy
    write; null when made in Notion) and whether the person was told."""

    __tablename__ = "notice_assignment"

    task_id: str = Field(primary_key=True)
    notion_user_id: str = Field(primary_key=True)
    seen_at: datetime = Field(sa_type=DateTime(timezone=True))
    actor: str | None = None
    notified: bool = False


class NoticePrefsRow(SQLModel, table=True):
    """A person's own notification choices: only what they changed (JSON)."""

    __tablename__ = "notice_prefs"

    notion_user_id: str = Field(primary_key=True)
    prefs_json: str = "{}"
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class NoticeDigestRow(SQLModel, table=True):
    """A project's weekly digest in a channel, as a lead set it ("digest Hackathon 2026 weekly
    on Monday 9am here"). The id is platform:channel:project: one digest per project and channel."""

    __tablename__ = "notice_digest"

    id: str = Field(primary_key=True)
    project_id: str
    project_name: str
    platform: str
    channel_id: str
    weekday: int  # 0 = Monday
    at: str  # "09:00", the workspace's local time
    created_by: str  # Notion user id of the lead who set it
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class NoticeFinishedRow(SQLModel, table=True):
    """When Darcy first saw a task finished (a digest's "finished last week")."""

    __tablename__ = "notice_finished"

    task_id: str = Field(primary_key=True)
    finished_at: datetime = Field(sa_type=DateTime(timezone=True))
