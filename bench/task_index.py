"""What naming a task costs as the board grows, with the task index (issue #19).

The demo's tasks are cloned ×10, ×100, ×1000 (bench/growth.py's `scaled`, tasks only: members
and projects stay the demo's) into a seed served by the embedded Notion server; the offline
planner; requests from linked members.

- `notion_calls_task_request_growth`: Notion requests of a request naming a task ("I've just
  finished sending out the recruitment forms") on a warm index whose refresh is due (every
  request refreshes: `task_names_seconds = 0`): the worst case of a warm request. Goal ≤ 2.
- `task_index_first_sync_seconds_x100`, `task_index_first_sync_calls_x100`: the first sync.
- `task_index_memory_mb_x1000`: what the index's tasks hold in the process (tracemalloc, a
  second index loading the synced rows from the database); `task_index_db_mb_x1000`: the
  SQLite file after the first sync (every table; the others are near empty).
- `task_request_p50_ms_by_size`: the task-naming request's latency, refresh not due (the usual
  case within task_names_seconds), p50 of REPEATS. Goal at ×100: within 2 ms of ×1.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.common import Mode, corpus, demo_workspace, frozen, median, rounded, settings, workspace_now
from bench.growth import TASK_CASE, scaled

REPEATS = 30


def _case() -> dict[str, Any]:
    return next(c for c in corpus() if c["id"] == TASK_CASE)


async def _one_size(label: str, factor: int, tmp: Path, *, detail: bool, repeats: int) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.evaluation import chat_id
    from core.messages import HandleRequest

    workspace = scaled(demo_workspace(), factor, only_tasks=True)
    seed = tmp / f"{label}.json"
    seed.write_text(json.dumps(workspace), encoding="utf-8")
    config = settings(seed=seed)
    app = await bootstrap(config, clock=frozen(workspace_now()))
    out: dict[str, Any] = {}
    case = _case()
    platform = case.get("platform", "terminal")
    user = chat_id(workspace, case["user"], platform)

    def ask(n: int) -> HandleRequest:
        return HandleRequest(platform=platform, user_id=user, channel_id=f"bench:ix:{n}", text=case["text"])

    try:
        before, began = len(app.emulator.request_log), time.perf_counter()
        await app.deps.directory.tasks()  # the first sync
        out["sync_seconds"] = rounded(time.perf_counter() - began, 2)
        out["sync_calls"] = len(app.emulator.request_log) - before
        await app.bus.execute(ask(0))  # users, projects: caches warm
        timings = []
        for n in range(repeats):
            began = time.perf_counter()
            await app.bus.execute(ask(n + 1))
            timings.append((time.perf_counter() - began) * 1000)
        out["p50_ms"] = rounded(median(timings), 2)
        app.deps.directory.index.refresh_seconds = 0  # every request refreshes from now on
        app.deps.directory.task_names_seconds = 0
        worst = 0
        for n in range(3):
            before = len(app.emulator.request_log)
            await app.bus.execute(ask(100 + n))
            worst = max(worst, len(app.emulator.request_log) - before)
        out["warm_calls"] = worst
        if detail:
            out.update(await _footprint(app))
    finally:
        await app.aclose()
    return out


async def _footprint(app: Any) -> dict[str, float]:
    from integrations.db.task_index import SqlTaskIndex
    from integrations.notion.index import TaskIndex

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    second = TaskIndex(app.store, SqlTaskIndex(app.db), mapping=app.index.mapping, refresh_seconds=3600)
    second._read_at = time.monotonic()
    await second._pull()
    tasks = await second.tasks()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert tasks
    async with app.db.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size = Path(app.db.url.split(":///", 1)[1]).stat().st_size
    return {"memory_mb": rounded(held / 2**20, 1), "db_mb": rounded(size / 2**20, 1)}


async def run(mode: Mode) -> dict[str, Any]:
    sizes = {"x1": 1, "x10": 10} if mode.smoke else {"x1": 1, "x10": 10, "x100": 100, "x1000": 1000}
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, factor in sizes.items():
            found[label] = await _one_size(label, factor, Path(tmp), detail=label == "x1000",
                                           repeats=mode.n(REPEATS, 5))
    results: dict[str, Any] = {
        "notion_calls_task_request_growth": {k: v["warm_calls"] for k, v in found.items()},
        "task_request_p50_ms_by_size": {k: v["p50_ms"] for k, v in found.items()},
        "task_index_first_sync_calls": {k: v["sync_calls"] for k, v in found.items()},
    }
    if "x100" in found:
        results["task_index_first_sync_seconds_x100"] = found["x100"]["sync_seconds"]
        results["task_index_first_sync_calls_x100"] = found["x100"]["sync_calls"]
        extra = found["x100"]["p50_ms"] - found["x1"]["p50_ms"]
        results["task_request_p50_ms_x100_minus_x1"] = rounded(extra, 2)
    if "x1000" in found:
        results["task_index_memory_mb_x1000"] = found["x1000"]["memory_mb"]
        results["task_index_db_mb_x1000"] = found["x1000"]["db_mb"]
    return results
