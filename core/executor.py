"""Runs a confirmed, re-checked plan against the task store. The only code that writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.domain import NewTask, Task, TaskChanges
from core.identity import IdentityRepository, LinkTaken
from core.ports import TaskStore
from core.registry import Extension, ToolContext


class Outcome(dict[str, Any]):
    """What happened: page id, url, and the values before and after (for the audit log); or,
    under `refused`, why the write was refused as it was made (then nothing was changed)."""


def _task_values(task: Task) -> dict[str, Any]:
    return task.model_dump(mode="json", exclude={"url"})


async def execute(
    request_id: str,
    tool: str,
    plan: dict[str, Any],
    *,
    store: TaskStore,
    identity: IdentityRepository,
    platform: str,
    chat_user_id: str,
    before: Task | None,
    extension: Extension | None = None,
    context: ToolContext | None = None,
) -> Outcome:
    if tool == "create_task":
        created = await store.create_task(
            NewTask(
                request_id=request_id,
                title=plan["title"],
                assignee_ids=plan.get("assignee_ids", []),
                project_id=plan.get("project_id"),
                due=date.fromisoformat(plan["due"]) if plan.get("due") else None,
                description=plan.get("description"),
                status=plan.get("status"),
            )
        )
        return Outcome(
            page_id=created.id, url=created.url, title=created.title, before=None, after=_task_values(created)
        )
    if tool == "update_task":
        return await _apply(store, plan["task_id"], plan["changes"], before)
    if tool == "update_tasks":
        changes = _changes(plan["changes"])
        updated = [await store.update_task(task_id, changes) for task_id in plan["task_ids"]]
        return Outcome(
            page_id=None,
            page_ids=[t.id for t in updated],
            titles=[t.title for t in updated],
            before=plan.get("seen"),
            after=[_task_values(t) for t in updated],
        )
    if tool == "add_comment":
        comment_id = await store.add_comment(plan["task_id"], plan["text"], author=plan.get("author"))
        return Outcome(
            page_id=plan["task_id"],
            url=before.url if before else None,
            title=before.title if before else "",
            comment_id=comment_id,
            before=None,
            after={"comment": plan["text"]},
        )
    if tool == "undo":
        if plan.get("archive"):
            await store.archive_task(plan["task_id"])
            return Outcome(
                page_id=plan["task_id"],
                title=before.title if before else "",
                before=_task_values(before) if before else None,
                after={"in_trash": True},
            )
        return await _apply(store, plan["task_id"], plan["changes"], before)
    if extension is not None and context is not None:
        text = await extension.call(plan["args"], context)
        return Outcome(page_id=None, result=text, before=None, after={"result": text})
    if tool == "link_account":
        try:
            await identity.link(platform, chat_user_id, plan["notion_user_id"], via="verification")
        except LinkTaken as exc:  # linked to another account since the click's check: nothing done
            return Outcome(page_id=None, refused=str(exc), before=None, after=None)
        return Outcome(page_id=None, before=None, after={"notion_user_id": plan["notion_user_id"]})
    raise ValueError(f"{tool} is not a write")


def _changes(planned: dict[str, Any]) -> TaskChanges:
    """A plan's changes (JSON: dates as ISO strings) as the store's model."""
    changes = dict(planned)
    if changes.get("due"):
        changes["due"] = date.fromisoformat(changes["due"])
    return TaskChanges(**changes)


async def _apply(store: TaskStore, task_id: str, planned: dict[str, Any], before: Task | None) -> Outcome:
    updated = await store.update_task(task_id, _changes(planned))
    return Outcome(
        page_id=updated.id,
        url=updated.url,
        title=updated.title,
        before=_task_values(before) if before else None,
        after=_task_values(updated),
    )
