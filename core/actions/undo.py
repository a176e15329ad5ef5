"""undo: take back the requester's last create or update, within the undo window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.actions.base import Outcome, Ports, Run, Tool, apply_changes, link_suffix, task_values
from core.gate.resolving import Resolving
from core.gate.result import GateResult, clarify
from core.pending import PendingAction
from core.task_state import has_changes, snapshot
from core.tools import ToolArgs, ToolSpec
from core.wording import FIELD_WORDS, em

UNDOABLE = ("create_task", "update_task")


class UndoArgs(ToolArgs):
    """Take back the requester's last change (a create or an update), within the undo window."""


class Undo(Tool):
    spec = ToolSpec(name="undo", args_model=UndoArgs, impact="write")

    async def resolve(self, res: Resolving) -> GateResult:
        """The person's last create or update, if nobody changed the task since."""
        window = res.settings.pending.undo_minutes
        last = await res.audit.last_execution(
            res.platform, res.chat_user_id, res.clock() - timedelta(minutes=window)
        )
        if last is None or last.tool not in UNDOABLE or not last.page_id:
            if last is not None and last.tool == "undo":
                raise clarify("Your last change was itself an undo.")
            if last is None or last.tool in UNDOABLE:
                raise clarify(
                    f"I can only undo a task you created or changed in the last {window:g} minutes, "
                    "and I see none."
                )
            raise clarify(
                "Your last change can't be undone from here (comments and links stay); "
                "change it in Notion directly."
            )
        task = await res.directory.task(last.page_id)
        if task is None:
            raise clarify("That task is already gone from Notion.")
        res.args["task"] = task.title
        res.resolved.update(undo_of=last.id, task_id=task.id, seen=snapshot(task))
        if last.tool == "create_task":
            res.resolved["archive"] = True
            return res.confirm(f"undo creating {em(task.title)}: it goes to Notion's trash")
        before = last.before or {}
        changes = {key: before.get(key) for key in last.resolved.get("changes", {})}
        res.resolved["changes"] = changes
        shown = ", ".join(f"{FIELD_WORDS.get(k, k)} back to {_shown(v)}" for k, v in changes.items())
        return res.confirm(f"undo your change to {em(task.title)}: {shown}")

    async def execute(self, run: Run) -> Outcome:
        if not run.resolved.get("archive"):
            return await apply_changes(run, run.resolved["task_id"], run.resolved["changes"])
        await run.ports.store.archive_task(run.resolved["task_id"])
        return Outcome(
            page_id=run.resolved["task_id"],
            title=run.before.title if run.before else "",
            before=task_values(run.before) if run.before else None,
            after={"in_trash": True},
        )

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        task = await ports.directory.task(action.resolved["task_id"])
        if "changes" in action.resolved:
            return has_changes(task, action.resolved["changes"])
        return task is None  # an undone create: the page went to the trash

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        title = em(outcome.get("title", ""))
        if action.resolved.get("archive"):
            return f"Undone: {title} is in Notion's trash."
        return f"Undone: {title} is back as it was.{link_suffix(outcome)}"


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "empty"
    if isinstance(value, list):
        return f"{len(value)} people" if len(value) != 1 else "1 person"
    return str(value)
