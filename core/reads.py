"""Answers to reads: a task list, one task, the projects, who one is. They run at once, unconfirmed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.directory import Directory
from core.domain import Member, Task, TaskComment, TaskQuery
from core.gate import GateResult
from core.ports import StoreError, TaskStore
from core.registry import ToolContext, ToolFailed, ToolRegistry
from core.replies import ProjectLine, Reply, TaskLine
from core.wording import day, em, join_names

LIST_CAP = 20  # lines in one reply; the rest is counted, not shown
EXTENSION_TEXT_CAP = 3_500  # what another tool says, shown within every platform's message limit


class Reads:
    def __init__(self, store: TaskStore, directory: Directory, registry: ToolRegistry) -> None:
        self.store, self.directory, self.registry = store, directory, registry

    async def answer(
        self,
        result: GateResult,
        requester: Member | None,
        base: dict[str, Any],
        *,
        platform: str,
        now: datetime,
    ) -> Reply:
        extension = self.registry.extension(result.tool)
        if extension is not None:
            assert requester is not None
            try:
                text = await extension.call(result.plan["args"], ToolContext(requester, platform, now))
            except ToolFailed as exc:
                return Reply(text=f"I couldn't run {result.tool}: {exc}.", **{**base, "decision": "error"})
            return Reply(text=text[:EXTENSION_TEXT_CAP], **base)
        if result.tool == "whoami":
            assert requester is not None
            return Reply(
                text=f"You're linked to the Notion user {requester.name} "
                f"({requester.email or 'no e-mail'}), role: {requester.role}.",
                **base,
            )
        if result.tool == "list_projects":
            return await self._projects(result, base)
        if result.tool == "show_task":
            return await self._task(result, base)
        return await self._tasks(result, base)

    async def _task(self, result: GateResult, base: dict[str, Any]) -> Reply:
        """One task as Notion has it now (read again: the name was resolved on a kept list)."""
        task_id = result.plan["task_id"]
        try:
            task = await self.store.get_task(task_id)
        except StoreError as exc:
            if not exc.not_found:
                raise
            return Reply(text="That task is no longer in Notion.", **{**base, "decision": "error"})
        [line] = await self._task_lines([task])
        comments = await self.store.list_comments(task_id)
        return Reply(text=task_details(line, task.description, comments), **base)

    async def _tasks(self, result: GateResult, base: dict[str, Any]) -> Reply:
        plan = result.plan
        query = TaskQuery(
            assignee_id=plan.get("assignee_id"),
            project_id=plan.get("project_id"),
            statuses=plan.get("statuses"),
            due_before=date.fromisoformat(plan["due_before"]) if plan.get("due_before") else None,
            due_after=date.fromisoformat(plan["due_after"]) if plan.get("due_after") else None,
        )
        tasks = sorted(await self.store.list_tasks(query), key=lambda t: (t.due is None, t.due, t.title))
        lines = await self._task_lines(tasks[:LIST_CAP])
        heading = _list_heading(result.args, await self.directory.members(), len(tasks))
        return Reply(text=heading, tasks=lines, more=max(0, len(tasks) - LIST_CAP), **base)

    async def _task_lines(self, tasks: list[Task]) -> list[TaskLine]:
        people = {m.notion_user_id: m.name for m in await self.directory.members()}
        projects = {p.id: p.name for p in await self.directory.projects()}
        return [
            TaskLine(
                title=t.title,
                status=t.status,
                due=t.due,
                url=t.url,
                project=", ".join(projects.get(i, "?") for i in t.project_ids) or None,
                people=[people.get(i, "someone outside the workspace") for i in t.assignee_ids],
            )
            for t in tasks
        ]

    async def _projects(self, result: GateResult, base: dict[str, Any]) -> Reply:
        wanted = result.plan.get("progress")
        people = {m.notion_user_id: m.name for m in await self.directory.members()}
        projects = [p for p in await self.directory.projects() if wanted is None or p.progress in wanted]
        lines = [
            ProjectLine(name=p.name, progress=p.progress, leads=[people.get(i, "?") for i in p.lead_ids])
            for p in projects
        ]
        heading = ("Projects" if wanted is None else "Active projects") + f" ({len(lines)}):"
        return Reply(text=heading if lines else "No projects match.", projects=lines, **base)


def _list_heading(args: dict[str, Any], members: list[Member], count: int) -> str:
    names = {m.handle: m.name for m in members}
    who = f"{names.get(args['assignee'], args['assignee'])}'s tasks" if args.get("assignee") else "Tasks"
    where = f" in {args['project']}" if args.get("project") else ""
    status = args.get("status")
    if isinstance(status, list):
        who += f" ({' or '.join(status)})"
    if args.get("due_after") and args.get("due_before"):
        when = f" due {args['due_after']} to {args['due_before']}"
    elif args.get("due_before"):
        when = f" due by {args['due_before']}"
    elif args.get("due_after"):
        when = f" due from {args['due_after']}"
    else:
        when = ""
    if count == 0:
        return f"{who}{where}{when}: none right now."
    return f"{who}{where}{when} ({count}):"


COMMENTS_SHOWN = 3  # the latest; the rest are in Notion


def task_details(line: TaskLine, description: str, comments: list[TaskComment]) -> str:
    """A task in a few lines of text, the same on every platform."""
    due = f"due {day(line.due)}" if line.due else "no due date"
    people = join_names(line.people) if line.people else "nobody yet"
    lines = [
        f"{em(line.title)}: {line.status or 'no status'}, {due}",
        f"People: {people}" + (f" · Project: {line.project}" if line.project else ""),
    ]
    if description.strip():
        lines.append(f"Description: {description.strip()}")
    latest = comments[-COMMENTS_SHOWN:]
    if len(latest) < len(comments):
        lines.append(f"Latest comments ({len(latest)} of {len(comments)}):")
    elif comments:
        lines.append("Comments:")
    else:
        lines.append("No comments yet.")
    lines += [f"• {c.author or 'someone'}: {c.text}" for c in latest]
    if line.url:
        lines.append(line.url)
    return "\n".join(lines)
