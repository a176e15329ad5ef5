"""The workspace's people and projects: Notion users merged with the admin config."""

from __future__ import annotations

import asyncio
import time

from core.config import Person
from core.domain import Member, Project, Task, TaskQuery
from core.ports import StoreError, TaskIndex, TaskStore

REFRESH_SECONDS = 30.0  # the least time between two forced reads of Notion's users and projects


class Directory:
    """Reads people, projects and tasks through the task store.

    A Notion user becomes a `Member`; the admin config adds a role, a handle and
    chat ids, matched on the e-mail (the one key both sides know).
    """

    def __init__(
        self, store: TaskStore, people: list[Person], default_role: str = "member",
        task_names_seconds: float = 15.0, index: TaskIndex | None = None,
    ) -> None:
        self._store = store
        self._people = {p.email.casefold(): p for p in people}
        self._default_role = default_role
        self.task_names_seconds = task_names_seconds
        self._tasks: tuple[float, list[Task]] | None = None  # (monotonic time read, every task)
        self._loading: asyncio.Future[list[Task]] | None = None
        self._generation = 0
        self._refreshed = float("-inf")  # time.monotonic() of the last refresh
        self.index = index  # when set, task names come from it (issue #19), not a full read

    async def members(self) -> list[Member]:
        users = await self._store.list_users()
        members: list[Member] = []
        taken: set[str] = set()
        for user_id, name, email in users:
            person = self._people.get((email or "").casefold())
            handle = _handle(person, name, email, taken)
            taken.add(handle)
            members.append(
                Member(
                    notion_user_id=user_id,
                    name=name,
                    email=email,
                    handle=handle,
                    role=person.role if person else self._default_role,
                    discord_id=person.discord_id if person else None,
                    slack_id=person.slack_id if person else None,
                )
            )
        return members

    def refresh(self) -> None:
        """Forget what the store cached (someone was just added to Notion, say), at most once
        every REFRESH_SECONDS: a stranger guessing e-mails must not cost a read of Notion's
        whole user list per guess."""
        now = time.monotonic()
        if now - self._refreshed < REFRESH_SECONDS:
            return
        self._refreshed = now
        if callable(invalidate := getattr(self._store, "invalidate", None)):
            invalidate()

    async def member(self, notion_user_id: str) -> Member | None:
        return next((m for m in await self.members() if m.notion_user_id == notion_user_id), None)

    async def projects(self) -> list[Project]:
        return await self._store.list_projects()

    async def task(self, task_id: str) -> Task | None:
        """One task as it is now; None when it was deleted or trashed."""
        try:
            return await self._store.get_task(task_id)
        except StoreError as exc:
            if exc.not_found:
                return None
            raise

    async def known_task(self, task_id: str) -> Task | None:
        """One task as the index last saw it, without a call to Notion: for what is only shown
        or recorded (a task picked from a list, a write just made). Never for deciding a write:
        the click reads the task again. Without an index, or for a task it lacks, from Notion."""
        if self.index is not None and (known := self.index.known(task_id)) is not None:
            return known
        return await self.task(task_id)

    async def tasks(self, *, max_age: float | None = None) -> list[Task]:
        """Every task, whatever its status: people name finished tasks too ("archive X").

        Naming a task reads them all (35 Notion calls for 3,500 tasks), so the list is kept
        `max_age` seconds (default: notion.task_names_seconds) and shared by requests asking at once.
        A stale list can only misname: what is confirmed is read again at the click, Darcy's
        own writes drop the list (`forget_tasks`), and the gate looks again, fresh, for a
        name that matches nothing (`tasks_read_at`)."""
        if self.index is not None:
            return await self.index.tasks(max_age=max_age)
        limit = self.task_names_seconds if max_age is None else max_age
        if self._tasks is not None and time.monotonic() - self._tasks[0] <= limit:
            return self._tasks[1]
        if self._loading is None or self._loading.done():
            self._loading = asyncio.ensure_future(self._load_tasks())
        return await asyncio.shield(self._loading)

    def tasks_read_at(self) -> float:
        """When (time.monotonic) the kept task list was read; -inf when there is none."""
        if self.index is not None:
            return self.index.read_at()
        return self._tasks[0] if self._tasks is not None else float("-inf")

    def forget_tasks(self) -> None:
        """After a write: the next name is resolved against a list read after it. An index
        needs nothing: the store applies Darcy's own writes to it as they land, and marks
        it stale when a write's answer was lost."""
        self._tasks, self._loading = None, None
        self._generation += 1

    async def _load_tasks(self) -> list[Task]:
        started, generation = time.monotonic(), self._generation
        tasks = await self._store.list_tasks(TaskQuery())
        if generation == self._generation:  # no write since the read began
            self._tasks = (started, tasks)
        return tasks


def _handle(person: Person | None, name: str, email: str | None, taken: set[str]) -> str:
    if person and person.handle:
        return person.handle
    first = (name.split() or [""])[0].casefold()
    if first and first not in taken:
        return first
    return (email or name).split("@")[0].casefold().replace(" ", ".")
