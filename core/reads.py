"""What the read tools share: tasks as lines of a reply, and one task in a few lines of text."""

from __future__ import annotations

from core.directory import Directory
from core.domain import Task, TaskComment
from core.replies import TaskLine
from core.wording import day, em, join_names

LIST_CAP = 20  # lines in one reply; the rest is counted, not shown
EXTENSION_TEXT_CAP = 3_500  # what another tool says, shown within every platform's message limit
COMMENTS_SHOWN = 3  # the latest; the rest are in Notion


async def task_lines(directory: Directory, tasks: list[Task]) -> list[TaskLine]:
    people = {m.notion_user_id: m.name for m in await directory.members()}
    projects = {p.id: p.name for p in await directory.projects()}
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
