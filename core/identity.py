"""Who is asking: (platform, platform user id) → Notion user, keyed on immutable ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field


class LinkTaken(Exception):
    """The Notion user is linked to another chat account on that platform: one chat account per
    Notion user, which the database enforces even when two replicas link at the same moment."""

    def __init__(self, platform: str, notion_user_id: str) -> None:
        self.platform, self.notion_user_id = platform, notion_user_id
        super().__init__(
            f"That Notion account was linked to another {platform} user meanwhile. "
            "If it's yours, ask an admin to unlink it."
        )


class IdentityRepository(Protocol):
    async def lookup(self, platform: str, platform_user_id: str) -> str | None:
        """The linked Notion user id, or None."""
        ...

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        """The chat user on `platform` already linked to that Notion user, if any."""
        ...

    async def link(self, platform: str, platform_user_id: str, notion_user_id: str, via: str) -> None:
        """Link (or re-link) a chat account; raises LinkTaken if another chat account on
        `platform` holds that Notion user."""
        ...

    async def unlink(self, platform: str, platform_user_id: str) -> bool: ...


class Execution(BaseModel):
    """One executed write, as the audit log keeps it."""

    id: int
    tool: str
    notion_user_id: str | None = None  # who made it
    page_id: str | None = None
    resolved: dict[str, Any] = Field(default_factory=dict)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class AuditLog(Protocol):
    async def record(self, **row: object) -> None:
        """One row per decision and per execution (see integrations.db.tables.AuditRow)."""
        ...

    async def record_execution(self, pending_id: str, result: dict[str, Any], **row: object) -> None:
        """An executed write's row, and its pending action's move from confirmed to executed
        (with `result`), in one transaction: the record of a write is never half made."""
        ...

    async def last_execution(self, platform: str, user_id: str, since: datetime) -> Execution | None:
        """The person's most recent executed write since `since`."""
        ...

    async def executions_on(self, page_id: str) -> list[Execution]:
        """Every executed write on one task, oldest first (whoever made it)."""
        ...
