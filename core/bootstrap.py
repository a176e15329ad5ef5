"""The composition root: builds one Darcy (bus, handlers, dependencies) from settings.

Tests build a whole app in one call, swapping any dependency by keyword.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from core import observability
from core.bus import MessageBus
from core.config import ConfigError, Person, Settings, seed_people
from core.directory import Directory
from core.gate import Gate
from core.planner import Planner
from core.ports import SeenEvents, TaskStore
from core.recovery import recover_interrupted
from core.registry import ToolRegistry
from core.service import Darcy
from core.usage import UsageRecorder
from integrations.db.repository import Database
from integrations.db.usage import SqlUsageLedger

log = structlog.get_logger("darcy.bootstrap")
MEMORY_DB = "sqlite+aiosqlite://"


@dataclass
class App:
    settings: Settings
    bus: MessageBus
    darcy: Darcy
    store: TaskStore
    db: Database
    usage: SqlUsageLedger
    workspace: dict[str, Any]
    clock: Callable[[], datetime]
    closers: list[Callable[[], Any]] = field(default_factory=list)
    emulator: Any = None  # the embedded Notion-compatible server, when there is one
    seen_events: SeenEvents | None = None  # event ids replicas share (Slack's retries)

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            await close()


def load_workspace(settings: Settings) -> dict[str, Any]:
    path = settings.workspace.seed
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"workspace.seed: no such file {path}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"workspace.seed: {path} is not valid JSON: {exc}") from exc


def make_clock(settings: Settings, workspace: dict[str, Any]) -> Callable[[], datetime]:
    """The workspace clock. A fixed "now" (config, or the embedded seed's) starts time
    there and lets it run, so demos match the seed's dates and confirmations still expire."""
    tz = ZoneInfo(settings.workspace.timezone)
    start = settings.workspace.now or (workspace.get("now") if settings.notion.embedded else None)
    if not start:
        return lambda: datetime.now(tz)
    origin = datetime.fromisoformat(start).astimezone(tz)
    began = time.monotonic()
    return lambda: origin + timedelta(seconds=time.monotonic() - began)


async def bootstrap(
    settings: Settings,
    *,
    planner: Planner | None = None,
    store: TaskStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> App:
    workspace = load_workspace(settings)
    closers: list[Callable[[], Any]] = []
    emulator = None
    if store is None:
        store, emulator, close_store = await _connect_store(settings, workspace)
        closers.append(close_store)

    url = settings.database.url
    if settings.notion.embedded and "database" not in settings.model_fields_set:
        url = MEMORY_DB  # the embedded workspace lives in memory: so do its links
    db = Database(url)
    await db.create_schema()
    closers.append(db.close)
    ledger = SqlUsageLedger(db)
    closers.append(ledger.close)  # runs before db.close: closers run last first

    people = [*settings.people, *(seed_people(workspace) if settings.workspace.people_from_seed else [])]
    await _apply_admin_links(db, store, people)
    clock = clock or make_clock(settings, workspace)
    keep = timedelta(days=settings.database.usage_keep_days)
    if forgotten := await ledger.forget_before(clock().date() - keep):
        log.info("usage_rows_forgotten", rows=forgotten, keep_days=settings.database.usage_keep_days)
    registry = await _tools(settings, closers)
    if planner is None:
        from integrations.llm.planner import build_planner  # litellm itself loads on first use

        planner = build_planner(settings, tools=registry.specs, usage=ledger)
    if (warm_up := getattr(planner, "warm_up", None)) is not None:
        warming = asyncio.create_task(warm_up())  # litellm's ≈5 s import, off the first message

        async def stop_warming() -> None:
            warming.cancel()

        closers.append(stop_warming)
    bus = MessageBus()
    bus.add_middleware(UsageRecorder(ledger, clock))  # outermost: every command is metered
    directory = Directory(store, people, task_names_seconds=settings.notion.task_names_seconds)
    gate = Gate(directory, settings, db.identity, db.audit, clock, registry)
    darcy = Darcy(
        settings=settings,
        store=store,
        directory=directory,
        gate=gate,
        planner=planner,
        identity=db.identity,
        pending=db.pending,
        audit=db.audit,
        bus=bus,
        clock=clock,
    )
    darcy.register(bus)
    observability.subscribe(bus)
    app = App(
        settings=settings,
        bus=bus,
        darcy=darcy,
        store=store,
        db=db,
        usage=ledger,
        workspace=workspace,
        clock=clock,
        closers=closers,
        emulator=emulator,
        seen_events=db.seen_events,
    )
    observability.instrument(app)  # spans and log context for the planner, gate, reply, store
    await recover_interrupted(darcy)
    return app


async def _tools(settings: Settings, closers: list[Callable[[], Any]]) -> ToolRegistry:
    """The built-in tools, the config's plugins and its MCP servers' tools. A plugin or
    server that fails is reported (registry.problems) and Darcy starts without it."""
    registry = ToolRegistry(rules=settings.tools)
    registry.load_plugins(settings.extensions)
    if settings.mcp:
        from integrations.mcp import connect_servers

        for server in await connect_servers(settings.mcp, registry):
            closers.append(server.aclose)
    return registry


async def _apply_admin_links(db: Database, store: TaskStore, people: list[Person]) -> None:
    """Chat ids the admin config maps to a Notion user (by e-mail) are linked at start."""
    by_email = {(email or "").casefold(): user_id for user_id, _, email in await store.list_users()}
    links = [
        (platform, chat_id, by_email[person.email.casefold()])
        for person in people
        if person.link and person.email.casefold() in by_email
        for platform, chat_id in (
            ("discord", person.discord_id),
            ("slack", person.slack_id),
            ("terminal", person.terminal_id),
        )
        if chat_id
    ]
    await db.identity.link_many(links, via="config")


async def _connect_store(settings: Settings, workspace: dict[str, Any]) -> tuple[TaskStore, Any, Any]:
    from integrations.notion.store import NotionTaskStore, start_embedded

    notion = settings.notion
    if notion.embedded:
        emulator, store = await start_embedded(workspace, notion, timezone=settings.workspace.timezone)

        async def close() -> None:
            await store.aclose()
            await emulator.stop()

        return store, emulator, close
    token = notion.token()
    if not token:
        raise ConfigError(f"notion.token_env: the environment variable {notion.token_env} is not set")
    if not (notion.tasks_data_source_id and notion.projects_data_source_id):
        raise ConfigError("notion.tasks_data_source_id and notion.projects_data_source_id must be set")
    store = NotionTaskStore.connect(
        notion,
        base_url=notion.base_url or "https://api.notion.com",
        token=token,
        tasks_data_source_id=notion.tasks_data_source_id,
        projects_data_source_id=notion.projects_data_source_id,
        timezone=settings.workspace.timezone,
    )
    return store, None, store.aclose
