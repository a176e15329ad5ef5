"""The offline planner alone: time per message over the labelled requests, and the time to
load its cached intent model (issue #16: p50 under 5 ms, the model well under a second)."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from bench.common import ROOT, Mode, rounded


def _texts() -> list[tuple[str, str]]:
    """(requester handle, text) of the public and the frozen held-out labelled requests."""
    found = []
    for corpus in (ROOT.parent / "shared" / "eval" / "public.jsonl", ROOT / "tests/fixtures/heldout.jsonl"):
        if corpus.exists():
            for line in corpus.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    case = json.loads(line)
                    found.append((case["user"], case["text"]))
    return found


def run(mode: Mode) -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from fixtures import context  # the demo workspace as a planner sees it

    from core.planner.offline import plan_text
    from core.planner.offline.intent import model

    model()  # built, or loaded from the cache
    model.cache_clear()
    began = time.perf_counter()
    model()
    load_s = time.perf_counter() - began
    cases = [(context(user), text) for user, text in _texts()]
    for facts, text in cases:
        plan_text(text, facts)  # warm: dates, caches
    timings = []
    for _ in range(1 if mode.smoke else 5):
        for facts, text in cases:
            began = time.perf_counter()
            plan_text(text, facts)
            timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "planner_p50_ms": rounded(statistics.median(timings), 3),
        "planner_p99_ms": rounded(timings[int(len(timings) * 0.99) - 1], 3),
        "planner_model_load_s": rounded(load_s, 3),
    }
