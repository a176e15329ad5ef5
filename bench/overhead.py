"""overhead_p50_ms, overhead_p99_ms, overhead_by_flow: Darcy's own time per message.

The four demo flows are played through the terminal adapter (rendering included, into a
console that drops its output) → bus → identity → offline planner → gate → reply, with
the embedded Notion server on loopback (zero added latency) and warm caches.

- A *request* is typed text (a flow's first message, and the e-mail of the link flow):
  adapter → bus → identity → planner → gate → reply. `overhead_p50_ms`/`_p99_ms` are over
  requests: that is the path the goal is about.
- A *click* answers a question (Confirm, a pick): adapter → bus → pending action →
  re-check → the Notion write → reply. `click_p50_ms`/`_p99_ms`, reported beside.

Between iterations the workspace, the links and the conversations are put back, so every
iteration sees the same thing. Several runs after a warm-up; each figure is the median
over runs of that run's percentile. `overhead_by_flow` has every flow's p50/p99 over all
its messages and each step's p50.

Then, untimed for the headline, one more pass with the app's parts wrapped
(bench/breakdown.py) says where the time goes: `overhead_breakdown_ms`, the mean exclusive
milliseconds per request and per click in the database, the Notion client (loopback),
the planner, the gate, the terminal rendering, and the rest ("other": the bus, the
service, the adapter, pydantic models, the event loop), and `db_calls_per_message`.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from bench.breakdown import Breakdown
from bench.common import (
    FLOWS,
    STEP_NAMES,
    Mode,
    Snapshot,
    frozen,
    median,
    null_console,
    percentile,
    rounded,
    workspace_now,
)
from bench.common import settings as bench_settings

REQUEST_STEPS = {"request", "email"}  # typed text; the other steps are clicks


def kind(step: str) -> str:
    return "request" if step in REQUEST_STEPS else "click"


async def run(mode: Mode) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.terminal import TerminalChat
    from core.conversation import MemoryConversationStore

    app = await bootstrap(bench_settings(), clock=frozen(workspace_now()))
    stores = {"database": app.deps.conversations.store, "memory": MemoryConversationStore()}
    console = null_console()
    try:
        snapshot = Snapshot(app)

        async def iteration(samples: dict[str, list[float]] | None, breakdown: Breakdown | None = None,
                            ) -> None:
            for flow, (user, messages) in FLOWS.items():
                chat = TerminalChat(app.bus, user, console)
                for step, text in zip(STEP_NAMES[flow], messages, strict=True):
                    began = time.perf_counter()
                    if breakdown is not None:
                        with breakdown.message(kind(step)):
                            await chat.send(text)
                    else:
                        await chat.send(text)
                    elapsed = (time.perf_counter() - began) * 1000
                    if samples is not None:
                        samples.setdefault(f"{flow}.{step}", []).append(elapsed)
                await snapshot.restore(unlink=[("terminal", "zoe")])

        for _ in range(mode.n(3, 0)):  # warm-up: lazy imports, caches, the planner's models
            await iteration(None)
        runs: dict[str, list[dict[str, list[float]]]] = {name: [] for name in stores}
        for _ in range(mode.n(5, 1)):
            samples: dict[str, dict[str, list[float]]] = {name: {} for name in stores}
            gc.collect()
            for _ in range(mode.n(16, 1)):
                for name, store in stores.items():  # interleaved: the machine's load falls on both alike
                    app.deps.conversations.store = store
                    await iteration(samples[name])
            for name in stores:
                runs[name].append(samples[name])
        app.deps.conversations.store = stores["database"]

        breakdown = Breakdown()
        undo = breakdown.instrument(app)
        try:
            for _ in range(mode.n(10, 1)):
                await iteration(None, breakdown)
        finally:
            undo()
    finally:
        await app.aclose()
    headline, before = summarise(runs["database"]), summarise(runs["memory"])
    return {**headline, "overhead_breakdown_ms": breakdown.per_message_ms(),
            "db_calls_per_message": breakdown.db_calls_per_message(),
            "db_round_trips_per_message": breakdown.db_round_trips_per_message(),
            "conversation_db_calls_per_message": breakdown.conversation_calls_per_message(),
            "overhead_p50_ms_conversations_in_memory": before["overhead_p50_ms"],
            "overhead_p99_ms_conversations_in_memory": before["overhead_p99_ms"],
            "click_p50_ms_conversations_in_memory": before["click_p50_ms"],
            "conversation_overhead_p50_ms": rounded(headline["overhead_p50_ms"] - before["overhead_p50_ms"])}


def summarise(runs: list[dict[str, list[float]]]) -> dict[str, Any]:
    def over_runs(keys: list[str], q: float) -> float:
        return median(percentile([v for k in keys for v in run[k]], q) for run in runs)

    every = list(runs[0])
    requests = [k for k in every if kind(k.split(".", 1)[1]) == "request"]
    clicks = [k for k in every if k not in requests]
    by_flow: dict[str, dict[str, float]] = {}
    for flow in FLOWS:
        keys = [k for k in every if k.startswith(f"{flow}.")]
        entry = {"p50_ms": rounded(over_runs(keys, 50)), "p99_ms": rounded(over_runs(keys, 99))}
        for key in keys:
            entry[f"{key.split('.', 1)[1]}_p50_ms"] = rounded(over_runs([key], 50))
        by_flow[flow] = entry
    return {
        "overhead_p50_ms": rounded(over_runs(requests, 50)),
        "overhead_p99_ms": rounded(over_runs(requests, 99)),
        "overhead_by_flow": by_flow,
        "click_p50_ms": rounded(over_runs(clicks, 50)),
        "click_p99_ms": rounded(over_runs(clicks, 99)),
        "all_messages_p50_ms": rounded(over_runs(every, 50)),
    }
