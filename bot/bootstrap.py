"""The composition root: builds one Darcy (bus, handlers, dependencies) from settings.

The one module that wires core to the integrations (Notion, the database, the LLM, MCP),
above the layers. Tests build a whole app in one call, swapping any dependency by keyword.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from core import observability
from core.bus import MessageBus
from core.config import ConfigError, Person, Settings, seed_people
from core.conversation import Conversations
from core.directory import Directory
from core.gate import Gate
from core.handlers import guarded, remembering
from core.handlers.click import ClickHandler
from core.handlers.deps import Deps
from core.handlers.notices import NoticeSettings
from core.handlers.replies import Responder
from core.handlers.request import RequestHandler
from core.identity import LinkRequest, Proof, RequestKind
from core.limits import PersonLimiter
from core.linking import Linking
from core.messages import ActionExecuted, Cancel, Choose, Command, Confirm, HandleRequest, NoticeClick
from core.notify.service import NotificationService
from core.observability.traced import TracedGate, TracedPending, TracedPlanner, TracedTaskStore
from core.planner import Planner
from core.ports import SeenEvents, TaskStore
from core.recovery import recover_interrupted
from core.registry import ToolRegistry
from core.replies import Reply
from core.usage import UsageRecorder
from integrations.db.database import Database
from integrations.db.notices import SqlNoticeLedger
from integrations.db.usage import SqlUsageLedger

log = structlog.get_logger("darcy.bootstrap")
MEMORY_DB = "sqlite+aiosqlite://"


@dataclass
class App:
    settings: Settings
    bus: MessageBus
    deps: Deps
    requests: RequestHandler
    clicks: ClickHandler
    store: TaskStore
    db: Database
    usage: SqlUsageLedger
    workspace: dict[str, Any]
    clock: Callable[[], datetime]
    closers: list[Callable[[], Any]] = field(default_factory=list)
    emulator: Any = None  # the embedded Notion-compatible server, when there is one
    seen_events: SeenEvents | None = None  # event ids replicas share (Slack's retries)
    index: Any = None  # the task index (integrations/notion/index.py), when Notion is the store
    notifications: NotificationService | None = None  # what Darcy sends unasked (core/notify)

    async def recover(self, older_than: timedelta = timedelta(minutes=1)) -> list[str]:
        """Settle actions a crash left between the click and the write (core/recovery.py)."""
        deps = self.deps
        return await recover_interrupted(
            deps.pending, deps.audit, deps.registry, deps.ports, self.clock, older_than=older_than
        )

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
    return DemoClock(datetime.fromisoformat(start).astimezone(tz))


class DemoClock:
    """A demo's clock: starts at the seed's "now" and runs; `/tick 1d` in the terminal moves it on."""

    def __init__(self, origin: datetime) -> None:
        self.origin, self.began = origin, time.monotonic()

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=time.monotonic() - self.began)

    def advance(self, **delta: float) -> None:
        self.origin += timedelta(**delta)


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
    if emulator is not None and not settings.identity.signin_page_id:  # the demo's own sign-in page
        identity = settings.identity.model_copy(update={"signin_page_id": emulator.signin_page_id})
        settings = settings.model_copy(update={"identity": identity})

    url = settings.database.url
    if settings.notion.embedded and "database" not in settings.model_fields_set:
        url = MEMORY_DB  # the embedded workspace lives in memory: so do its links
    db = Database(url)
    await db.create_schema()
    closers.append(db.close)
    ledger = SqlUsageLedger(db)
    closers.append(ledger.close)  # runs before db.close: closers run last first

    people = [*settings.people, *(seed_people(workspace) if settings.workspace.people_from_seed else [])]
    clock = clock or make_clock(settings, workspace)
    await _apply_admin_links(db, store, people, clock)
    keep = timedelta(days=settings.database.usage_keep_days)
    if forgotten := await ledger.forget_before(clock().date() - keep):
        log.info("usage_rows_forgotten", rows=forgotten, keep_days=settings.database.usage_keep_days)
    registry = await _tools(settings, closers)
    if planner is None:
        from integrations.llm.planner import build_planner  # litellm itself loads on first use

        planner = build_planner(settings, tools=registry.specs, usage=ledger)
    warming = asyncio.create_task(planner.warm_up())  # litellm's ≈5 s import, off the first message

    async def stop_warming() -> None:
        warming.cancel()

    closers.append(stop_warming)
    observability.protect(settings)
    bus = MessageBus()
    bus.add_middleware(PersonLimiter(settings.limits))  # outermost: a flood costs nothing further
    bus.add_middleware(UsageRecorder(ledger, clock))  # every command admitted is metered
    observability.subscribe(bus)  # the request's log context and root span, inside the meter
    index, store_for_core = _task_index(settings, store, db, closers)
    traced_store = TracedTaskStore(store_for_core)  # a cached read shows as a span of ~0 ms
    directory = Directory(traced_store, people, task_names_seconds=settings.notion.task_names_seconds,
                          index=index)
    gate = Gate(directory, settings, db.identity, db.audit, clock, registry)
    linking = Linking(
        settings,
        db.identity,
        db.codes,
        db.link_requests,
        directory,
        traced_store,
        clock,
    )
    closers.append(linking.settle)  # a code's comment being sent is finished before Notion closes
    deps = Deps(
        settings=settings,
        store=traced_store,
        directory=directory,
        gate=TracedGate(gate),
        planner=TracedPlanner(planner),
        identity=db.identity,
        pending=TracedPending(db.pending),
        audit=db.audit,
        bus=bus,
        clock=clock,
        conversations=Conversations(db.conversations),  # in the database, which replicas share
        linking=linking,
    )
    sweeping = asyncio.create_task(deps.conversations.sweep(clock))  # expired rows, off any message

    async def stop_sweeping() -> None:
        sweeping.cancel()
        await asyncio.gather(sweeping, return_exceptions=True)

    closers.append(stop_sweeping)
    responder = Responder(deps)
    requests = RequestHandler(deps, responder)
    clicks = ClickHandler(deps, responder, requests)
    command_handlers: dict[type[Command], Callable[[Any], Awaitable[Reply]]] = {
        HandleRequest: requests.handle,
        Confirm: clicks.confirm,
        Cancel: clicks.cancel,
        Choose: clicks.choose,
    }
    notifications = NotificationService(deps, SqlNoticeLedger(db))
    command_handlers[NoticeClick] = notifications.click
    # "remind me at 8:30", "no more reminders": notification settings, before the planner
    command_handlers[HandleRequest] = NoticeSettings(deps, notifications, requests.handle).handle
    bus.subscribe(ActionExecuted, notifications.on_executed)  # Darcy's own writes: who assigned
    for command, handler in command_handlers.items():
        bus.handle_command(command, guarded(remembering(deps, handler)))
    app = App(
        settings=settings,
        bus=bus,
        deps=deps,
        requests=requests,
        clicks=clicks,
        store=store,
        db=db,
        usage=ledger,
        workspace=workspace,
        clock=clock,
        closers=closers,
        emulator=emulator,
        seen_events=db.seen_events,
        index=index,
        notifications=notifications,
    )
    await app.recover()
    return app


def _task_index(
    settings: Settings, store: TaskStore, db: Database, closers: list[Callable[[], Any]]
) -> tuple[Any, TaskStore]:
    """The task index over Notion and the database (issue #19), and the store that applies
    Darcy's own writes to it; none for a store that is not Notion (a test's fake)."""
    from integrations.notion.index import build_index
    from integrations.notion.store import NotionTaskStore

    if not settings.notion.index or not isinstance(store, NotionTaskStore):
        return None, store
    index, indexed = build_index(settings.notion, store, db)
    closers.append(index.aclose)
    return index, indexed


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


async def _apply_admin_links(
    db: Database, store: TaskStore, people: list[Person], clock: Callable[[], datetime]
) -> None:
    """Chat ids the admin config maps to a Notion user (by e-mail) are linked at start, and
    win over any other link: a link they replace is reported to admins (the log, and
    `darcy links --pending`), never skipped in silence."""
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
    reported = {
        (r.platform, r.platform_user_id, r.notion_user_id, r.reason) for r in await db.link_requests.pending()
    }
    for lost in await db.identity.link_many(links, via=Proof.CONFIG):
        if lost.via == Proof.CONFIG:
            reason = "refused: an earlier [[people]] entry maps another account on that platform to it"
        else:
            reason = f"unlinked: a [[people]] mapping gives that Notion user to another account ({lost.via})"
        log.warning("config_link_conflict", platform=lost.platform, platform_user_id=lost.platform_user_id,
                    notion_user_id=lost.notion_user_id, via=lost.via, reason=reason)
        if (lost.platform, lost.platform_user_id, lost.notion_user_id, reason) in reported:
            continue  # a restart: reported already, still waiting for an admin
        await db.link_requests.add(
            LinkRequest(
                kind=RequestKind.CONFLICT,
                platform=lost.platform,
                platform_user_id=lost.platform_user_id,
                notion_user_id=lost.notion_user_id,
                reason=reason,
                created_at=clock(),
            )
        )


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
