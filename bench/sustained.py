"""sustained_requests_per_s_notion_limited, user_visible_errors: throughput while Notion holds
the integration to 3 requests/s.

The Notion server here enforces the limit the way Notion documents it: a token bucket of
3 requests/s (a burst of 3), and past it `429 rate_limited` with a whole-second
`Retry-After` (https://developers.notion.com/reference/request-limits). It is the embedded
emulator with one more middleware in front, built here; nothing in integrations/ changes.
Darcy's store is connected to it as in production: through the process-wide limiter
(integrations/notion/limiter.py, notion.requests_per_second and burst from the config)
and the retry policy.

Load: 10 people at once, each sending the public corpus's requests (offline planner) one
after another as soon as the last was answered, for 30 s after the caches are warm. The
rate is the requests answered within the window over its length; a user-visible error is
a reply saying something went wrong (decision "error") or an exception.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
import time
from typing import Any

from bench.common import Mode, corpus, demo_workspace, frozen, percentile, rounded, settings, workspace_now

RATE = 3.0
BURST = 3
USERS = 10


class ServerBucket:
    """The server's side of the limit: `rate` requests/s, at most `burst` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 when the request may pass; otherwise seconds until a token is free."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


def rate_limited_emulator(workspace: dict[str, Any]) -> Any:
    from aiohttp import web

    from integrations.notion.server import NotionEmulator
    from integrations.notion.server.protocol import json_response

    class RateLimitedEmulator(NotionEmulator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.bucket = ServerBucket(RATE, BURST)
            self.accepted = self.refused = 0

        def build_app(self) -> web.Application:
            app = super().build_app()
            app.middlewares.insert(0, self._limit)
            return app

        @web.middleware
        async def _limit(self, request: web.Request, handler: Any) -> web.StreamResponse:
            wait = self.bucket.take()
            if wait:
                self.refused += 1
                body = {"object": "error", "status": 429, "code": "rate_limited",
                        "message": "You have been rate limited. Please try again in a few minutes."}
                return json_response(body, 429, {"Retry-After": str(max(1, math.ceil(wait)))})
            self.accepted += 1
            return await handler(request)

    return RateLimitedEmulator(workspace)


async def run(mode: Mode) -> dict[str, Any]:
    """The load twice, one after the other: as configured, then with task names resolved
    against a list read for every request (notion.task_names_seconds = 0), as before that
    list was kept: the ratio is what keeping it buys under Notion's limit."""
    kept = await _load(mode, task_names_seconds=None)
    fresh = await _load(mode, task_names_seconds=0.0)
    rate = "sustained_requests_per_s_notion_limited"
    figures = dict(kept)
    figures["sustained_requests_per_s_task_list_each_request"] = fresh[rate]
    figures["sustained_task_list_kept_over_each_request"] = rounded(kept[rate] / max(fresh[rate], 1e-9), 2)
    figures["user_visible_errors"] += fresh["user_visible_errors"]
    return figures


async def _load(mode: Mode, *, task_names_seconds: float | None) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.evaluation import chat_id
    from core.messages import HandleRequest
    from integrations.notion.store import NotionTaskStore

    duration = 1.0 if mode.smoke else 30.0
    workspace = demo_workspace()
    config = settings()
    if task_names_seconds is not None:
        notion = config.notion.model_copy(update={"task_names_seconds": task_names_seconds})
        config = config.model_copy(update={"notion": notion})
    emulator = rate_limited_emulator(workspace)
    base_url = await emulator.start()
    store = NotionTaskStore.connect(
        config.notion, base_url=base_url, token=emulator.token,
        tasks_data_source_id=emulator.tasks_data_source_id,
        projects_data_source_id=emulator.projects_data_source_id,
        rate_limit=True, timezone=workspace.get("timezone"),
    )
    app = await bootstrap(config, store=store, clock=frozen(workspace_now()))
    cases = itertools.cycle(corpus())
    answered: list[float] = []
    latencies: list[float] = []
    errors: list[str] = []
    try:
        await store.list_users()
        await store.list_projects()
        if not mode.smoke:
            await asyncio.sleep(BURST / RATE)  # start the window with the server's bucket full
        refused_before = emulator.refused
        sent_before = len(emulator.request_log)
        began = time.monotonic()
        deadline = began + duration

        async def person(n: int) -> None:
            while time.monotonic() < deadline:
                case = next(cases)
                platform = case.get("platform", "terminal")
                user = chat_id(workspace, case["user"], platform)
                started = time.monotonic()
                try:
                    reply = await app.bus.execute(HandleRequest(
                        platform=platform, user_id=user, channel_id=f"bench:load:{n}", text=case["text"]))
                    if reply.decision == "error":
                        errors.append(reply.text)
                except Exception as exc:  # a person would see the adapter's "sorry"
                    errors.append(repr(exc))
                finished = time.monotonic()
                if finished <= deadline:
                    answered.append(finished)
                    latencies.append(finished - started)

        await asyncio.gather(*(person(n) for n in range(mode.n(USERS, 2))))
        refused = emulator.refused - refused_before
        sent = len(emulator.request_log) - sent_before
    finally:
        await app.aclose()
        await store.aclose()
        await emulator.stop()
    return {
        "sustained_requests_per_s_notion_limited": rounded(len(answered) / duration, 2),
        "user_visible_errors": len(errors),
        "sustained_p95_latency_s": rounded(percentile(latencies, 95), 2),
        "sustained_notion_requests_per_s": rounded(sent / duration, 2),
        "sustained_notion_429s": refused,
    }
