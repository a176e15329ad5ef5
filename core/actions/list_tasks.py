"""list_tasks: tasks filtered by person, project, status and due date; runs at once."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from core.actions.base import Ports, Tool
from core.domain import Member, TaskQuery
from core.extensions import ToolContext
from core.gate.resolving import Resolving
from core.gate.result import GateResult
from core.reads import LIST_CAP, task_lines
from core.replies import Reply
from core.tools import ToolArgs, ToolSpec
from core.wording import day


class ListTasksArgs(ToolArgs):
    """List tasks, filtered by person, project, status and due date."""

    assignee: str | None = Field(None, description="Person whose tasks to list; 'me' for the requester")
    project: str | None = Field(None, description="Project name")
    status: Literal["active", "all"] | list[str] = Field(
        "active", description="'active' (not Done/Archive), 'all', or a list of status options"
    )
    due_before: str | None = Field(None, description="Inclusive upper bound, YYYY-MM-DD")
    due_after: str | None = Field(None, description="Inclusive lower bound, YYYY-MM-DD")


class ListTasks(Tool):
    spec = ToolSpec(name="list_tasks", args_model=ListTasksArgs, impact="read")

    async def resolve(self, res: Resolving) -> GateResult:
        raw = res.raw

        async def assignee() -> None:
            member = await res.person(raw["assignee"], "assignee")
            res.args["assignee"], res.resolved["assignee_id"] = member.handle, member.notion_user_id

        async def project() -> None:
            found = await res.project(raw["project"])
            res.args["project"], res.resolved["project_id"] = found.name, found.id

        async def status() -> None:
            value = raw.get("status", "active")
            if value == "active":
                res.resolved["statuses"] = list(res.statuses.active_statuses)
            elif value == "all":
                res.args["status"], res.resolved["statuses"] = "all", None
            else:
                chosen = [res.status(s) for s in (value if isinstance(value, list) else [value])]
                res.args["status"] = res.resolved["statuses"] = chosen

        async def bounds() -> None:
            for bound in ("due_before", "due_after"):
                if raw.get(bound):
                    res.args[bound] = res.resolved[bound] = res.date(raw[bound]).isoformat()

        await res.steps(
            assignee if raw.get("assignee") else None, project if raw.get("project") else None, status, bounds
        )
        return res.execute()

    async def answer(
        self, ports: Ports, result: GateResult, caller: ToolContext, base: dict[str, Any]
    ) -> Reply:
        wanted = result.resolved
        query = TaskQuery(
            assignee_id=wanted.get("assignee_id"),
            project_id=wanted.get("project_id"),
            statuses=wanted.get("statuses"),
            due_before=date.fromisoformat(wanted["due_before"]) if wanted.get("due_before") else None,
            due_after=date.fromisoformat(wanted["due_after"]) if wanted.get("due_after") else None,
        )
        tasks = sorted(await ports.store.list_tasks(query), key=lambda t: (t.due is None, t.due, t.title))
        lines = await task_lines(ports.directory, tasks[:LIST_CAP])
        heading = _heading(result.args, await ports.directory.members(), len(tasks))
        return Reply(text=heading, tasks=lines, more=max(0, len(tasks) - LIST_CAP), **base)


def _day(iso: str | None) -> str | None:
    """An ISO bound as people read it ("Sun 22 Nov 2026")."""
    return day(date.fromisoformat(iso)) if iso else None


def _heading(args: dict[str, Any], members: list[Member], count: int) -> str:
    names = {m.handle: m.name for m in members}
    who = f"{names.get(args['assignee'], args['assignee'])}'s tasks" if args.get("assignee") else "Tasks"
    where = f" in {args['project']}" if args.get("project") else ""
    status = args.get("status")
    if isinstance(status, list):
        who += f" ({' or '.join(status)})"
    after, before = (_day(args.get(bound)) for bound in ("due_after", "due_before"))
    if after and before:
        when = f" due {after} to {before}"
    elif before:
        when = f" due by {before}"
    elif after:
        when = f" due from {after}"
    else:
        when = ""
    if count == 0:
        return f"{who}{where}{when}: none right now."
    return f"{who}{where}{when} ({count}):"
