"""update_task: change one task's status, due date, people, title, project or description."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from core.actions.base import Outcome, Ports, Run, Tool, apply_changes, link_suffix
from core.domain import Member, Task
from core.gate.resolving import Resolving, shift_days
from core.gate.result import Decision, GateResult
from core.pending import PendingAction
from core.permissions import ALLOW, Asker, Permission, Write
from core.task_state import has_changes, snapshot
from core.tools import ToolArgs, ToolSpec
from core.wording import day, em, field_words, join_names, shorter

# The order a confirmation lists changes in: what a glance must catch first, long text last.
CHANGE_ORDER = ("people", "project", "due", "title", "description")


class UpdateTaskArgs(ToolArgs):
    """Change one task: status, due date, people, title, project or description."""

    task: str | None = Field(None, description="The task, as the person named it (required)")
    status: str | None = None
    due: str | None = Field(None, description="YYYY-MM-DD, a date word, or +Nd: N days after its due date")
    assignees: list[str] | None = Field(None, description="The new full list of people in charge")
    add_assignees: list[str] | None = Field(None, description="People to add to those already in charge")
    title: str | None = Field(None, description="A new title")
    project: str | None = None
    description: str | None = None


class UpdateTask(Tool):
    spec = ToolSpec(name="update_task", args_model=UpdateTaskArgs, impact="write")

    async def resolve(self, res: Resolving) -> GateResult:
        raw = res.raw
        changes: dict[str, Any] = {}
        words: dict[str, str] = {}  # shown in CHANGE_ORDER: the long text last, cut
        named: list[Member] = []
        added: list[Member] = []
        found: list[Task] = []
        moved_by = shift_days(raw["due"]) if raw.get("due") else None  # "+7d": from the task's own date

        async def simple() -> None:
            if raw.get("status"):
                changes["status"] = res.args["status"] = res.status(raw["status"])
            if raw.get("due") and moved_by is None:
                due = res.date(raw["due"])
                changes["due"] = res.args["due"] = due.isoformat()
                words["due"] = f"due {day(due)}"
            if raw.get("title"):
                changes["title"] = res.args["title"] = raw["title"]
                words["title"] = f"renamed to {em(res.shown('New title', raw['title']))}"
            if raw.get("description"):
                changes["description"] = res.args["description"] = raw["description"]
                words["description"] = f"description “{res.shown('Description', raw['description'])}”"

        async def project() -> None:
            target = await res.project(raw["project"])
            res.args["project"], changes["project_id"] = target.name, target.id
            words["project"] = f"moved to {target.name}"

        async def people() -> None:
            named.extend([await res.person(p, "assignees") for p in raw.get("assignees") or []])
            added.extend([await res.person(p, "add_assignees") for p in raw.get("add_assignees") or []])

        async def task() -> None:
            found.append(await res.task(raw.get("task"), "Which task do you mean?"))
            res.args["task"] = found[0].title

        await res.steps(simple, project if raw.get("project") else None, people, task)
        target = found[0]
        if moved_by is not None:
            if target.due is None:
                return res.clarify(f"{em(target.title)} has no due date yet. When should it be due?")
            due = target.due + timedelta(days=moved_by)
            changes["due"] = res.args["due"] = due.isoformat()
            words["due"] = f"due {day(due)} (was {day(target.due)})"
        if named or added:
            members = {m.notion_user_id: m for m in await res.members()}
            ids = [m.notion_user_id for m in named] or list(target.assignee_ids)
            ids += [m.notion_user_id for m in added if m.notion_user_id not in ids]
            changes["assignee_ids"] = ids
            new_people = [members[i] for i in ids if i in members]
            res.args["assignees"] = [m.handle for m in new_people]
            words["people"] = f"people in charge {join_names([m.name for m in new_people])}"
        if not changes:
            return res.clarify(f"What should I change on {em(target.title)}?")
        archive = res.is_archive(changes)
        if changes == {"status": target.status}:  # "sent the forms out", when they were marked sent
            state = "archived" if archive else em(target.status)
            return res.result(
                Decision.NONE,
                message=f"{em(target.title)} is already {state}, so there's nothing to change.",
            )
        res.resolved.update(task_id=target.id, changes=changes, seen=snapshot(target))
        denied = await res.permit(self.permit, res.write_of(target, changes))
        if denied:
            return denied
        listed = [words[k] for k in CHANGE_ORDER if k in words]
        name = em(shorter(target.title))
        if archive:
            head = f"archive {name}"
        elif "status" in changes:
            head = f"mark {name} as {changes['status']}"
        else:
            return res.confirm(f"change {name}: {', '.join(listed)}")
        return res.confirm(head + (f" ({', '.join(listed)})" if listed else ""))

    def permit(self, asker: Asker, write: Write) -> Permission:
        return edit_rule(asker, write)

    async def execute(self, run: Run) -> Outcome:
        return await apply_changes(run, run.resolved["task_id"], run.resolved["changes"])

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        return has_changes(await ports.directory.task(action.resolved["task_id"]), action.resolved["changes"])

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        people = {m.notion_user_id: m.name for m in await ports.directory.members()}
        parts = []
        for key, value in action.resolved["changes"].items():
            if key == "assignee_ids":
                parts.append(f"people in charge → {join_names([people.get(i, '?') for i in value])}")
            elif key == "project_id":
                parts.append("project changed")
            else:
                parts.append(f"{key} → {value}")
        return f"Done: updated {em(outcome.get('title', ''))} ({', '.join(parts)}).{link_suffix(outcome)}"


def edit_rule(asker: Asker, write: Write) -> Permission:
    """Changing one task (here, and each task of update_tasks): archive scope, edit scope, fields."""
    task, policy, role = write.task, asker.policy, asker.role
    if task is None:
        return ALLOW
    ask = asker.ask_leads(task)
    if write.archive:
        scope = policy.archive
        if scope == "led" and asker.leads(task) and (left := asker.not_led(write.moved_from)):
            names = join_names([p.name for p in left])
            return Permission(
                False,
                f"{role}.archive = led",
                f"you moved this task here from {names}, and {asker.plural.lower()} can only archive "
                "tasks in projects they lead",
                f"ask {asker.leads_of(left)} ({names}'s lead)",
            )
        if scope == "any" or (scope == "led" and asker.leads(task)) or (scope == "own" and asker.owns(task)):
            return Permission(True, f"{role}.archive = {scope}")
        why = {
            "led": f"{asker.plural} can only archive tasks in projects they lead",
            "own": f"{asker.plural} can only archive their own tasks",
        }.get(scope, f"{asker.plural} can't archive tasks")
        return Permission(False, f"{role}.archive = {scope}", why, f"{ask} (the project's lead)")
    if policy.edit == "none" or (policy.edit == "own" and not asker.owns(task)):
        return Permission(
            False,
            f"{role}.edit = {policy.edit}",
            f"{asker.plural} can only edit their own tasks"
            if policy.edit == "own"
            else f"{asker.plural} can't edit tasks",
            f"{ask}, or comment on the task instead",
        )
    forbidden = sorted(write.fields - set(policy.edit_fields))
    if forbidden:
        return Permission(
            False,
            f"{role}.edit_fields",
            f"{asker.plural} can't change a task's {' or '.join(field_words(forbidden))}",
            ask,
        )
    return Permission(True, f"{role}.edit = {policy.edit}")
