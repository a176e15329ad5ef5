"""Where a message's time goes: exclusive time in the database, the Notion client, the
planner, the gate and the adapter's rendering, measured by wrapping those objects' methods
on one app (nothing outside bench/ changes). Used by bench/overhead.py after its timed
runs, so the wrapping never touches the headline figures.

Exclusive: a gate that reads from Notion is charged for its own work only; the Notion
request is charged to "notion"; what no wrapped part claims is "other". Only time inside
a message counts (`message(kind)`), per kind of message ("request" or "click"). One
message at a time (the overhead benchmark's case).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STORE_METHODS = ("list_users", "list_projects", "list_tasks", "get_task", "create_task", "update_task",
                 "add_comment", "archive_task")


class Breakdown:
    def __init__(self) -> None:
        self.totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.messages: dict[str, int] = defaultdict(int)
        self.by_method: dict[str, list[float]] = defaultdict(list)  # "category:method" → seconds
        self._kind: str | None = None
        self._task: asyncio.Task[Any] | None = None  # the message's own task (not background work)
        self.trips: dict[str, int] = defaultdict(int)  # statements and commits sent, by kind
        self._children: list[float] = []  # time spent in wrapped calls below the current one

    @contextmanager
    def message(self, kind: str) -> Iterator[None]:
        """One message of this kind ("request", "click"): what runs inside is counted."""
        self._kind, self._task = kind, asyncio.current_task()
        self.messages[kind] += 1
        try:
            with self._charge("other", ""):
                yield
        finally:
            self._kind = self._task = None

    @contextmanager
    def _charge(self, category: str, name: str) -> Iterator[None]:
        self._children.append(0.0)
        began = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - began
            own = elapsed - self._children.pop()
            if self._kind is not None:
                self.totals[self._kind][category] += own
                self.calls[self._kind][category] += 1
                if name:
                    self.by_method[f"{self._kind}|{category}:{name}"].append(own)
            if self._children:
                self._children[-1] += elapsed

    def wrap(self, owner: Any, name: str, category: str) -> None:
        """Charge `owner.name` (an async method or a plain function) to `category`."""
        original = getattr(owner, name)
        label = f"{getattr(owner, '__name__', type(owner).__name__)}.{name}"
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                if self._kind is None:
                    return await original(*args, **kwargs)
                with self._charge(category, label):
                    return await original(*args, **kwargs)

            setattr(owner, name, timed_async)
        else:

            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                if self._kind is None:
                    return original(*args, **kwargs)
                with self._charge(category, label):
                    return original(*args, **kwargs)

            setattr(owner, name, timed)

    def _trip(self, *_: Any) -> None:
        """A statement or a COMMIT sent to the database by the message itself."""
        if self._kind is not None and asyncio.current_task() is self._task:
            self.trips[self._kind] += 1

    def instrument(self, app: Any) -> Callable[[], None]:
        """Wrap the app's parts; returns the undo for what is process-wide (the renderer)."""
        from sqlalchemy import event

        import bot.terminal

        engine = app.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._trip)
        event.listen(engine, "commit", self._trip)

        repositories = [app.db.identity, app.db.pending, app.db.audit, app.deps.conversations.store]
        repositories += [part for part in (getattr(app.index, "repo", None),
                                           getattr(app.notifications, "ledger", None)) if part is not None]
        for repository in repositories:
            for name, _ in inspect.getmembers(type(repository), inspect.iscoroutinefunction):
                if not name.startswith("_"):
                    self.wrap(repository, name, "db")
        for name in STORE_METHODS:
            if hasattr(app.store, name):
                self.wrap(app.store, name, "notion")
        self.wrap(app.deps.planner, "plan", "planner")
        self.wrap(app.deps.gate, "assess", "gate")
        render = bot.terminal.render
        self.wrap(bot.terminal, "render", "render")
        return lambda: setattr(bot.terminal, "render", render)

    def per_message_ms(self) -> dict[str, dict[str, float]]:
        """Mean exclusive milliseconds per message, by kind of message and part."""
        return {
            kind: {part: round(seconds * 1000 / self.messages[kind], 3)
                   for part, seconds in sorted(parts.items())}
            for kind, parts in sorted(self.totals.items())
        }

    def db_round_trips_per_message(self) -> dict[str, float]:
        """Statements and COMMITs each message sent (a repository call cached in memory sends none)."""
        return {kind: round(self.trips.get(kind, 0) / n, 2) for kind, n in sorted(self.messages.items())}

    def db_calls_per_message(self) -> dict[str, float]:
        return {kind: round(calls.get("db", 0) / self.messages[kind], 2)
                for kind, calls in sorted(self.calls.items())}

    def conversation_calls_per_message(self) -> dict[str, dict[str, float]]:
        """The conversation store's reads (load) and writes (save) per message, by kind."""
        counted: dict[str, dict[str, float]] = {}
        for kind, count in sorted(self.messages.items()):
            calls = {op: len(self.by_method.get(f"{kind}|db:{name}", []))
                     for op, name in (("reads", "SqlConversationStore.load"),
                                      ("writes", "SqlConversationStore.save"))}
            counted[kind] = {op: round(n / count, 2) for op, n in calls.items()}
        return counted

    def methods(self) -> list[tuple[str, int, float]]:
        """(category:method, calls, mean ms), the costliest first: for profiling notes."""
        rows = [(k, len(v), 1000 * sum(v) / len(v)) for k, v in self.by_method.items() if v]
        return sorted(rows, key=lambda r: -r[1] * r[2])
