"""A notice in words: who, what, when, which project, and how to turn it off (every message says)."""

from __future__ import annotations

from datetime import date, timedelta

from core.domain import Project, Task
from core.notify.planner import Kind, Notice
from core.wording import day, join_names

OFF = {
    Kind.ASSIGNED: 'Say "no more assignment messages" to stop these.',
    Kind.DUE: 'Say "no more reminders" to stop these.',
    Kind.OVERDUE: 'Say "no more reminders" to stop these.',
    Kind.SNOOZED: 'Say "no more reminders" to stop these.',
    Kind.DIGEST: 'Say "no more digest" to stop it.',
}


def when(due: date | None, today: date) -> str:
    if due is None:
        return "no due date"
    if due == today:
        return f"due today ({day(due)})"
    if due == today + timedelta(days=1):
        return f"due tomorrow ({day(due)})"
    if due < today:
        return f"was due {day(due)}"
    return f"due {day(due)}"


def line(task: Task, today: date, projects: dict[str, Project]) -> str:
    names = [projects[p].name for p in task.project_ids if p in projects]
    where = f", {', '.join(names)}" if names else ""
    return f"**{task.title}** — {when(task.due, today)}{where}"


def text(notice: Notice, today: date, projects: dict[str, Project], names: dict[str, str]) -> str:
    tasks = notice.tasks
    if notice.kind is Kind.ASSIGNED:
        who = (
            join_names([names.get(a, "Someone") for a in notice.actors])
            if notice.actors
            else "Someone in Notion"
        )
        if len(tasks) == 1:
            head = f"{who} gave you a task: {line(tasks[0], today, projects)}."
        else:
            head = f"{who} gave you {len(tasks)} tasks:\n" + "\n".join(
                f"• {line(t, today, projects)}" for t in tasks
            )
    elif notice.kind in (Kind.DUE, Kind.SNOOZED):
        head = f"Reminder: {line(tasks[0], today, projects)}."
    elif notice.kind is Kind.OVERDUE:
        head = f"Overdue: {line(tasks[0], today, projects)}, and it isn't done yet."
    else:
        overdue = [t for t in tasks if t.due and t.due < today]
        due_today = [t for t in tasks if t.due == today]
        week = [t for t in tasks if t.due and t.due > today]
        parts = [f"Good morning! Your tasks for {day(today)}:"]
        for title, group in (("Overdue", overdue), ("Due today", due_today), ("This week", week)):
            if group:
                parts.append(f"{title}:\n" + "\n".join(f"• {line(t, today, projects)}" for t in group))
        head = "\n".join(parts)
    return f"{head}\n{OFF[notice.kind]}"
