"""undo: take back the requester's last create or update, within the undo window.

An undo is a write like any other: it is permitted by the edit rule of the change it makes
(taking back a create is an archive), and it refuses when someone changed the task since the
change it takes back (it would silently wipe out their change too) — at the question and again
at the click."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.actions.base import Outcome, Ports, Run, Tool, apply_changes, link_suffix, task_values
from core.actions.update_task import edit_rule
from core.domain import Member, Task
from core.gate.resolving import Resolving
from core.gate.result import Decision, GateResult, clarify
from core.pending import PendingAction
from core.permissions import Asker, Permission, Write
from core.task_state import changed_since, has_changes, snapshot
from core.tools import ToolArgs, ToolSpec
from core.wording import FIELD_WORDS, em, field_words, join_names

UNDOABLE = ("create_task", "update_task")


class UndoArgs(ToolArgs):
    """Take back the requester's last change (a create or an update), within the undo window."""


class Undo(Tool):
    spec = ToolSpec(name="undo", args_model=UndoArgs, impact="write")

    async def resolve(self, res: Resolving) -> GateResult:
        """The person's last create or update, if nobody changed the task since and they may
        still make the change the undo makes."""
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
        after = last.after or {}
        if moved := changed_since(task, after):
            return res.result(Decision.DENY, message=_changed_since(task, moved))
        res.resolved.update(undo_of=last.id, task_id=task.id, seen=snapshot(task), after=_kept(after))
        if last.tool == "create_task":
            res.resolved["archive"] = True
            write = Write(self.name, task=task, archive=True)
        else:
            changes = _restore(last.resolved.get("changes", {}), last.before or {})
            res.resolved["changes"] = changes
            write = res.write_of(task, changes)
        denied = await res.permit(self.permit, write)
        if denied:
            return denied
        if last.tool == "create_task":
            return res.confirm(f"undo creating {em(task.title)}: it goes to Notion's trash")
        shown = await _shown_changes(res, res.resolved["changes"])
        return res.confirm(f"undo your change to {em(task.title)}: {shown}")

    def permit(self, asker: Asker, write: Write) -> Permission:
        """The rule of the change the undo makes: an update's edit rule, a create's archive."""
        return edit_rule(asker, write)

    def write_of(self, action: PendingAction, task: Task | None, archive_status: str) -> Write:
        if action.resolved.get("archive"):
            return Write(self.name, task=task, archive=True)
        return Write.of_changes(self.name, task, action.resolved.get("changes", {}), archive_status)

    async def recheck_write(
        self, ports: Ports, action: PendingAction, requester: Member, task: Task | None
    ) -> str | None:
        if task is not None and (moved := changed_since(task, action.resolved.get("after", {}))):
            return _changed_since(task, moved)
        return await super().recheck_write(ports, action, requester, task)

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


def _changed_since(task: Task, moved: list[str]) -> str:
    return (
        f"{em(task.title)} was changed since your change ({', '.join(field_words(moved))}), "
        "so I won't undo it: that would wipe out the later change too. Change it directly instead."
    )


def _kept(after: dict[str, Any]) -> dict[str, Any]:
    """The fields of the undone write's result that the click compares with the task again."""
    return {k: after[k] for k in ("title", "status", "assignee_ids", "project_ids", "due", "description")
            if k in after}


def _restore(changed: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The values a change replaced, as an update writes them (a task has one project)."""
    changes: dict[str, Any] = {}
    for key in changed:
        if key == "project_id":
            was = before.get("project_ids") or []
            if not was:
                raise clarify("That task had no project before, and I can't take a project off it.")
            changes[key] = was[0]
        elif before.get(key) in (None, ""):
            what = FIELD_WORDS.get(key, key)
            raise clarify(f"Its {what} was empty before, and I can't empty it from here.")
        else:
            changes[key] = before.get(key)
    return changes


async def _shown_changes(res: Resolving, changes: dict[str, Any]) -> str:
    people = {m.notion_user_id: m.name for m in await res.members()}
    projects = {p.id: p.name for p in await res.projects()}
    shown = []
    for key, value in changes.items():
        if key == "assignee_ids":
            value = join_names([people.get(i, "someone") for i in value])
        elif key == "project_id":
            value = projects.get(value, "its project")
        shown.append(f"{FIELD_WORDS.get(key, key)} back to {value}")
    return ", ".join(shown)
