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


def whose(task: Task, names: dict[str, str]) -> str:
    return join_names([names.get(p, "someone") for p in task.assignee_ids]) or "nobody"


def people_line(task: Task, today: date, names: dict[str, str]) -> str:
    """A task in a channel digest: when, and whose."""
    return f"**{task.title}** — {when(task.due, today)} ({whose(task, names)})"


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
    elif notice.kind is Kind.CHANNEL_DIGEST and notice.channel is not None:
        project = notice.channel.project_name
        parts = [f"**{project}**, the week from {day(today)}:"]
        for title, group in notice.groups:
            finished = title.startswith("Finished")
            parts.append(
                f"{title}:\n"
                + "\n".join(
                    f"• {f'**{t.title}** ({whose(t, names)})' if finished else people_line(t, today, names)}"
                    for t in group
                )
            )
        return "\n".join(parts) + f'\nSay "no more digest for {project} here" to stop it.'
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
