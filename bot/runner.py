"""`darcy run`: the configured chat adapters in one process, as a service.

- Adapters are runners, `async def run_x(app, settings) -> None`, that run until cancelled.
  `configured_runners` finds them lazily (importlib) for the platforms whose token is set:
  Discord (`bot.discord.run_discord`) and Slack (`bot.slack.run_slack`).
- `/healthz` answers 200 while the process is alive; `/readyz` answers 200 when the database
  and Notion answer (503 otherwise, and while stopping), for load balancers and orchestrators.
- SIGTERM or SIGINT: stop accepting (new commands get a "restarting, try again" reply and
  /readyz turns 503), let the requests in flight finish (at most `grace_seconds`), then stop the
  adapters. Pending confirmations are in the database: they still work after a restart or on
  another replica. A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web

from core import observability
from core.messages import Command
from core.replies import Reply

if TYPE_CHECKING:
    from bot.bootstrap import App
    from core.config import Settings

log = structlog.get_logger("darcy.runner")

Runner = Callable[["App", "Settings"], Awaitable[None]]
ADAPTERS = {"discord": ("bot.discord", "run_discord"), "slack": ("bot.slack", "run_slack")}
DEFAULT_HEALTH_PORT = 8080
# Under `docker stop`'s 10 s (and Kubernetes' 30 s) before the process is killed.
DEFAULT_GRACE_SECONDS = 8.0
SETTLE_SECONDS = 0.5  # after the last answer, before the adapters disconnect
RESTARTING = "I'm restarting right now. Please try again in a minute. Nothing was changed."


class AdapterFailed(RuntimeError):
    """An adapter crashed or stopped by itself: the service stopped so it can be restarted."""


def configured_runners(settings: Settings) -> dict[str, Runner]:
    """The adapters whose token is set in the environment, imported only then."""
    wanted = []
    if settings.discord.token():
        wanted.append("discord")
    if settings.slack.bot_token():
        wanted.append("slack")
    return {name: load_runner(name) for name in wanted}


def load_runner(name: str) -> Runner:
    module, attribute = ADAPTERS[name]
    return getattr(importlib.import_module(module), attribute)


class Service:
    """One Darcy's adapters, health endpoints and graceful stop. `serve` is the usual way in;
    tests drive `start`, `stop` and `wait` directly."""

    def __init__(
        self,
        app: App,
        *,
        runners: Mapping[str, Runner],
        health_port: int | None = DEFAULT_HEALTH_PORT,
        host: str = "0.0.0.0",
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        check_timeout: float = 3.0,
        notion_check_every: float = 15.0,
    ) -> None:
        self.app, self.runners = app, dict(runners)
        self.health_port, self.host = health_port, host
        self.grace_seconds, self.check_timeout = grace_seconds, check_timeout
        self.notion_check_every = notion_check_every
        self.port: int | None = None  # the health port actually bound (health_port=0: any free one)
        self.draining = False
        self.inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stop = asyncio.Event()
        self._force = False
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._failure: BaseException | None = None
        self._health: web.AppRunner | None = None
        self._notion_ok_at = float("-inf")
        self._last_answer = float("-inf")  # when a command last returned

    # ---- admission: bus middleware --------------------------------------------------------

    async def admit(self, command: Command, call_next: Callable[[], Awaitable[Any]]) -> Any:
        if self.draining:
            log.info("refused while stopping", command=type(command).__name__)
            return Reply(text=RESTARTING, decision="error", private=True)
        self.inflight += 1
        self._idle.clear()
        try:
            return await call_next()
        finally:
            self.inflight -= 1
            self._last_answer = time.monotonic()
            if self.inflight == 0:
                self._idle.set()

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.app.bus.add_middleware(self.admit)
        if self.health_port is not None:
            await self._start_health()
        for name, runner in self.runners.items():
            task = asyncio.create_task(runner(self.app, self.app.settings), name=f"darcy-adapter-{name}")
            task.add_done_callback(lambda done, name=name: self._adapter_done(name, done))
            self._tasks[name] = task
        if self.app.index is not None and self.runners:  # built and followed before anyone asks
            self._tasks["index"] = asyncio.create_task(self.app.index.follow(), name="darcy-task-index")
        notices = self.app.notifications
        if notices is not None and self.app.settings.notifications.enabled and self.runners:
            from core.notify.service import run_ticks

            every = self.app.settings.notifications.tick_seconds
            ticking = run_ticks(notices, every)
            self._tasks["notifications"] = asyncio.create_task(ticking, name="darcy-notices")
        log.info("darcy running", adapters=sorted(self.runners), health_port=self.port)

    def _adapter_done(self, name: str, task: asyncio.Task[None]) -> None:
        if self._stop.is_set() or task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("adapter failed", adapter=name, exc_info=error)
            self._failure = AdapterFailed(f"the {name} adapter failed: {observability.redact(str(error))}")
        else:
            log.error("adapter stopped by itself", adapter=name)
            self._failure = AdapterFailed(f"the {name} adapter stopped")
        self.stop(f"{name} adapter ended")

    def stop(self, reason: str = "stop requested") -> None:
        """Begin a graceful stop (idempotent); a second call while stopping skips the wait."""
        if self._stop.is_set():
            if not self._force:
                log.warning("stopping now, without waiting", reason=reason)
            self._force = True
            self._idle.set()
            return
        log.info("stopping", reason=reason, in_flight=self.inflight)
        self.draining = True
        self._stop.set()

    async def wait(self) -> None:
        """Until a stop is requested; then drain and shut down. Raises AdapterFailed if an
        adapter ended the service."""
        await self._stop.wait()
        await self.shutdown()
        if self._failure is not None:
            raise self._failure

    async def shutdown(self) -> None:
        self.draining = True
        self._stop.set()
        started = time.monotonic()
        if self.inflight and not self._force:
            log.info("waiting for requests in flight", in_flight=self.inflight, grace=self.grace_seconds)
            try:
                await asyncio.wait_for(self._idle.wait(), self.grace_seconds)
            except TimeoutError:
                log.warning("requests still in flight at the deadline", in_flight=self.inflight)
        # An adapter sends the reply after the command returns: give the last answers a moment
        # to leave before the adapters disconnect.
        settle = min(
            SETTLE_SECONDS - (time.monotonic() - self._last_answer),
            self.grace_seconds - (time.monotonic() - started),
        )
        if settle > 0 and not self._force:
            await asyncio.sleep(settle)
        tasks = [task for task in self._tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=5)
            if stuck:
                log.warning("adapters did not stop in time", adapters=[t.get_name() for t in stuck])
        if self._health is not None:
            await self._health.cleanup()
            self._health = None
        self.app.bus.remove_middleware(self.admit)
        log.info("darcy stopped", seconds=round(time.monotonic() - started, 2))

    # ---- health --------------------------------------------------------------------------

    async def _start_health(self) -> None:
        web_app = web.Application()
        web_app.router.add_get("/healthz", self._healthz)
        web_app.router.add_get("/readyz", self._readyz)
        if self.app.settings.notion.webhook_secret is not None and self.app.index is not None:
            from integrations.notion.webhooks import NotionWebhooks  # the optional push path (#19)

            NotionWebhooks(self.app.index, self.app.settings.notion.webhook_secret).routes(web_app)
        self._health = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await self._health.setup()
        await web.TCPSite(self._health, self.host, self.health_port).start()
        addresses = self._health.addresses  # the bound sockets: health_port=0 picks a free port
        self.port = addresses[0][1] if addresses else self.health_port

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "stopping" if self.draining else "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        if self.draining:
            return web.json_response({"status": "stopping"}, status=503)
        checks = dict(
            zip(
                ("database", "notion"),
                await asyncio.gather(self._check(self.app.db.ping()), self._check_notion()),
                strict=True,
            )
        )
        ready = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ready else "unready", "checks": checks}
        return web.json_response(body, status=200 if ready else 503)

    async def _check(self, probe: Awaitable[Any]) -> str:
        try:
            await asyncio.wait_for(probe, self.check_timeout)
        except TimeoutError:
            return f"timed out after {self.check_timeout:g} s"
        except Exception as exc:
            return observability.redact(f"{type(exc).__name__}: {exc}")[:300]
        return "ok"

    async def _check_notion(self) -> str:
        """One cheap, uncached Notion request, at most once per `notion_check_every` while it works."""
        if time.monotonic() - self._notion_ok_at < self.notion_check_every:
            return "ok"
        verdict = await self._check(notion_probe(self.app.store))
        if verdict == "ok":
            self._notion_ok_at = time.monotonic()
        return verdict


NIL_PAGE = "00000000-0000-0000-0000-000000000000"


async def notion_probe(store: Any) -> None:
    """Raises unless Notion answers with the configured token. Users and projects are cached by
    the store, so listing them proves nothing: the store's own `ping()` if it has one, else
    `users.me` on its notion-client (one uncached request), else reading a page that can't
    exist ("not found" means Notion answered and accepted the token)."""
    from core.ports import StoreError

    ping = getattr(store, "ping", None)
    if callable(ping):
        await ping()
        return
    me = getattr(getattr(getattr(store, "client", None), "users", None), "me", None)
    if callable(me):
        await me()
        return
    try:
        await store.get_task(NIL_PAGE)
    except StoreError as exc:
        if not exc.not_found:
            raise


async def serve(
    app: App,
    *,
    runners: Mapping[str, Runner],
    health_port: int | None = DEFAULT_HEALTH_PORT,
    host: str = "0.0.0.0",
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the adapters and the health endpoints until SIGTERM/SIGINT (or `stop` is set), then
    stop gracefully. Raises AdapterFailed if an adapter crashed or ended by itself."""
    service = Service(app, runners=runners, health_port=health_port, host=host, grace_seconds=grace_seconds)
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(signum, service.stop, signal.Signals(signum).name)
            installed.append(signum)
    watcher = asyncio.create_task(_relay(stop, service)) if stop is not None else None
    try:
        await service.start()
        await service.wait()
    finally:
        if not service._stop.is_set():  # cancelled from outside: still stop cleanly
            service.stop("cancelled")
            await service.shutdown()
        if watcher is not None:
            watcher.cancel()
        for signum in installed:
            loop.remove_signal_handler(signum)


async def _relay(stop: asyncio.Event, service: Service) -> None:
    await stop.wait()
    service.stop("stop event")


async def run(
    settings: Settings,
    *,
    health_port: int = DEFAULT_HEALTH_PORT,
    host: str = "0.0.0.0",
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    traces: str | None = None,
    runners: Mapping[str, Runner] | None = None,
) -> int:
    """Bootstrap Darcy, serve until stopped, close everything. Returns the process's exit code:
    0 after a signal, 1 if an adapter failed, 2 for a configuration problem."""
    from bot.bootstrap import bootstrap
    from core.config import ConfigError

    observability.configure_logging(os.environ.get("DARCY_LOG_LEVEL") or "info")
    observability.protect(settings)
    chosen = configured_runners(settings) if runners is None else runners
    if not chosen:
        _say(
            f"no chat adapter is configured: set {settings.discord.token_env} (Discord) or "
            f"{settings.slack.bot_token_env} (Slack); try `darcy chat` for the terminal"
        )
        return 2
    try:
        observability.configure_tracing(traces)
    except (RuntimeError, ValueError) as exc:
        _say(str(exc))
        return 2
    try:
        try:
            app = await bootstrap(settings)
        except ConfigError as exc:
            _say(str(exc))
            return 2
        try:
            await serve(app, runners=chosen, health_port=health_port, host=host, grace_seconds=grace_seconds)
        except AdapterFailed as exc:
            _say(str(exc))
            return 1
        finally:
            await app.aclose()
    finally:
        observability.shutdown_tracing()
    return 0


def main(settings: Settings, **options: Any) -> int:
    """What `darcy run` calls: `raise typer.Exit(service.main(settings, health_port=…))`."""
    return asyncio.run(run(settings, **options))


def _say(message: str) -> None:
    print(f"darcy: {observability.redact(message)}", file=sys.stderr)
