"""create_task: a new task, for the requester or (by role) for others; confirmed first."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from core.actions.base import Outcome, Ports, Run, Tool, link_suffix, task_values
from core.domain import Member, NewTask, Project
from core.gate.resolving import Resolving
from core.gate.result import GateResult, clarify
from core.pending import PendingAction
from core.permissions import Asker, Permission, Write
from core.tools import ToolArgs, ToolSpec
from core.wording import day, em, join_names

CREATE_SLACK = timedelta(minutes=2)  # how far before the click a landed create is looked for


class CreateTaskArgs(ToolArgs):
    """Create a task."""

    title: str | None = Field(None, description="The new task's title (required)")
    assignees: list[str] | None = Field(None, description="People in charge; default the requester")
    project: str | None = None
    due: str | None = Field(None, description="YYYY-MM-DD or a date word")
    description: str | None = None
    status: str | None = Field(None, description="Status option; default 'Not Started'")


class CreateTask(Tool):
    spec = ToolSpec(name="create_task", args_model=CreateTaskArgs, impact="write")

    async def resolve(self, res: Resolving) -> GateResult:
        raw, wanted, default_status = res.raw, res.resolved, res.statuses.default_status
        people: list[Member] = []
        project: list[Project] = []

        async def title() -> None:
            text = (raw.get("title") or "").strip()
            if not text:
                raise clarify("What should the new task be called?")
            res.args["title"] = wanted["title"] = text

        async def assignees() -> None:
            found = [await res.person(p, "assignees") for p in raw.get("assignees") or ["me"]]
            people.extend({m.notion_user_id: m for m in found}.values())
            res.args["assignees"] = [m.handle for m in people]
            wanted["assignee_ids"] = [m.notion_user_id for m in people]

        async def in_project() -> None:
            project.append(await res.project(raw["project"]))
            res.args["project"], wanted["project_id"] = project[0].name, project[0].id

        async def details() -> None:
            if raw.get("due"):
                res.args["due"] = wanted["due"] = res.date(raw["due"]).isoformat()
            if raw.get("description"):
                res.args["description"] = wanted["description"] = raw["description"]
            status = res.status(raw["status"]) if raw.get("status") else default_status
            if status != default_status:
                res.args["status"] = status
            wanted["status"] = status

        await res.steps(title, in_project if raw.get("project") else None, details, assignees)
        denied = await res.permit(self.permit, Write(self.name, assignee_ids=wanted["assignee_ids"]))
        if denied:
            return denied
        title = em(res.shown("Title", wanted["title"]))
        summary = f"create {title} for {join_names([m.name for m in people])}"
        if wanted.get("due"):
            summary += f", due {day(date.fromisoformat(wanted['due']))}"
        if project:
            summary += f", in {project[0].name}"
        if wanted["status"] != default_status:
            summary += f", status {wanted['status']}"
        if wanted.get("description"):
            summary += f", described as “{res.shown('Description', wanted['description'])}”"
        return res.confirm(summary)

    def permit(self, asker: Asker, write: Write) -> Permission:
        role, scope = asker.role, asker.policy.create_for
        others = [i for i in write.assignee_ids if i != asker.member.notion_user_id]
        if scope == "none":
            return Permission(False, f"{role}.create_for = none", f"{asker.plural} can't create tasks")
        if others and scope != "any":
            return Permission(
                False,
                f"{role}.create_for = self",
                f"{asker.plural} can only create tasks for themselves",
                "create it for yourself, or ask a lead to assign it",
            )
        return Permission(True, f"{role}.create_for = {scope}")

    async def execute(self, run: Run) -> Outcome:
        created = await run.ports.store.create_task(new_task(run.action))
        return Outcome(
            page_id=created.id, url=created.url, title=created.title, before=None, after=task_values(created)
        )

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        found = await ports.store.find_created(new_task(action), action.created_at - CREATE_SLACK)
        return found is not None

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        return f"Done: created {em(outcome.get('title', ''))}.{link_suffix(outcome)}"


def new_task(action: PendingAction) -> NewTask:
    """The task a confirmed create writes; its pending id lets a retry find it instead of
    writing it twice."""
    wanted = action.resolved
    return NewTask(
        request_id=action.id,
        title=wanted["title"],
        assignee_ids=wanted.get("assignee_ids", []),
        project_id=wanted.get("project_id"),
        due=date.fromisoformat(wanted["due"]) if wanted.get("due") else None,
        description=wanted.get("description"),
        status=wanted.get("status"),
    )
