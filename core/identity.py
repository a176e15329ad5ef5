"""Who is asking: (platform, platform user id) → Notion user, keyed on immutable ids."""

from __future__ import annotations

from typing import Protocol


class IdentityRepository(Protocol):
    async def lookup(self, platform: str, platform_user_id: str) -> str | None:
        """The linked Notion user id, or None."""
        ...

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        """The chat user on `platform` already linked to that Notion user, if any."""
        ...

    async def link(self, platform: str, platform_user_id: str, notion_user_id: str, via: str) -> None: ...

    async def unlink(self, platform: str, platform_user_id: str) -> bool: ...


class AuditLog(Protocol):
    async def record(self, **row: object) -> None:
        """One row per decision and per execution (see integrations.db.tables.AuditRow)."""
        ...
