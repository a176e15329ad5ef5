"""Which assignments are new since the last look: the board now against the assignments seen
before. The one module that knows the board's history.

The ledger's assignments and finished tasks are read once (the first look of the process) and
then kept here, so a tick's database work follows what changed, not the board: an assignment
that appeared is written and read back (another replica, or Darcy's own write, may have
recorded it first, with who made it), one that went is forgotten, a task finished or reopened is
written. A tick where nothing changed reads nothing.

The very first look records the board as it is without telling anyone (a new install must not
greet everyone with their whole backlog). Darcy's own writes are recorded at once, with who
made them (`record_write`), so the look after finds them known and never credits them to Notion.

Replicas: every write here is idempotent and the board is shared, so each replica's copy follows
the same board. What another replica changes in a row this one already holds (it told the
person: `notified`) is found when this one tries to take it (`take_assignments`). One case is
not: an assignment removed and given back between two looks of this replica, while another saw
both, is recorded anew by that one (which tells the person) and kept here as it was before.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.domain import Task
from core.notify.planner import Seen
from core.notify.ports import NoticeLedger

BASELINE = ("*", "*")  # a row that says the board was looked at once
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
READ_BACK = 500  # more new assignments than this at once (a first look): read the ledger whole

Pair = tuple[str, str]


class BoardHistory:
    """The ledger's assignments and finished tasks as this process last wrote or read them."""

    def __init__(self, ledger: NoticeLedger) -> None:
        self.ledger = ledger
        self._seen: dict[Pair, Seen] | None = None
        self._finished: set[str] = set()

    async def observe(self, tasks: list[Task], now: datetime, finished: frozenset[str]) -> dict[Pair, Seen]:
        """Record the assignments that appeared and forget the ones that went; all of them, after."""
        if self._seen is None:
            self._seen = await self.ledger.assignments()
            self._finished = set(await self.ledger.finished())
        seen = self._seen
        first = BASELINE not in seen
        current = {(t.id, p): t for t in tasks for p in t.assignee_ids}
        fresh = [
            (task_id, person, Seen(LONG_AGO if first else now, None, first or task.status in finished))
            for (task_id, person), task in current.items()
            if (task_id, person) not in seen
        ]
        if first:
            fresh.append((*BASELINE, Seen(now, None, True)))
        gone = [pair for pair in seen if pair != BASELINE and pair not in current]
        if fresh:
            await self.ledger.observe(fresh)
            await self._read_back([(task_id, person) for task_id, person, _ in fresh])
        if gone:
            await self.ledger.forget(gone)
            for pair in gone:
                seen.pop(pair, None)
        await self._observe_finished(tasks, LONG_AGO if first else now, finished)
        return {pair: row for pair, row in seen.items() if pair != BASELINE}

    async def take_assignments(self, person: str, task_ids: list[str]) -> list[str]:
        """The ledger's `take_assignments`; every one asked is told after it (here or elsewhere)."""
        taken = await self.ledger.take_assignments(person, task_ids)
        if self._seen is not None:
            for task_id in task_ids:
                if (row := self._seen.get((task_id, person))) is not None:
                    self._seen[(task_id, person)] = Seen(row.seen_at, row.actor, True)
        return taken

    async def _read_back(self, pairs: list[Pair]) -> None:
        """The rows as the ledger holds them: a row recorded before (by Darcy's own write, or
        another replica) was kept as it was."""
        if len(pairs) > READ_BACK:
            self._seen = await self.ledger.assignments()
        else:
            assert self._seen is not None
            self._seen.update(await self.ledger.assignments(pairs))

    async def _observe_finished(self, tasks: list[Task], at: datetime, finished: frozenset[str]) -> None:
        """When each task was first seen finished (a weekly digest's "finished last week"); a task
        reopened is forgotten, to be seen finished again later."""
        done = {t.id for t in tasks if t.status in finished}
        fresh = {task_id: at for task_id in done - self._finished}
        reopened = [t.id for t in tasks if t.id in self._finished and t.id not in done]
        if fresh or reopened:
            await self.ledger.observe_finished(fresh, reopened)
            self._finished = (self._finished | done).difference(reopened)


async def record_write(ledger: NoticeLedger, task: Task, actor: str, now: datetime) -> None:
    """Assignments of a task Darcy just wrote for `actor`: the actor's own is told already. The
    next look finds them new to it and reads them back from the ledger, actor and all."""
    await ledger.observe([(task.id, p, Seen(now, actor, p == actor)) for p in task.assignee_ids])
