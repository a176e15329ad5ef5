"""show_task: one task in full (people, project, description, latest comments); runs at once."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core.actions.base import Ports, Tool
from core.extensions import ToolContext
from core.gate.resolving import Resolving
from core.gate.result import GateResult
from core.ports import StoreError
from core.reads import task_details, task_lines
from core.replies import Reply
from core.tools import ToolArgs, ToolSpec


class ShowTaskArgs(ToolArgs):
    """One task in full: status, due date, people, project, description and latest comments."""

    task: str | None = Field(None, description="The task, as the person named it (required)")


class ShowTask(Tool):
    spec = ToolSpec(name="show_task", args_model=ShowTaskArgs, impact="read")

    async def resolve(self, res: Resolving) -> GateResult:
        task = await res.task(res.raw.get("task"), "Which task should I show you?")
        res.args["task"], res.resolved["task_id"] = task.title, task.id
        return res.execute()

    async def answer(
        self, ports: Ports, result: GateResult, caller: ToolContext, base: dict[str, Any]
    ) -> Reply:
        """The task as Notion has it now (read again: the name was resolved on a kept list)."""
        task_id = result.resolved["task_id"]
        try:
            task = await ports.store.get_task(task_id)
        except StoreError as exc:
            if not exc.not_found:
                raise
            return Reply(text="That task is no longer in Notion.", **{**base, "decision": "error"})
        [line] = await task_lines(ports.directory, [task])
        comments = await ports.store.list_comments(task_id)
        return Reply(text=task_details(line, task.description, comments), **base)
