"""Actions interrupted between the click and the write (a crash, a deploy, a kill -9).

At start, every action confirmed more than a minute ago and never finished is
looked up in Notion: if its change is there it is marked executed, otherwise
failed. Either way it is audited and logged: never silently lost, never done
twice (nothing is re-sent; the person can ask again).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from core.domain import NewTask, Task
from core.pending import PendingAction, PendingState

if TYPE_CHECKING:
    from core.service import Darcy

log = structlog.get_logger("darcy.recovery")
CREATE_SLACK = timedelta(minutes=2)


async def recover_interrupted(darcy: Darcy, *, older_than: timedelta = timedelta(minutes=1)) -> list[str]:
    """Settle interrupted actions; returns one line per action, for logs and tests."""
    report = []
    for action in await darcy.pending.interrupted(datetime.now(UTC) - older_than):
        done = await landed(darcy, action)
        state = PendingState.EXECUTED if done else PendingState.FAILED
        note = "found done in Notion after a restart" if done else "interrupted by a restart; not done"
        if not await darcy.pending.transition(
            action.id, PendingState.CONFIRMED, state, result={"recovered": note}
        ):
            continue  # another replica settled it first
        await darcy.audit_action(action, "executed" if done else "failed")
        log.warning("interrupted_action_settled", pending_id=action.id, tool=action.tool, state=state.value)
        report.append(f"{action.id} {action.tool}: {state.value} ({note})")
    return report


async def landed(darcy: Darcy, action: PendingAction) -> bool:
    """Whether the action's change is in Notion now (raises StoreError if Notion can't say)."""
    plan = action.plan
    if action.tool == "create_task":
        wanted = NewTask(
            request_id=action.id,
            title=plan["title"],
            assignee_ids=plan.get("assignee_ids", []),
            project_id=plan.get("project_id"),
            due=plan.get("due"),
            description=plan.get("description"),
            status=plan.get("status"),
        )
        return await darcy.store.find_created(wanted, action.created_at - CREATE_SLACK) is not None
    if action.tool == "update_task" or (action.tool == "undo" and "changes" in plan):
        return _has(await darcy.directory.task(plan["task_id"]), plan["changes"])
    if action.tool == "update_tasks":
        return all([_has(await darcy.directory.task(i), plan["changes"]) for i in plan["task_ids"]])
    if action.tool == "undo":  # an undone create: the page went to the trash
        return await darcy.directory.task(plan["task_id"]) is None
    if action.tool == "link_account":
        return await darcy.identity.lookup(action.platform, action.user_id) == plan["notion_user_id"]
    return False  # a comment or another tool's write: unknowable here, so reported as not done


def _has(task: Task | None, changes: dict[str, object]) -> bool:
    if task is None:
        return False
    now = task.model_dump(mode="json")
    for key, value in changes.items():
        if key == "assignee_ids" and sorted(now["assignee_ids"]) != sorted(value):  # type: ignore[arg-type]
            return False
        if key == "project_id" and value not in now["project_ids"]:
            return False
        if key not in ("assignee_ids", "project_id") and now.get(key) != value:
            return False
    return True
