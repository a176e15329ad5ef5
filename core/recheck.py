"""The re-check at the click: the task as it is now, and permission again, on it.

A confirmation can sit for minutes; meanwhile someone may finish, reassign or
delete the task in Notion, or the requester may lose a role. Nothing is
written over a change the person did not see.
"""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.directory import Directory
from core.domain import Member, Task
from core.gate import snapshot
from core.pending import PendingAction
from core.permissions import Action, changed_fields, permit, permit_tool
from core.wording import em


class Recheck:
    def __init__(self, settings: Settings, directory: Directory) -> None:
        self.settings, self.directory = settings, directory

    async def __call__(
        self, action: PendingAction, requester: Member | None, task: Task | None
    ) -> str | None:
        """At the click: the task as it is now, and permission again, on it."""
        if requester is None:
            return "You're no longer linked to a Notion account."
        if "task_id" in action.plan and task is None:
            return "That task no longer exists in Notion (deleted or in the trash)."
        rule = permit_tool(requester, action.tool, self.settings.tools.get(action.tool))
        if not rule.allowed:
            return f"You're no longer allowed to do that: {rule.reason}."
        if action.tool == "update_tasks":
            return await self._each(action, requester)
        seen = action.plan.get("seen")
        if task is not None and seen is not None and (drift := _drift(task, seen)):
            return drift
        changes = action.plan.get("changes", {})
        verdict = permit(
            requester,
            Action(
                action.tool,
                task=task,
                fields=changed_fields(changes),
                archive=changes.get("status") == self.settings.notion.tasks.archive_status,
                assignee_ids=action.plan.get("assignee_ids", []),
            ),
            self.settings.roles,
            await self.directory.projects(),
            await self.directory.members(),
        )
        return None if verdict.allowed else f"You're no longer allowed to do that: {verdict.reason}."

    async def _each(self, action: PendingAction, requester: Member) -> str | None:
        """A bulk change runs only if every task is as the person saw it, and still theirs to change."""
        changes = action.plan["changes"]
        projects, members = await self.directory.projects(), await self.directory.members()
        for task_id in action.plan["task_ids"]:
            task = await self.directory.task(task_id)
            if task is None:
                return "One of those tasks no longer exists in Notion."
            if drift := _drift(task, action.plan["seen"][task_id]):
                return drift
            verdict = permit(
                requester,
                Action(
                    "update_task",
                    task=task,
                    fields=changed_fields(changes),
                    archive=changes.get("status") == self.settings.notion.tasks.archive_status,
                ),
                self.settings.roles,
                projects,
                members,
            )
            if not verdict.allowed:
                return f"You're no longer allowed to change {em(task.title)}: {verdict.reason}."
        return None


_CHANGED = {"assignee_ids": "people in charge", "project_ids": "project", "due": "due date"}


def _drift(task: Task, seen: dict[str, Any]) -> str | None:
    """Why not to write, if the task changed in Notion since the person saw it."""
    now = snapshot(task)
    moved = [key for key in seen if seen[key] != now[key]]
    if not moved:
        return None
    what = ", ".join(_CHANGED.get(key, key) for key in moved)
    return (
        f"{em(task.title)} changed in Notion since you asked ({what}), so I stopped. "
        "Ask again if you still want it."
    )
