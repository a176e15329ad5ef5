"""update_tasks: several tasks in one confirmation — capped, each listed, each permitted on its own."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from core.actions.base import Outcome, Ports, Run, Tool, task_changes, task_values
from core.actions.update_task import edit_rule
from core.domain import Member, Task
from core.gate.resolving import Resolving
from core.gate.result import GateResult
from core.pending import PendingAction
from core.permissions import Asker, Permission, Write, permit
from core.task_state import drift, has_changes, snapshot
from core.tools import ToolArgs, ToolSpec
from core.wording import day, em, join_names

BULK_CAP = 10  # one confirmation a person can still read, item by item


class UpdateTasksArgs(ToolArgs):
    """Change several tasks at once: the open tasks of a person and/or a project.

    Leads and admins only; at most 10 tasks, each listed in the confirmation."""

    assignee: str | None = Field(None, description="Whose tasks; 'me' for the requester")
    project: str | None = None
    status: str | None = Field(None, description="The new status of every matching task")
    due: str | None = Field(None, description="The new due date of every matching task")


class UpdateTasks(Tool):
    spec = ToolSpec(name="update_tasks", args_model=UpdateTasksArgs, impact="write")

    async def resolve(self, res: Resolving) -> GateResult:
        raw = res.raw
        changes: dict[str, Any] = {}
        scope: dict[str, str] = {}

        async def simple() -> None:
            if raw.get("status"):
                changes["status"] = res.args["status"] = res.status(raw["status"])
            if raw.get("due"):
                changes["due"] = res.args["due"] = res.date(raw["due"]).isoformat()

        async def assignee() -> None:
            member = await res.person(raw["assignee"], "assignee")
            res.args["assignee"], scope["assignee"] = member.handle, member.notion_user_id

        async def project() -> None:
            found = await res.project(raw["project"])
            res.args["project"], scope["project"] = found.name, found.id

        await res.steps(
            simple, assignee if raw.get("assignee") else None, project if raw.get("project") else None
        )
        if not scope:
            return res.clarify("Which tasks? Say whose or which project, e.g. “all my Hackathon 2026 tasks”.")
        if not changes:
            return res.clarify("What should I change on those tasks: their status or their due date?")
        denied = await res.permit(self.permit, Write(self.name))
        if denied:
            return denied
        active = res.statuses.active_statuses
        tasks = [
            t
            for t in await res.directory.tasks(max_age=0)  # each one is listed: read them now
            if t.status in active
            and changes.get("status") != t.status
            and ("assignee" not in scope or scope["assignee"] in t.assignee_ids)
            and ("project" not in scope or scope["project"] in t.project_ids)
        ]
        if not tasks:
            return res.clarify("No open tasks match, so there's nothing to change.")
        if len(tasks) > BULK_CAP:
            return res.clarify(
                f"That's {len(tasks)} tasks; I change at most {BULK_CAP} at once. "
                "Narrow it down by person or project."
            )
        for task in tasks:
            verdict = await res.permit(edit_rule, res.write_of(task, changes))
            if verdict:
                verdict.message = verdict.message.replace(
                    "Sorry, I can't do that:", f"Sorry, I can't change {em(task.title)}:"
                )
                return verdict
        res.resolved.update(
            task_ids=[t.id for t in tasks], changes=changes, seen={t.id: snapshot(t) for t in tasks}
        )
        names = join_names([f"{em(t.title)}" for t in tasks])
        if "status" in changes:
            what = f"mark {len(tasks)} tasks as {changes['status']}"
            if "due" in changes:
                what += f", due {day(date.fromisoformat(changes['due']))}"
        else:
            what = f"move {len(tasks)} tasks to {day(date.fromisoformat(changes['due']))}"
        return res.confirm(f"{what}: {names}")

    def permit(self, asker: Asker, write: Write) -> Permission:
        if not asker.policy.bulk:
            return Permission(
                False,
                f"{asker.role}.bulk = false",
                f"{asker.plural} change one task at a time",
                "name the task you mean, e.g. “mark Order catering as done”",
            )
        return Permission(True, f"{asker.role}.bulk = true")

    async def recheck_write(
        self, ports: Ports, action: PendingAction, requester: Member, task: Task | None
    ) -> str | None:
        """It runs only if every task is as the person saw it, and still theirs to change."""
        changes = action.resolved["changes"]
        archive_status = ports.settings.notion.tasks.archive_status
        projects, members = await ports.directory.projects(), await ports.directory.members()
        for task_id in action.resolved["task_ids"]:
            current = await ports.directory.task(task_id)
            if current is None:
                return "One of those tasks no longer exists in Notion."
            if moved := drift(current, action.resolved["seen"][task_id]):
                return moved
            write = Write.of_changes("update_task", current, changes, archive_status)
            verdict = permit(edit_rule, requester, write, ports.settings.roles, projects, members)
            if not verdict.allowed:
                return f"You're no longer allowed to change {em(current.title)}: {verdict.reason}."
        return None

    async def execute(self, run: Run) -> Outcome:
        changes = task_changes(run.resolved["changes"])
        updated = [
            await run.ports.store.update_task(task_id, changes) for task_id in run.resolved["task_ids"]
        ]
        return Outcome(
            page_id=None,
            page_ids=[t.id for t in updated],
            titles=[t.title for t in updated],
            before=run.resolved.get("seen"),
            after=[task_values(t) for t in updated],
        )

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        changes = action.resolved["changes"]
        return all([has_changes(await ports.directory.task(i), changes) for i in action.resolved["task_ids"]])

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        return f"Done: updated {join_names([f'{em(t)}' for t in outcome['titles']])}."
