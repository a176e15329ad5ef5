"""A small asyncio message bus, one per application instance (Cosmic Python's shape).

Commands go to their one handler and return its result; events go to every
subscriber, and a failing subscriber is logged, never allowed to break the
request that raised the event.

Middleware wraps the handling of every command (observability binds the request's
log context and opens its trace span there; the service counts requests in flight
and refuses new ones while it stops). The first added is the outermost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import structlog

from core.messages import Command, Event

log = structlog.get_logger("darcy.bus")

C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)
CommandHandler = Callable[[Any], Awaitable[Any]]
EventHandler = Callable[[Any], Awaitable[None]]
# middleware(command, call_next) -> result; call_next() runs the rest of the chain and the handler.
Middleware = Callable[[Command, Callable[[], Awaitable[Any]]], Awaitable[Any]]


class MessageBus:
    def __init__(self) -> None:
        self._commands: dict[type[Command], CommandHandler] = {}
        self._events: dict[type[Event], list[EventHandler]] = defaultdict(list)
        self._middleware: list[Middleware] = []

    def handle_command(self, command_type: type[C], handler: Callable[[C], Awaitable[Any]]) -> None:
        if command_type in self._commands:
            raise ValueError(f"{command_type.__name__} already has a handler")
        self._commands[command_type] = handler

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._events[event_type].append(handler)

    def add_middleware(self, middleware: Middleware) -> None:
        """Wrap every command from now on; adding the same middleware twice does nothing."""
        if middleware not in self._middleware:
            self._middleware.append(middleware)

    def remove_middleware(self, middleware: Middleware) -> None:
        if middleware in self._middleware:
            self._middleware.remove(middleware)

    async def execute(self, command: Command) -> Any:
        handler = self._commands.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        if not self._middleware:
            return await handler(command)
        call: Callable[[], Awaitable[Any]] = partial(handler, command)
        for middleware in reversed(self._middleware):
            call = partial(middleware, command, call)
        return await call()

    async def publish(self, event: Event) -> None:
        for handler in self._events.get(type(event), ()):
            try:
                await handler(event)
            except Exception:
                log.exception("event subscriber failed", event=type(event).__name__)
