"""notify_per_1000_people_per_day: what the notification scheduler costs a day for 1,000 linked
people with three tasks each, in database statements and Notion requests.

The real path: a NotionTaskStore against the embedded Notion emulator (no rate limit: only the
count matters here), the task index built by its first sync before the day starts, Darcy's
database a SQLite file. The scheduler is driven through a simulated day (a tick every
NotificationSettings.tick_seconds, sampled every 15 minutes and scaled to the day).

- Notion requests are counted at the emulator (every request it served during the ticks), plus
  the users and projects lists the store reads once per cache period (notion.cache_seconds),
  which the simulated day is too short in real time to pay itself. The index's own following of
  Notion in `darcy run` (every task_names_seconds, whether or not anyone is notified) is the
  index's cost, not counted; a tick's look refreshes it, which is counted.
- Database statements are every statement the engine runs (SQLAlchemy `before_cursor_execute`):
  the index's refresh and the ledger's reads and writes. A tick that sends nothing is the
  tick's own cost (its median, every tick of the day); what the ticks that sent notices ran
  beyond it is the notices' cost, paid once per notice a day.
- `notify_tick_notion_requests_1000_people`: Notion requests of one tick (goal: at most one, the
  index's edited-since query).
- `notify_tick_db_rows_loaded_1000_people`: rows a tick loads from the database as objects (the
  ORM's `loaded_as_persistent`; columns read alone, such as the notices' keys, are not counted):
  what grows with the board when a tick reads more than what changed.
- `notify_tick_p50_ms`: a tick's wall time, median of the sampled ticks (the size measured).
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import Mode, demo_workspace, rounded, settings, workspace_now

PEOPLE, TASKS_EACH, PAGE = 1000, 3, 100
PROJECT = "Hackathon 2026"


def board(people: int, today: date) -> dict[str, Any]:
    """The demo's schema with `people` members, one project, and three tasks each, due from two
    days ago to six days on (so the day has reminders and overdue nudges to send)."""
    demo = demo_workspace()
    members = [
        {"handle": f"p{i:04d}", "name": f"Person {i}", "email": f"p{i}@club.example", "role": "member",
         "notion_user_id": f"00000000-0000-4000-8000-{i:012d}"}
        for i in range(people)
    ]
    tasks = [
        {"title": f"Task {j} of {i}", "in_charge": [f"p{i:04d}"], "project": PROJECT, "status": "Not Started",
         "due": (today + timedelta(days=(i + j) % 9 - 2)).isoformat(), "description": ""}
        for i in range(people)
        for j in range(TASKS_EACH)
    ]
    return {"timezone": demo["timezone"], "now": demo["now"], "notion_schema": demo["notion_schema"],
            "members": members, "projects": [{"name": PROJECT, "progress": "Active", "lead": "p0000"}],
            "tasks": tasks}


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


class Tick:
    """What one tick cost."""

    def __init__(self, statements: int, rows: int, requests: int, sent: int, ms: float) -> None:
        self.statements, self.rows, self.requests, self.sent, self.ms = statements, rows, requests, sent, ms


async def run(mode: Mode) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from integrations.notion.server import NotionEmulator
    from integrations.notion.store import NotionTaskStore

    people = mode.n(PEOPLE, 50)
    start = workspace_now().replace(hour=0, minute=0, second=0, microsecond=0)
    clock = _Clock(start)
    workspace = board(people, start.date())
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "board.json"
        seed.write_text(json.dumps(workspace), encoding="utf-8")
        config = settings(seed=seed)
        config = config.model_copy(
            update={"database": config.database.model_copy(update={"url": f"sqlite+aiosqlite:///{tmp}/n.db"})}
        )
        config.workspace.people_from_seed = False
        emulator = NotionEmulator(workspace)
        store = NotionTaskStore.connect(
            config.notion, base_url=await emulator.start(), token=emulator.token,
            tasks_data_source_id=emulator.tasks_data_source_id,
            projects_data_source_id=emulator.projects_data_source_id, timezone=workspace["timezone"],
        )
        app = await bootstrap(config, store=store, clock=clock)
        try:
            ticks, notifier = await _day(app, emulator, clock, mode.n(96, 4))
        finally:
            await app.aclose()
            await store.aclose()
            await emulator.stop()
    return _figures(ticks, notifier.sent, people, config)


async def _day(app: Any, emulator: Any, clock: Any, samples: int) -> tuple[list[Tick], NullNotifier]:
    """The index built and every person linked, a first look, then `samples` ticks 15 minutes apart."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    users = await app.store.list_users()
    await app.db.identity.link_many([("terminal", uid, uid) for uid, _, _ in users], via="config")
    await app.store.list_projects()  # the store's caches warm, as in a running Darcy
    await app.index.refresh()  # the first sync: the index is built before the day starts
    service = app.notifications
    notifier = NullNotifier()
    service.add_notifier(notifier)
    await service.look()
    statements = rows = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    def loaded(*_: Any) -> None:
        nonlocal rows
        rows += 1

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(Session, "loaded_as_persistent", loaded)
    ticks = []
    try:
        for _ in range(samples):
            clock.now += timedelta(minutes=15)
            before = (statements, rows, len(emulator.request_log), notifier.sent, time.perf_counter())
            await service.tick()
            ticks.append(Tick(statements - before[0], rows - before[1], len(emulator.request_log) - before[2],
                              notifier.sent - before[3], (time.perf_counter() - before[4]) * 1000))
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(Session, "loaded_as_persistent", loaded)
    return ticks, notifier


def _figures(ticks: list[Tick], sent: int, people: int, config: Any) -> dict[str, Any]:
    """Per 1,000 people a day. A tick's own cost does not depend on the people (it is scaled as
    it is); the notices and the users list do."""
    samples = len(ticks)
    ticks_a_day = 86400 / config.notifications.tick_seconds
    quiet = statistics.median(t.statements for t in ticks if not t.sent)
    per_notice = sum(t.statements - quiet for t in ticks if t.sent) / sent if sent else 0.0
    sent_a_day = sent * 96 / samples * 1000 / people
    per_tick_requests = sum(t.requests for t in ticks) / samples
    cache_reads = 86400 / config.notion.cache_seconds * (math.ceil(1000 / PAGE) + 1)  # users, projects
    return {
        "notify_per_1000_people_per_day": {
            "db_statements": rounded(quiet * ticks_a_day + per_notice * sent_a_day, 0),
            "notion_requests": rounded(per_tick_requests * ticks_a_day + cache_reads, 0),
            "notices_sent": rounded(sent_a_day, 0),
        },
        "notify_tick_notion_requests_1000_people": rounded(per_tick_requests, 1),
        "notify_tick_db_rows_loaded_1000_people": rounded(
            statistics.median(t.rows for t in ticks if not t.sent) * 1000 / people, 0),
        "notify_tick_p50_ms": rounded(statistics.median(t.ms for t in ticks), 1),
    }


class _Clock:
    def __init__(self, now: Any) -> None:
        self.now = now

    def __call__(self) -> Any:
        return self.now
