"""A task as the person saw it, compared with the task as it is now.

The gate keeps a snapshot in the pending action; the click compares it with Notion (`drift`),
and recovery asks whether a change is there (`has_changes`).
"""

from __future__ import annotations

from typing import Any

from core.domain import Task
from core.wording import em, field_words


def snapshot(task: Task) -> dict[str, Any]:
    """The task as the person saw it when asked to confirm: re-compared at the click."""
    return task.model_dump(mode="json", include={"title", "status", "assignee_ids", "project_ids", "due"})


def drift(task: Task, seen: dict[str, Any]) -> str | None:
    """Why not to write, if the task changed in Notion since the person saw it."""
    now = snapshot(task)
    moved = [key for key in seen if seen[key] != now[key]]
    if not moved:
        return None
    return (
        f"{em(task.title)} changed in Notion since you asked ({', '.join(field_words(moved))}), "
        "so I stopped. Ask again if you still want it."
    )


def has_changes(task: Task | None, changes: dict[str, object]) -> bool:
    """Whether the task (None: gone) carries every one of the planned changes."""
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


UNDONE_FIELDS = ("title", "status", "assignee_ids", "project_ids", "due", "description")


def changed_since(task: Task, after: dict[str, Any]) -> list[str]:
    """The fields of `task` that differ from `after` (the task as a write left it, from the audit
    log): someone changed them since, so taking that write back would undo their change too."""
    now = task.model_dump(mode="json")
    moved = []
    for key in UNDONE_FIELDS:
        if key not in after:
            continue
        was, is_ = after[key], now.get(key)
        if key in ("assignee_ids", "project_ids"):
            was, is_ = sorted(was or []), sorted(is_ or [])
        if (was or None) != (is_ or None):
            moved.append(key)
    return moved
