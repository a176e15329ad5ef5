"""Usage as an operator sees it: every command's tokens, cost and Notion calls land in the
database; a person's daily AI budget holds across a restart; `darcy usage` reports it.

The real litellm plans against the loopback OpenAI-compatible rig, on a model litellm has a
price for, so costs are litellm's own."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog
from rigs.openai_server import OpenAIServer, tool_call

from bot.bootstrap import App, bootstrap
from core import observability
from core.config import Settings, load_settings
from core.messages import Confirm, HandleRequest
from integrations.llm.planner import BUDGET_NOTICE

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOT = Path(__file__).resolve().parents[2]
PRICED = "openai/gpt-4o-mini"  # in litellm's local cost map
EXPENSIVE = {"prompt_tokens": 100_000, "completion_tokens": 0}  # ≈ $0.015 at gpt-4o-mini's price
DAY = "2026-11-18"  # the demo workspace's "now"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rig() -> AsyncIterator[OpenAIServer]:
    async with OpenAIServer() as server:
        yield server


@pytest.fixture
def llm(rig: OpenAIServer) -> OpenAIServer:
    rig.reset()
    return rig


def settings(rig: OpenAIServer, database: Path) -> Settings:
    return load_settings(
        planner={"kind": "llm", "models": [PRICED], "api_base": rig.base_url, "daily_budget_usd": 0.01},
        database={"url": f"sqlite+aiosqlite:///{database}"},
    )


async def ask(app: App, user: str, words: str):  # -> Reply
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=words))


def darcy_usage(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "usage", "--config", str(config), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def row(output: str, key: str) -> list[str]:
    """The cells of the table row that starts with `key`."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│") if c.strip()]
        if cells and cells[0] == key:
            return cells
    raise AssertionError(f"no row {key!r} in:\n{output}")


async def test_usage_is_recorded_budgets_survive_a_restart_and_darcy_usage_reports_it(
    llm: OpenAIServer, tmp_path: Path
) -> None:
    database = tmp_path / "darcy.db"
    app = await bootstrap(settings(llm, database))
    try:
        llm.script(tool_call("whoami", {}, **EXPENSIVE))
        first = await ask(app, "dan", "who am I?")
        assert BUDGET_NOTICE not in first.text and llm.calls == 1

        llm.script(tool_call("create_task", {"title": "Order pizza", "project": "Hackathon 2026"},
                             prompt_tokens=900, completion_tokens=20))
        notion_before = len(app.emulator.request_log)
        asked = await ask(app, "alice", "add a task to order pizza for the hackathon")
        assert asked.decision == "confirm" and asked.pending_id
        click = Confirm(platform="terminal", pending_id=asked.pending_id, user_id="alice")
        done = await app.bus.execute(click)
        assert done.decision == "executed"
        alices_notion_calls = len(app.emulator.request_log) - notion_before  # what Notion saw
        assert alices_notion_calls >= 1

        over = await ask(app, "dan", "what's overdue?")  # dan spent his day's budget: offline, and told
        assert over.text.startswith(BUDGET_NOTICE) and llm.calls == 2
    finally:
        await app.aclose()

    restarted = await bootstrap(settings(llm, database))
    try:
        again = await ask(restarted, "dan", "what's overdue?")
        assert again.text.startswith(BUDGET_NOTICE) and llm.calls == 2  # the budget outlived the restart
        llm.script(tool_call("whoami", {}))
        other = await ask(restarted, "bob", "who am I?")  # another person still has the model
        assert BUDGET_NOTICE not in other.text and llm.calls == 3
    finally:
        await restarted.aclose()

    config = tmp_path / "darcy.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{database}"\n\n[planner]\ndaily_budget_usd = 0.01\n'
    )
    by_user = darcy_usage(config, "--since", "2026-11-01")
    assert by_user.returncode == 0, by_user.stderr
    out = by_user.stdout
    assert "daily budget $0.01 per person" in out
    # user: requests, clicks, model calls, prompt tokens, completion tokens, cost, Notion calls
    dan = row(out, "dan")
    assert dan[1:6] == ["3", "0", "1", "100,000", "0"]
    assert float(dan[6]) == pytest.approx(0.015, rel=0.01)
    alice = row(out, "alice")
    assert alice[1:6] == ["1", "1", "1", "900", "20"]  # the request and its click
    assert int(alice[7]) == alices_notion_calls
    assert row(out, "bob")[1:4] == ["1", "0", "1"]
    total = row(out, "total")
    assert total[1:4] == ["5", "1", "3"]

    by_day = darcy_usage(config, "--since", "2026-11-01", "--by", "day")
    assert by_day.returncode == 0, by_day.stderr
    assert row(by_day.stdout, DAY)[1:4] == ["5", "1", "3"]

    later = darcy_usage(config, "--since", "2026-11-19")
    assert "Nothing recorded in that time." in later.stdout


async def test_darcy_usage_refuses_a_since_or_by_it_cannot_read(tmp_path: Path) -> None:
    config = tmp_path / "darcy.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "darcy.db"}"\n')

    bad_since = darcy_usage(config, "--since", "last tuesday-ish")
    assert bad_since.returncode == 2
    assert "--since 'last tuesday-ish' is not a date" in bad_since.stderr

    bad_by = darcy_usage(config, "--by", "model")
    assert bad_by.returncode == 2 and "--by 'model': say user or day" in bad_by.stderr
    assert not (tmp_path / "darcy.db").exists()  # nothing was created for a refused command


async def test_the_planner_span_and_the_request_line_carry_model_tokens_and_cost(
    llm: OpenAIServer, tmp_path: Path
) -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory, out = InMemorySpanExporter(), io.StringIO()
    root = logging.getLogger()
    saved, handlers, level = structlog.get_config(), list(root.handlers), root.level
    observability.configure_logging("info", json=True, stream=out)
    observability.configure_tracing(memory)
    app = await bootstrap(settings(llm, tmp_path / "darcy.db"))
    try:
        llm.script(tool_call("whoami", "{", prompt_tokens=1_000, completion_tokens=5),  # then repaired
                   tool_call("whoami", {}, prompt_tokens=1_200, completion_tokens=7))
        await ask(app, "carol", "who am I?")
    finally:
        await app.aclose()
        observability.shutdown_tracing()
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)
    logged = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]

    spans = memory.get_finished_spans()
    planner = next(s for s in spans if s.name == "darcy.planner")
    assert planner.attributes["gen_ai.request.model"] == PRICED
    assert planner.attributes["llm.calls"] == 2
    assert planner.attributes["gen_ai.usage.input_tokens"] == 2_200
    assert planner.attributes["gen_ai.usage.output_tokens"] == 12
    assert planner.attributes["llm.cost_usd"] > 0
    calls = [s for s in spans if s.name == "llm.completion"]
    assert [c.attributes["gen_ai.usage.input_tokens"] for c in calls] == [1_000, 1_200]
    assert all(c.parent.span_id == planner.context.span_id for c in calls)

    handled = next(line for line in logged if line["event"] == "request handled")
    assert (handled["llm_calls"], handled["prompt_tokens"], handled["completion_tokens"]) == (2, 2_200, 12)
    assert handled["model"] == PRICED and handled["cost_usd"] == planner.attributes["llm.cost_usd"]


async def test_usage_older_than_the_kept_days_is_deleted_at_start(tmp_path: Path) -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from core.usage import UsageEntry
    from integrations.db.database import Database
    from integrations.db.usage import SqlUsageLedger

    url = f"sqlite+aiosqlite:///{tmp_path / 'darcy.db'}"
    db = Database(url)
    await db.create_schema()
    ledger = SqlUsageLedger(db)
    for day in (date(2026, 9, 1), date(2026, 11, 1)):  # 78 and 17 days before the demo's "now"
        at = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("Australia/Melbourne"))
        await ledger.record(UsageEntry(at=at, day=day, correlation_id="c", command="HandleRequest",
                                       platform="terminal", user_id="dan", person="dan", cost_usd=0.01))
    await ledger.close()
    await db.close()

    app = await bootstrap(load_settings(database={"url": url, "usage_keep_days": 30}))
    try:
        lines = await app.usage.report(date(2026, 1, 1), "day")
    finally:
        await app.aclose()
    assert [line.key for line in lines] == ["2026-11-01"]
