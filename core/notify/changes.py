"""Which assignments are new since the last look: the board now against the assignments the
ledger has seen. The one module that knows the board's history, so that it can later read the
task index (#19) instead of comparing whole boards.

The very first look records the board as it is without telling anyone (a new install must not
greet everyone with their whole backlog). Darcy's own writes are recorded at once, with who
made them (`record_write`), so the look after finds them known and never credits them to Notion.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.domain import Task
from core.notify.planner import Seen
from core.notify.ports import NoticeLedger

BASELINE = ("*", "*")  # a row that says the board was looked at once
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


async def observe_board(
    tasks: list[Task], ledger: NoticeLedger, now: datetime, finished: frozenset[str]
) -> dict[tuple[str, str], Seen]:
    """Record the assignments that appeared and forget the ones that went; all of them, after."""
    known = await ledger.assignments()
    first = BASELINE not in known
    current = {(t.id, p): t for t in tasks for p in t.assignee_ids}
    fresh = [
        (task_id, person, Seen(LONG_AGO if first else now, None, first or task.status in finished))
        for (task_id, person), task in current.items()
        if (task_id, person) not in known
    ]
    if first:
        fresh.append((*BASELINE, Seen(now, None, True)))
    gone = [pair for pair in known if pair != BASELINE and pair not in current]
    if fresh:
        await ledger.observe(fresh)
    if gone:
        await ledger.forget(gone)
    await _observe_finished(tasks, ledger, LONG_AGO if first else now, finished)
    return {pair: row for pair, row in (await ledger.assignments()).items() if pair != BASELINE}


async def record_write(ledger: NoticeLedger, task: Task, actor: str, now: datetime) -> None:
    """Assignments of a task Darcy just wrote for `actor`: the actor's own is told already."""
    await ledger.observe([(task.id, p, Seen(now, actor, p == actor)) for p in task.assignee_ids])


async def _observe_finished(
    tasks: list[Task], ledger: NoticeLedger, at: datetime, finished: frozenset[str]
) -> None:
    """When each task was first seen finished (a weekly digest's "finished last week"); a task
    reopened is forgotten, to be seen finished again later."""
    known = await ledger.finished()
    done = {t.id for t in tasks if t.status in finished}
    fresh = {task_id: at for task_id in done if task_id not in known}
    reopened = [t.id for t in tasks if t.id in known and t.id not in done]
    if fresh or reopened:
        await ledger.observe_finished(fresh, reopened)
