"""What every tool provides, in one class: the one place a tool's rules live.

A built-in tool is one module in this package with one `Tool` subclass; an extension tool
(a plugin's function, an MCP server's tool) is wrapped by `ExtensionTool`. The gate, the
click handler, the executor and recovery look a tool up by name in the `ToolRegistry` and
call these methods; none of them branches on a tool's name (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from core.config import Settings
from core.directory import Directory
from core.domain import Member, Task, TaskChanges
from core.extensions import ToolContext
from core.gate.resolving import Resolving
from core.gate.result import GateResult
from core.identity import IdentityRepository
from core.linking import Linking
from core.pending import PendingAction
from core.permissions import ALLOW, Asker, Permission, Write, permit, permit_tool
from core.ports import TaskStore
from core.replies import Reply
from core.task_state import drift
from core.tools import ToolSpec


@dataclass(frozen=True)
class Ports:
    """What a tool may use once it is decided: the task store, the directory, the links, the
    config. Given to execution, the click-time re-check, recovery and the wording of results."""

    store: TaskStore
    directory: Directory
    identity: IdentityRepository
    settings: Settings
    linking: Linking | None = None  # proving who a stranger is (link_account)


class Outcome(dict[str, Any]):
    """What happened: page id, url, and the values before and after (for the audit log); or,
    under `refused`, why the write was refused as it was made (then nothing was changed)."""


@dataclass(frozen=True)
class Run:
    """One confirmed, re-checked action about to run."""

    action: PendingAction
    before: Task | None  # the task as read at the click, when the action names one
    caller: ToolContext | None  # None: the requester is not linked (a link being made)
    ports: Ports

    @property
    def resolved(self) -> dict[str, Any]:
        return self.action.resolved


class Tool:
    spec: ToolSpec
    for_strangers: ClassVar[bool] = False  # may run for someone not linked yet (linking itself)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def closed(self) -> bool:
        """Refused to every role without a `[tools.NAME]` rule: an MCP server's tool."""
        return self.spec.source.startswith("mcp:")

    async def resolve(self, res: Resolving) -> GateResult:
        """Raw words → ids and dates, the permission check, and the decision."""
        raise NotImplementedError

    def permit(self, asker: Asker, write: Write) -> Permission:
        """This tool's role rule (the role policies of the admin config)."""
        return ALLOW

    def write_of(self, action: PendingAction, task: Task | None, archive_status: str) -> Write:
        """What the decided action writes, as `permit` sees it (again at the click)."""
        changes = action.resolved.get("changes", {})
        write = Write.of_changes(action.tool, task, changes, archive_status)
        write.assignee_ids = action.resolved.get("assignee_ids", [])
        return write

    async def recheck(
        self, ports: Ports, action: PendingAction, requester: Member | None, task: Task | None
    ) -> str | None:
        """At the click: the task as it is now, and permission again, on it. Why not to run, or None."""
        if requester is None:
            return "You're no longer linked to a Notion account."
        if "task_id" in action.resolved and task is None:
            return "That task no longer exists in Notion (deleted or in the trash)."
        rule = permit_tool(
            requester, action.tool, ports.settings.tools.get(action.tool), closed=self.closed
        )
        if not rule.allowed:
            return f"You're no longer allowed to do that: {rule.reason}."
        return await self.recheck_write(ports, action, requester, task)

    async def recheck_write(
        self, ports: Ports, action: PendingAction, requester: Member, task: Task | None
    ) -> str | None:
        seen = action.resolved.get("seen")
        if task is not None and seen is not None and (moved := drift(task, seen)):
            return moved
        verdict = permit(
            self.permit,
            requester,
            self.write_of(action, task, ports.settings.notion.tasks.archive_status),
            ports.settings.roles,
            await ports.directory.projects(),
            await ports.directory.members(),
        )
        return None if verdict.allowed else f"You're no longer allowed to do that: {verdict.reason}."

    async def answer(
        self, ports: Ports, result: GateResult, caller: ToolContext, base: dict[str, Any]
    ) -> Reply:
        """A read's answer (reads run at once, unconfirmed)."""
        raise NotImplementedError(f"{self.name} is not a read")

    async def execute(self, run: Run) -> Outcome:
        """A write: the only code that changes anything."""
        raise NotImplementedError(f"{self.name} is not a write")

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        """Whether the action's change is there now (after a lost answer or a restart); raises
        StoreError when Notion can't say. Unknowable by default: reported as not done."""
        return False

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        """What the person is told once it ran."""
        return "Done."


def task_values(task: Task) -> dict[str, Any]:
    """A task as the audit log keeps it, before and after a write."""
    return task.model_dump(mode="json", exclude={"url"})


def task_changes(planned: dict[str, Any]) -> TaskChanges:
    """A plan's changes (JSON: dates as ISO strings) as the store's model."""
    changes = dict(planned)
    if changes.get("due"):
        changes["due"] = date.fromisoformat(changes["due"])
    return TaskChanges(**changes)


async def apply_changes(run: Run, task_id: str, planned: dict[str, Any]) -> Outcome:
    """One task's update, with its values before and after."""
    updated = await run.ports.store.update_task(task_id, task_changes(planned))
    return Outcome(
        page_id=updated.id,
        url=updated.url,
        title=updated.title,
        before=task_values(run.before) if run.before else None,
        after=task_values(updated),
    )


def link_suffix(outcome: Outcome) -> str:
    return f" {outcome['url']}" if outcome.get("url") else ""
