"""Who is asking: (platform, platform user id) → Notion user, keyed on immutable ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field


class IdentityRepository(Protocol):
    async def lookup(self, platform: str, platform_user_id: str) -> str | None:
        """The linked Notion user id, or None."""
        ...

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        """The chat user on `platform` already linked to that Notion user, if any."""
        ...

    async def link(self, platform: str, platform_user_id: str, notion_user_id: str, via: str) -> None: ...

    async def unlink(self, platform: str, platform_user_id: str) -> bool: ...


class Execution(BaseModel):
    """One executed write, as the audit log keeps it."""

    id: int
    tool: str
    page_id: str | None = None
    plan: dict[str, Any] = Field(default_factory=dict)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class AuditLog(Protocol):
    async def record(self, **row: object) -> None:
        """One row per decision and per execution (see integrations.db.tables.AuditRow)."""
        ...

    async def last_execution(self, platform: str, user_id: str, since: datetime) -> Execution | None:
        """The person's most recent executed write since `since`."""
        ...
