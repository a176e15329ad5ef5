"""An OpenAI-compatible chat-completions server on 127.0.0.1 that answers from a script.

Tests drive the real litellm over real HTTP against it (docs/testing.md): no provider is
reachable here, and mocking inside litellm would skip the layer that fails in
production (status codes, headers, timeouts, the JSON of tool calls).

    async with OpenAIServer() as server:
        server.script(rate_limited(retry_after=30), tool_call("list_tasks", {"assignee": "me"}))
        ...  # point litellm at server.base_url
        assert server.calls == 2

Each request takes the next scripted answer; when the queue is empty the responder
function (request JSON → answer) is asked; with neither, a 500 says so. Every
request body is recorded (`requests`), and so is the usage served.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

Request = dict[str, Any]


@dataclass
class Scripted:
    """One answer: a completion (message + finish_reason) or an HTTP error, maybe late."""

    message: dict[str, Any] | None = None
    finish_reason: str = "stop"
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    prompt_tokens: int | None = None  # None: estimated from the request (≈ 4 characters a token)
    completion_tokens: int | None = None


Responder = Callable[[Request], "Scripted | Awaitable[Scripted]"]


def tool_call(
    name: str, args: dict[str, Any] | str, *, prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
) -> Scripted:
    """A single tool call; `args` as a string is sent verbatim (for malformed JSON)."""
    return tool_calls([(name, args)], prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def tool_calls(
    calls: list[tuple[str, dict[str, Any] | str]], *, prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
) -> Scripted:
    items = [
        {"id": f"call_{i}", "type": "function",
         "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
        for i, (name, args) in enumerate(calls)
    ]
    return Scripted(message={"role": "assistant", "content": None, "tool_calls": items},
                    finish_reason="tool_calls", prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens)


def text(content: str, *, prompt_tokens: int | None = None, completion_tokens: int | None = None) -> Scripted:
    """A plain assistant message, no tool call."""
    return Scripted(message={"role": "assistant", "content": content}, prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens)


def error(status: int, message: str = "scripted failure", *, retry_after: float | None = None) -> Scripted:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Scripted(status=status, error=message, headers=headers)


def rate_limited(retry_after: float | None = 1) -> Scripted:
    return error(429, "Rate limit reached for requests", retry_after=retry_after)


def slow(seconds: float, then: Scripted | None = None) -> Scripted:
    """An answer that comes only after `seconds` (a client timeout shorter than that fails)."""
    return replace(then or text("too late"), delay=seconds)


class OpenAIServer:
    """`POST /v1/chat/completions` on 127.0.0.1, answering from `script()` or `respond_with()`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.served: list[Scripted] = []
        self.unscripted = 0
        self.prompt_tokens = 0  # usage served, summed
        self.completion_tokens = 0
        self._queue: deque[Scripted] = deque()
        self._responder: Responder | None = None
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle --------------------------------------------------------------------

    async def start(self) -> OpenAIServer:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_post("/chat/completions", self._complete)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)  # slow answers: no wait
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> OpenAIServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---- scripting --------------------------------------------------------------------

    def script(self, *answers: Scripted) -> None:
        """Queue answers: the next requests take them in order."""
        self._queue.extend(answers)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer from a function of the request once the queue is empty."""
        self._responder = responder

    def reset(self) -> None:
        """Forget the script and what was recorded (a module-wide server between tests)."""
        self._queue.clear()
        self._responder = None
        self.requests.clear()
        self.served.clear()
        self.unscripted = self.prompt_tokens = self.completion_tokens = 0

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def pending(self) -> int:
        """Scripted answers not yet taken."""
        return len(self._queue)

    def models(self) -> list[str]:
        """The model named by each request, in order."""
        return [r.get("model", "") for r in self.requests]

    def system_prompts(self) -> list[str]:
        return [m.get("content") or "" for r in self.requests for m in r.get("messages", [])
                if m.get("role") == "system"]

    # ---- serving ----------------------------------------------------------------------

    async def _complete(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error_response(400, "the body is not JSON")
        self.requests.append(body)
        answer = await self._next(body)
        if answer is None:
            self.unscripted += 1
            return _error_response(500, f"no scripted answer for request {len(self.requests)}")
        self.served.append(answer)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.status != 200:
            return _error_response(answer.status, answer.error or "error", answer.headers)
        return web.json_response(self._completion(body, answer), headers=answer.headers)

    async def _next(self, body: Request) -> Scripted | None:
        if self._queue:
            return self._queue.popleft()
        if self._responder is None:
            return None
        answer = self._responder(body)
        return await answer if inspect.isawaitable(answer) else answer

    def _completion(self, body: Request, answer: Scripted) -> dict[str, Any]:
        prompt = answer.prompt_tokens
        if prompt is None:
            prompt = estimate_tokens(json.dumps([body.get("messages"), body.get("tools")]))
        completion = answer.completion_tokens
        if completion is None:
            completion = estimate_tokens(json.dumps(answer.message))
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        n = next(self._ids)
        return {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "scripted"), "system_fingerprint": None,
            "choices": [{"index": 0, "message": answer.message, "finish_reason": answer.finish_reason,
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }


def estimate_tokens(s: str) -> int:
    return max(1, math.ceil(len(s) / 4))


def _error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    kind = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_exceeded"}
    return web.json_response(
        {"error": {"message": message, "type": kind.get(status, "server_error"), "param": None,
                   "code": kind.get(status, "server_error")}},
        status=status, headers=headers or {},
    )


__all__ = [
    "OpenAIServer", "Scripted", "error", "estimate_tokens", "rate_limited", "slow", "text", "tool_call",
    "tool_calls",
]
