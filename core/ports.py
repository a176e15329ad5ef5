"""Narrow interfaces core needs from the outside world (Cosmic Python's abstract adapters)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain import NewTask, Project, Task, TaskChanges, TaskComment, TaskQuery


class TaskStore(Protocol):
    """Where tasks live. Implemented over Notion by `integrations.notion.store`."""

    async def list_users(self) -> list[tuple[str, str, str | None]]:
        """Every person user of the workspace as (id, name, email)."""
        ...

    async def list_projects(self) -> list[Project]: ...

    async def list_tasks(self, query: TaskQuery) -> list[Task]: ...

    async def get_task(self, task_id: str) -> Task: ...

    async def create_task(self, task: NewTask) -> Task: ...

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task: ...

    async def add_comment(self, task_id: str, text: str, author: str | None = None) -> str:
        """Returns the new comment's id; `author` is the name the comment shows as."""
        ...

    async def list_comments(self, task_id: str) -> list[TaskComment]:
        """The task's comments, oldest first."""
        ...

    async def notify(self, page_id: str, notion_user_id: str, text: str) -> str:
        """A comment on `page_id` that starts by mentioning that Notion user, who Notion then
        notifies, followed by `text`; returns the comment's id. Sent once (never repeated
        after a lost answer: a second notification is worse than none)."""
        ...

    async def archive_task(self, task_id: str) -> None:
        """Move the page to Notion's trash (how an undone create is taken back)."""
        ...

    async def find_created(self, task: NewTask, since: datetime) -> Task | None:
        """The page a create made, if it landed (a create whose answer was lost, or one
        interrupted by a restart)."""
        ...


class TaskIndex(Protocol):
    """Every task's name and the little the gate needs, kept fresh incrementally (implemented
    over Notion and Darcy's database by `integrations.notion.index`). It never decides a
    write: what is confirmed is read again from the store at the click."""

    async def tasks(self, *, max_age: float | None = None) -> list[Task]:
        """Every live task, refreshed first when the last refresh began more than `max_age`
        seconds ago (default: the index's own refresh period)."""
        ...

    def read_at(self) -> float:
        """When (time.monotonic) the last refresh began; -inf before the first."""
        ...

    def known(self, task_id: str) -> Task | None:
        """The task as the index last saw it (no call to Notion); None when it holds no such task."""
        ...

    def stale(self) -> None:
        """A write may have landed unseen: refresh before the next answer."""
        ...


class StoreError(Exception):
    """The task store failed (outage, rate limit, bad schema). The message is for people;
    `code` lets core tell a missing page ("object_not_found") from an outage."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.status = code, status

    @property
    def not_found(self) -> bool:
        return self.code == "object_not_found"


class StorageError(Exception):
    """Darcy's own database failed (locked, unreachable). Nothing may be assumed written."""


class SeenEvents(Protocol):
    """Event ids a chat platform may deliver more than once (Slack's retries), shared by
    replicas: True the first time an id is seen anywhere, False after."""

    async def first_time(self, event_id: str) -> bool: ...
