"""What every benchmark shares: paths, settings, statistics, the four demo flows, and a way
to put the embedded Notion workspace back as it was between iterations."""

from __future__ import annotations

import copy
import io
import json
import os
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "eval" / "public.jsonl"
DEMO_WORKSPACE = ROOT / "config" / "demo-workspace.json"
BIN = Path(sys.executable).parent
LLM_MODEL = "openai/bench-model"  # any name: the loopback server answers whatever is asked


def use_rigs() -> None:
    """The loopback rigs (OpenAI-compatible server, Slack Web API) live with the tests."""
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)


def quiet() -> None:
    """Logs to stderr at error level only: a benchmark's output is its table."""
    from core.observability import configure_logging

    configure_logging("error", json=True)


@dataclass(frozen=True)
class Mode:
    """How much to run: `smoke` is one iteration of everything with tiny durations."""

    smoke: bool = False

    def n(self, full: int, smoke: int = 1) -> int:
        return smoke if self.smoke else full


# ---- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def rounded(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


# ---- the workspace and the corpus ----------------------------------------------------------


@cache
def demo_workspace() -> dict[str, Any]:
    return json.loads(DEMO_WORKSPACE.read_text(encoding="utf-8"))


def workspace_now(workspace: dict[str, Any] | None = None) -> datetime:
    workspace = workspace or demo_workspace()
    return datetime.fromisoformat(workspace["now"]).astimezone(ZoneInfo(workspace["timezone"]))


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def expected(case: dict[str, Any]) -> dict[str, Any]:
    expect = case["expect"]
    return expect["any_of"][0] if "any_of" in expect else expect


def settings(*, planner: str = "offline", api_base: str | None = None, seed: Path | None = None) -> Any:
    """The default (embedded demo) settings, with the planner and workspace asked for; no
    per-person limits (a benchmark is one person sending as fast as it can, on purpose)."""
    from core.config import LimitSettings, PlannerSettings, load_settings

    base = load_settings()
    update: dict[str, Any] = {"limits": LimitSettings(requests_per_minute=0, open_confirmations=0)}
    if planner == "llm":
        update["planner"] = PlannerSettings(kind="llm", models=[LLM_MODEL], api_base=api_base,
                                            timeout_seconds=10)
    if seed is not None:
        update["workspace"] = base.workspace.model_copy(update={"seed": seed})
    return base.model_copy(update=update)


# ---- the four flows of the demo (docs/architecture.md) ----------------------------------------------

# name → (terminal user, what they type: a request, then the answers to its questions)
FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "view": ("carol", ("show me Carol's tasks in Hackathon 2026",)),
    "create": ("carol", ("assign Book photographer to Hiro due Friday in Industry Night", "y")),
    "finish": ("dan", ("I've finished sending out the forms", "1", "y")),
    "link": ("zoe", ("show me my tasks", "zoe.martin@club.example", "y")),
}
STEP_NAMES: dict[str, tuple[str, ...]] = {
    "view": ("request",),
    "create": ("request", "confirm"),
    "finish": ("request", "choose", "confirm"),
    "link": ("request", "email", "confirm"),
}


class NullFile(io.TextIOBase):
    """A console's file that keeps nothing: rendering is paid for, output is dropped."""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        return len(s)


def null_console() -> Any:
    from rich.console import Console

    return Console(file=NullFile(), width=120, color_system=None, force_terminal=False)


class Snapshot:
    """The embedded Notion workspace, the links, the conversations and the task index as they
    were, to be put back between iterations so every iteration of a flow sees the same workspace."""

    def __init__(self, app: Any) -> None:
        self.app = app
        state = app.emulator.state
        self.pages = copy.deepcopy(state.pages)
        self.comments = copy.deepcopy(state.comments)

    async def restore(self, unlink: Iterable[tuple[str, str]] = ()) -> None:
        state = self.app.emulator.state
        state.pages.clear()
        state.pages.update(copy.deepcopy(self.pages))
        state.comments.clear()
        state.comments.update(copy.deepcopy(self.comments))
        for platform, user in unlink:
            await self.app.db.identity.unlink(platform, user)
        # Every conversation forgotten (the rows deleted, wherever they are kept).
        await self.app.deps.conversations.store.forget_expired(self.app.clock() + timedelta(days=3650))
        if self.app.index is not None:  # the pages were put back behind Notion's edit times
            await self.app.index.rebuild()


def notion_requests(app: Any) -> int:
    """Requests the embedded Notion server has received so far."""
    return len(app.emulator.request_log)


def frozen(now: datetime) -> Any:
    return lambda: now
