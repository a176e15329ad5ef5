"""What the notification service needs from outside: the ledger (Darcy's database) and a
notifier per chat platform (implemented by each adapter in bot/)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from core.notify.planner import ChannelDigest, Seen


class Button(BaseModel):
    """A notice's button. `value` is a pending action's id (done), a notice's id (snooze,
    got it) or a URL (open): never anything a click could be trusted with."""

    verb: Literal["done", "snooze", "gotit", "open"]
    label: str
    value: str


class Outgoing(BaseModel):
    """One notice as a person receives it (core's `**bold**` markup, like a Reply's text)."""

    notice_id: str
    kind: str
    text: str
    buttons: list[Button] = Field(default_factory=list)


class Delivery(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # DMs refused (Discord 50007), the person left (Slack): don't retry
    FAILED = "failed"  # anything else (an outage): not retried either, the audit log says so


class Notifier(Protocol):
    platform: str

    async def direct(self, chat_id: str, message: Outgoing) -> Delivery:
        """A direct message to that chat account."""
        ...

    async def mention(self, channel_id: str, chat_id: str, message: Outgoing) -> Delivery:
        """The fallback: the notice in a channel, mentioning that account."""
        ...

    async def post(self, channel_id: str, message: Outgoing) -> Delivery:
        """A message in a channel that pings nobody (a project's weekly digest)."""
        ...


class NoticeRecord(BaseModel):
    id: str
    key: str
    kind: str
    person: str
    platform: str
    chat_id: str
    payload: dict[str, Any]
    state: str
    fire_at: datetime


class NoticeLedger(Protocol):
    async def claim(self, record: NoticeRecord) -> bool:
        """Insert the notice under its unique key: True for the one caller (replica, tick) that
        did; False when it was claimed before, anywhere."""
        ...

    async def known(self, since: datetime) -> set[str]:
        """Keys of the notices claimed whose time is `since` or later (not worth claiming again)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget notices whose time is before `before` (not a waiting snooze); how many."""
        ...

    async def settle(self, notice_id: str, state: str) -> None: ...

    async def get(self, notice_id: str) -> NoticeRecord | None: ...

    async def take_scheduled(self, now: datetime) -> list[NoticeRecord]:
        """Scheduled notices (snoozes) whose time came, each moved to `claimed` by one caller."""
        ...

    async def assignments(self, pairs: list[tuple[str, str]] | None = None) -> dict[tuple[str, str], Seen]:
        """The (task, person) assignments recorded: all of them, or those of `pairs`."""
        ...

    async def observe(self, rows: list[tuple[str, str, Seen]]) -> None:
        """Record (task, person) assignments; one already recorded is kept as it was."""
        ...

    async def forget(self, pairs: list[tuple[str, str]]) -> None: ...

    async def take_assignments(self, person: str, task_ids: list[str]) -> list[str]:
        """Mark those assignments told; the ids this caller marked (the others were, elsewhere)."""
        ...

    async def linked(self) -> list[tuple[str, str, str]]:
        """Every chat link as (platform, chat id, Notion user id)."""
        ...

    async def prefs(self) -> dict[str, dict[str, Any]]:
        """Each person's own choices (only what they changed)."""
        ...

    async def set_prefs(self, person: str, changes: dict[str, Any]) -> dict[str, Any]: ...

    async def digests(self, timezone: str) -> list[ChannelDigest]: ...

    async def set_digest(self, digest: ChannelDigest, created_by: str) -> None: ...

    async def drop_digest(self, digest_id: str) -> bool: ...

    async def finished(self) -> dict[str, datetime]:
        """When each finished task was first seen finished."""
        ...

    async def observe_finished(self, seen: dict[str, datetime], reopened: list[str]) -> None: ...
