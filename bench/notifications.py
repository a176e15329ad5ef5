"""notify_per_1000_people_per_day: what the notification scheduler costs a day for 1,000 linked
people with three tasks each, in database statements and Notion requests.

The scheduler is driven through a simulated day (a tick every NotificationSettings.tick_seconds,
sampled every 15 minutes and scaled to the day) against an in-memory board whose reads are
counted as Notion would bill them (a task list is one request per 100 tasks; users and projects
are read through the store's cache, so at most once per cache period). The database is a SQLite
file (the ledger's statements are counted). The board read dominates: the task index (#19) will
replace it with an incremental refresh.
"""

from __future__ import annotations

import math
import tempfile
from datetime import date, timedelta
from typing import Any

from bench.common import Mode, rounded, settings, workspace_now

PEOPLE, TASKS_EACH, PAGE = 1000, 3, 100


class CountingBoard:
    """A TaskStore over plain lists, counting the Notion requests the real one would make."""

    def __init__(self, today: date, people: int) -> None:
        from core.domain import Project, Task

        self.users = [(f"user-{i:04d}", f"Person {i}", f"p{i}@club.example") for i in range(people)]
        self.project = Project(id="proj", name="Hackathon 2026")
        self.tasks = [
            Task(
                id=f"task-{i:04d}-{j}",
                title=f"Task {j} of {i}",
                status="Not Started",
                assignee_ids=[f"user-{i:04d}"],
                project_ids=["proj"],
                due=today + timedelta(days=(i + j) % 9 - 2),
            )
            for i in range(people)
            for j in range(TASKS_EACH)
        ]
        self.requests = 0

    async def list_users(self) -> list[tuple[str, str, str | None]]:
        return list(self.users)  # cached by the real store: counted once, below

    async def list_projects(self) -> list[Any]:
        return [self.project]

    async def list_tasks(self, query: Any) -> list[Any]:
        self.requests += max(1, math.ceil(len(self.tasks) / PAGE))
        return list(self.tasks)

    async def get_task(self, task_id: str) -> Any:
        self.requests += 1
        return next(t for t in self.tasks if t.id == task_id)


class NullNotifier:
    platform = "terminal"

    def __init__(self) -> None:
        self.sent = 0

    async def direct(self, chat_id: str, message: Any) -> Any:
        from core.notify.ports import Delivery

        self.sent += 1
        return Delivery.SENT

    async def mention(self, channel_id: str, chat_id: str, message: Any) -> Any:
        return await self.direct(chat_id, message)


async def run(mode: Mode) -> dict[str, Any]:
    from bot.bootstrap import bootstrap

    people = mode.n(PEOPLE, 50)
    start = workspace_now().replace(hour=0, minute=0, second=0, microsecond=0)
    clock = _Clock(start)
    board = CountingBoard(start.date(), people)
    with tempfile.TemporaryDirectory() as tmp:
        config = settings()
        config = config.model_copy(
            update={
                "database": config.database.model_copy(update={"url": f"sqlite+aiosqlite:///{tmp}/bench.db"})
            }
        )
        config.workspace.people_from_seed = False
        app = await bootstrap(config, store=board, clock=clock)  # type: ignore[arg-type]
        try:
            await app.db.identity.link_many(
                [("terminal", uid, uid) for uid, _, _ in board.users], via="config"
            )
            service = app.notifications
            assert service is not None
            notifier = NullNotifier()
            service.add_notifier(notifier)
            ledger: Any = service.ledger
            await service.look()
            step = timedelta(minutes=15)
            samples = mode.n(96, 4)
            statements, requests = ledger.calls, board.requests
            for _ in range(samples):
                clock.now += step
                await service.tick()
            statements, requests = ledger.calls - statements, board.requests - requests
        finally:
            await app.aclose()
    ticks_a_day = 86400 / config.notifications.tick_seconds
    scale = 1000 / people
    # A notice costs its claim and settle (counted by the ledger), a pending action (its Done
    # button) and an audit row: four statements, once a day whatever the tick. The rest is the
    # tick's own reading (links, settings, assignments seen), every tick.
    sent_a_day = notifier.sent * 96 / samples
    per_tick_statements = (statements - 2 * notifier.sent) / samples
    per_tick_requests = requests / samples
    cache_reads = 2 * 86400 / config.notion.cache_seconds * math.ceil(people / PAGE)  # users, projects
    return {
        "notify_per_1000_people_per_day": {
            "db_statements": rounded((per_tick_statements * ticks_a_day + 4 * sent_a_day) * scale, 0),
            "notion_requests": rounded((per_tick_requests * ticks_a_day + cache_reads) * scale, 0),
            "notices_sent": rounded(sent_a_day * scale, 0),
        },
        "notify_tick_notion_requests_1000_people": rounded(per_tick_requests * scale, 1),
    }


class _Clock:
    def __init__(self, now: Any) -> None:
        self.now = now

    def __call__(self) -> Any:
        return self.now
