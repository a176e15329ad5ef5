"""`python -m bench`: run every benchmark, print a table, write bench/results.json.

    python -m bench                 # the full run (`make bench`), ≈ 5 minutes (the soak is 1.5)
    python -m bench --smoke         # one short iteration of everything (the test runs it)
    python -m bench --only overhead llm --out /tmp/r.json
    python -m bench --only soak     # one benchmark again: its figures replace those in results.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, Mode, quiet, rounded

RESULTS = ROOT / "bench" / "results.json"
SMOKE_RESULTS = ROOT / "build" / "bench-smoke.json"

# In this order: the offline-planner figures first, in a process that has not loaded litellm.
BENCHMARKS = (
    "startup", "planner", "overhead", "ack", "notion_calls", "sustained", "task_index", "notifications",
    "llm", "baseline", "growth", "soak",
)
LLM_GROUP = ("llm", "baseline", "growth")  # these load litellm

# The keys results.json always has (the smoke test checks them), and the goals they are read against.
KEYS = (
    "overhead_p50_ms", "overhead_p99_ms", "overhead_by_flow", "ack_p99_ms_concurrent50",
    "llm_calls_per_request", "prompt_tokens_per_request", "llm_calls_per_click",
    "baseline_llm_calls_per_request", "baseline_prompt_tokens_per_request",
    "notion_calls_per_request_cold", "notion_calls_per_request_warm",
    "sustained_requests_per_s_notion_limited", "user_visible_errors",
    "help_seconds", "ready_seconds", "rss_mb", "prompt_tokens_growth",
)
GOALS: dict[str, tuple[str, float]] = {
    "overhead_p50_ms": ("<=", 5),
    "planner_p50_ms": ("<=", 5),
    "planner_model_load_s": ("<", 1),
    "overhead_p99_ms": ("<=", 25),
    "ack_p99_ms_concurrent50": ("<", 3000),  # Slack's and Discord's deadline
    "llm_calls_per_request": ("<=", 1),
    "llm_calls_per_click": ("<=", 0),
    "baseline_over_darcy_llm_calls": (">=", 3),
    "baseline_over_darcy_prompt_tokens": (">=", 3),
    "notion_calls_per_request_warm": ("<=", 2),
    "notify_tick_notion_requests_1000_people": ("<=", 1),  # the index's edited-since query
    "task_request_p50_ms_x100_minus_x1": ("<=", 2),
    "user_visible_errors": ("<=", 0),
    "help_seconds": ("<=", 0.5),
    "rss_mb": ("<=", 200),
    "rss_mb_llm": ("<=", 200),
    "prompt_tokens_growth_tasks_x100_over_x1": ("<=", 1.05),  # flat in tasks
    "soak_flows_completed_min": (">=", 0.9),  # `make soak` at its defaults: every kind of flow
    "soak_invariants_broken": ("<=", 0),
}
# Shown right after KEYS: the headline ratios and the figures that read against a goal.
HEADLINE = ("baseline_over_darcy_llm_calls", "baseline_over_darcy_prompt_tokens", "click_p50_ms",
            "click_p99_ms", "rss_mb_llm", "prompt_tokens_growth_tasks_x100_over_x1",
            "sustained_requests_per_s_task_list_each_request", "sustained_task_list_kept_over_each_request")
DETAILS = "all_messages_p50_ms"  # the first of the rest


async def run_all(names: list[str], mode: Mode, results: dict[str, Any], failed: list[str]) -> None:
    """The subprocess benchmarks (startup) first and alone, then the rest one by one.

    A smoke run overlaps instead: its figures mean nothing, and the test that runs it should
    be quick. The benchmarks that load litellm (seconds of import) run in a second process
    beside the others, and startup's subprocesses run meanwhile too."""
    import importlib

    background: list[Any] = []
    llm_group = [n for n in names if n in LLM_GROUP]
    if mode.smoke and llm_group and len(llm_group) < len(names):
        names = [n for n in names if n not in llm_group]
        background.append(asyncio.create_task(_in_child(llm_group, results, failed)))
    if "startup" in names:
        from bench import startup

        job = _timed("startup", lambda: asyncio.to_thread(startup.run, mode), results, failed)
        if mode.smoke:
            background.append(asyncio.create_task(job))
        else:
            await job
    for name in names:
        if name != "startup":
            module = importlib.import_module(f"bench.{name}")
            await _timed(name, lambda m=module: m.run(mode), results, failed)
    await asyncio.gather(*background)


async def _in_child(names: list[str], results: dict[str, Any], failed: list[str]) -> None:
    """`python -m bench --smoke --only NAMES` in another process; its figures join ours."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench", "--smoke", "--only", *names, "--out", str(out),
            cwd=ROOT, stdout=asyncio.subprocess.DEVNULL)
        if await child.wait() != 0:
            failed.extend(names)
        if out.exists():
            results.update(json.loads(out.read_text(encoding="utf-8")))


async def _timed(name: str, call: Callable[[], Any], results: dict[str, Any], failed: list[str]) -> None:
    began = time.perf_counter()
    print(f"… {name}", file=sys.stderr, flush=True)
    try:
        outcome = call()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        results.update(outcome)
    except Exception:
        failed.append(name)
        traceback.print_exc()
    print(f"  {name}: {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)


def derive(results: dict[str, Any]) -> None:
    """The headline ratios, from figures of different benchmarks."""
    pairs = (("baseline_over_darcy_llm_calls", "baseline_llm_calls_per_request", "llm_calls_per_request"),
             ("baseline_over_darcy_prompt_tokens", "baseline_prompt_tokens_per_request",
              "prompt_tokens_per_request"))
    for key, baseline, darcy in pairs:
        if baseline in results and results.get(darcy):
            results[key] = rounded(results[baseline] / results[darcy], 2)
    growth = results.get("prompt_tokens_growth") or {}
    if growth.get("x1") and "tasks_x100" in growth:
        results["prompt_tokens_growth_tasks_x100_over_x1"] = rounded(growth["tasks_x100"] / growth["x1"], 2)


def verdict(key: str, value: Any) -> str:
    if key not in GOALS or not isinstance(value, int | float):
        return ""
    op, goal = GOALS[key]
    ok = value <= goal if op == "<=" else value < goal if op == "<" else value >= goal
    return f"{op} {goal:g}  {'ok' if ok else 'MISS'}"


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []
    for key, value in results.items():
        if key == DETAILS:
            rows.append(("— details —", "", ""))
        if isinstance(value, dict):
            rows.append((key, "", ""))
            for sub, inner in value.items():
                if isinstance(inner, dict):
                    shown = "  ".join(f"{k}={_fmt(v)}" for k, v in inner.items())
                    rows.append((f"  {sub}", shown, ""))
                else:
                    rows.append((f"  {sub}", _fmt(inner), ""))
        else:
            rows.append((key, _fmt(value), verdict(key, value)))
    width = max(len(r[0]) for r in rows)
    value_width = min(max(len(r[1]) for r in rows), 16)
    lines = [f"{'figure':<{width}}  {'value':>{value_width}}  goal", "-" * (width + value_width + 20)]
    lines += [f"{k:<{width}}  {v:>{value_width}}  {g}".rstrip() for k, v, g in rows]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if not math.isnan(value) else "nan"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true",
                        help="one short iteration of every benchmark (fast; figures not meaningful)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument("--out", type=Path, help=f"where to write the results (default {RESULTS.name}; "
                                                 f"with --smoke, {SMOKE_RESULTS.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    mode = Mode(smoke=args.smoke)
    names = list(args.only or BENCHMARKS)
    out: Path = args.out or (SMOKE_RESULTS if args.smoke else RESULTS)

    quiet()
    began = time.perf_counter()
    results: dict[str, Any] = {}
    if args.only and not args.out and not args.smoke and RESULTS.exists():  # the rest of the last run
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
    failed: list[str] = []
    asyncio.run(run_all(names, mode, results, failed))
    derive(results)
    ordered = {key: results[key] for key in (*KEYS, *HEADLINE) if key in results}
    rest = {key: value for key, value in results.items() if key not in ordered}
    ordered |= dict(sorted(rest.items(), key=lambda item: item[0] != DETAILS))

    print(table(ordered))
    print(f"\n{'smoke run: figures not meaningful; ' if mode.smoke else ''}"
          f"{time.perf_counter() - began:.0f} s; written to {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")
    missing = [key for key in KEYS if key not in ordered] if not args.only else []
    if failed or missing:
        print(f"failed: {failed or 'none'}; missing keys: {missing or 'none'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
