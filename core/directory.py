"""The workspace's people and projects: Notion users merged with the admin config."""

from __future__ import annotations

from core.config import Person
from core.domain import Member, Project, Task, TaskQuery
from core.ports import StoreError, TaskStore


class Directory:
    """Reads people, projects and tasks through the task store.

    A Notion user becomes a `Member`; the admin config adds a role, a handle and
    chat ids, matched on the e-mail (the one key both sides know).
    """

    def __init__(self, store: TaskStore, people: list[Person], default_role: str = "member") -> None:
        self._store = store
        self._people = {p.email.casefold(): p for p in people}
        self._default_role = default_role

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
        """Forget what the store cached (someone was just added to Notion, say)."""
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

    async def tasks(self) -> list[Task]:
        """Every task, whatever its status: people name finished tasks too ("archive X")."""
        return await self._store.list_tasks(TaskQuery())


def _handle(person: Person | None, name: str, email: str | None, taken: set[str]) -> str:
    if person and person.handle:
        return person.handle
    first = (name.split() or [""])[0].casefold()
    if first and first not in taken:
        return first
    return (email or name).split("@")[0].casefold().replace(" ", ".")
