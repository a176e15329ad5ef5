"""`darcy run` as a service (bot/runner.py): health endpoints, and a graceful stop on SIGTERM
that finishes the request in flight, refuses new ones and keeps pending actions in the database.

Adapters here are stand-ins with the real runners' shape (`async def run(app, settings)`,
running until cancelled) that feed commands to the bus as an adapter does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog

from bot import runner
from bot.bootstrap import App, bootstrap
from bot.runner import RESTARTING, AdapterFailed, Service, configured_runners, serve
from core.config import load_settings
from core.messages import Confirm, HandleRequest
from core.pending import PendingState
from core.planner import Planner
from core.planner.offline import OfflinePlanner
from integrations.db.database import Database

ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"


class HeldPlanner(Planner):
    """The offline planner, held at the door until the test lets the request through."""

    def __init__(self) -> None:
        self.inner = OfflinePlanner()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def plan(self, text: str, ctx: Any) -> Any:
        self.entered.set()
        await self.release.wait()
        return await self.inner.plan(text, ctx)


class FakeAdapter:
    """Turns one incoming message into a command in its own task, like discord.py and bolt do,
    and notes what it would have sent back."""

    def __init__(self, message: str | None = ASSIGN) -> None:
        self.message = message
        self.sent: list[Any] = []
        self.events: list[str] = []

    async def __call__(self, app: App, settings: Any) -> None:
        self.events.append("started")
        if self.message:
            asyncio.get_running_loop().create_task(self.handle(app, self.message))
        try:
            await asyncio.Event().wait()
        finally:
            self.events.append("stopped")

    async def handle(self, app: App, text: str) -> None:
        reply = await app.bus.execute(HandleRequest(platform="terminal", user_id="carol", text=text))
        self.sent.append(reply)
        self.events.append("replied")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'darcy.db'}"


@pytest.fixture
async def held(db_url: str, clock) -> AsyncIterator[tuple[App, HeldPlanner]]:
    planner = HeldPlanner()
    app = await bootstrap(load_settings(database={"url": db_url}), planner=planner, clock=clock)
    try:
        yield app, planner
    finally:
        await app.aclose()


async def get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as answer:
        return answer.status, await answer.json()


async def test_health_and_readiness(app: App) -> None:
    running = Service(
        app, runners={}, health_port=0, host="127.0.0.1", notion_check_every=0, check_timeout=0.5
    )
    await running.start()
    try:
        assert running.port
        assert await get(running.port, "/healthz") == (200, {"status": "ok"})
        assert await get(running.port, "/readyz") == (
            200,
            {"status": "ready", "checks": {"database": "ok", "notion": "ok"}},
        )
        database, app.db = app.db, Database("postgresql+asyncpg://darcy:hunter2-secret@127.0.0.1:1/darcy")
        try:
            status, body = await get(running.port, "/readyz")  # the database is unreachable
        finally:
            await app.db.close()
            app.db = database
        assert status == 503 and body["checks"]["database"] != "ok" and body["checks"]["notion"] == "ok"
        assert "hunter2-secret" not in str(body)
        await app.emulator.stop()  # Notion goes away
        status, body = await get(running.port, "/readyz")
        assert status == 503 and body["checks"]["database"] == "ok"
        assert body["checks"]["notion"] != "ok"  # "timed out", or "could not reach Notion" sooner
        assert await get(running.port, "/healthz") == (200, {"status": "ok"})  # alive all along
    finally:
        await running.shutdown()


async def test_sigterm_finishes_the_request_in_flight_and_keeps_the_pending_action(
    held: tuple[App, HeldPlanner], db_url: str, clock
) -> None:
    app, planner = held
    adapter = FakeAdapter()
    serving = asyncio.create_task(serve(app, runners={"fake": adapter}, health_port=None, grace_seconds=5))
    await asyncio.wait_for(planner.entered.wait(), 5)  # a request is in flight
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
    os.kill(os.getpid(), signal.SIGTERM)  # what `docker stop` sends
    await asyncio.sleep(0.05)
    refused = await app.bus.execute(HandleRequest(platform="terminal", user_id="dan", text="what's overdue?"))
    assert refused.text == RESTARTING  # no new work once stopping
    assert not serving.done()  # still waiting for the one in flight
    planner.release.set()
    await asyncio.wait_for(serving, 5)
    assert adapter.events == ["started", "replied", "stopped"]  # the reply left before the adapter stopped
    (reply,) = adapter.sent
    assert reply.decision == "confirm" and reply.pending_id
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers removed on the way out

    # The confirmation survives the restart: a new process on the same database executes it.
    action = await app.db.pending.get(reply.pending_id)
    assert action is not None and action.state is PendingState.PENDING
    restarted = await bootstrap(load_settings(database={"url": db_url}), clock=clock)
    try:
        done = await restarted.bus.execute(
            Confirm(platform="terminal", user_id="carol", pending_id=reply.pending_id)
        )
        assert done.decision == "executed", done.text
        assert restarted.emulator.task_by_title("Book photographer") is not None
    finally:
        await restarted.aclose()


async def test_the_wait_for_requests_in_flight_is_bounded(held: tuple[App, HeldPlanner]) -> None:
    app, planner = held
    stop = asyncio.Event()
    adapter = FakeAdapter()
    serving = asyncio.create_task(
        serve(app, runners={"fake": adapter}, health_port=None, grace_seconds=0.2, stop=stop)
    )
    await asyncio.wait_for(planner.entered.wait(), 5)
    stop.set()
    await asyncio.wait_for(serving, 3)  # the planner never answers: the service stops anyway
    assert adapter.events == ["started", "stopped"]
    planner.release.set()


async def test_an_adapter_that_crashes_stops_the_service(app: App) -> None:
    async def broken(app: App, settings: Any) -> None:
        raise ConnectionError("gateway refused xoxb-1234567890-abcdefghijklmnop")

    other = FakeAdapter(message=None)
    with pytest.raises(AdapterFailed, match=r"the broken adapter failed: gateway refused \[redacted\]"):
        await asyncio.wait_for(serve(app, runners={"broken": broken, "other": other}, health_port=None), 5)
    assert other.events == ["started", "stopped"]


async def test_the_service_builds_the_task_index_before_anyone_asks(app: App) -> None:
    running = Service(app, runners={"quiet": FakeAdapter(message=None)}, health_port=None)
    await running.start()
    try:
        for _ in range(100):
            if app.index.read_at() != float("-inf"):
                break
            await asyncio.sleep(0.05)
        board = f"/v1/data_sources/{app.emulator.tasks_data_source_id}/query"

        def board_reads() -> int:
            return sum(path == board for _, path in app.emulator.request_log)

        assert board_reads() == 1  # the first sync, with nobody asking
        reply = await app.bus.execute(HandleRequest(platform="terminal", user_id="carol",
                                                    text="move Confirm venue booking to Friday"))
        assert reply.decision == "confirm" and board_reads() == 1  # named from the index
    finally:
        await running.shutdown()


def test_adapters_are_chosen_by_their_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert configured_runners(load_settings()) == {}
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    runners = configured_runners(load_settings())
    assert list(runners) == ["slack"] and runners["slack"].__name__ == "run_slack"


async def test_run_without_an_adapter_explains_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert await runner.run(load_settings(), health_port=0) == 2
    said = capsys.readouterr().err
    assert "no chat adapter is configured: set DISCORD_TOKEN (Discord) or SLACK_BOT_TOKEN" in said


@pytest.fixture
def restore_logging() -> Any:
    """`run` configures logging for a service: put back what the rest of the suite had."""
    root = logging.getLogger()
    saved, handlers, level = structlog.get_config(), list(root.handlers), root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
