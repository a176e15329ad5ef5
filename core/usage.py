"""What each command cost: model calls, tokens, dollars and Notion calls, and who spent them.

A club pays for its model and shares one Notion rate limit, so every command is metered. The
meter lives in a context variable for the length of one command: the LLM planner and the
Notion client add to it without being handed it, and `UsageRecorder` (bus middleware) turns it
into one `UsageEntry` for the ledger when the command is answered. The ledger is persistent
(integrations/db/usage.py), so a daily budget survives a restart and holds across replicas,
and `darcy usage` reports from it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

import structlog

from core.messages import Command
from core.ports import StorageError

log = structlog.get_logger("darcy.usage")

ReportBy = Literal["user", "day"]


@dataclass
class Meter:
    """The running totals of the command being handled."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None  # the model that answered last
    notion_calls: int = 0  # HTTP requests to Notion, retries included
    store_calls: int = 0  # calls of the task-store port, cached answers included
    notion_user_id: str | None = None  # who is charged, once the service knows the requester
    person: str | None = None


_meter: ContextVar[Meter | None] = ContextVar("darcy_meter", default=None)


def current() -> Meter | None:
    """The meter of the command being handled; None outside a command (start-up, `darcy eval`)."""
    return _meter.get()


@contextmanager
def metering() -> Iterator[Meter]:
    """The current command's meter, opened here if no outer middleware opened it."""
    found = _meter.get()
    if found is not None:
        yield found
        return
    meter = Meter()
    token = _meter.set(meter)
    try:
        yield meter
    finally:
        _meter.reset(token)


def charge_model(model: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
    if (meter := _meter.get()) is not None:
        meter.llm_calls += 1
        meter.prompt_tokens += prompt_tokens
        meter.completion_tokens += completion_tokens
        meter.cost_usd += cost_usd
        meter.model = model


def count_notion_call() -> None:
    """One HTTP request to Notion (the Notion client's transport counts them)."""
    if (meter := _meter.get()) is not None:
        meter.notion_calls += 1


def attribute(notion_user_id: str, person: str) -> None:
    """Charge the command being handled to this member (their budget, their report line)."""
    if (meter := _meter.get()) is not None and meter.notion_user_id is None:
        meter.notion_user_id, meter.person = notion_user_id, person


@dataclass(frozen=True)
class UsageEntry:
    """One command's cost, as the ledger stores it."""

    at: datetime
    day: date  # the workspace's calendar day
    correlation_id: str
    command: str
    platform: str
    user_id: str
    notion_user_id: str | None = None
    person: str | None = None
    tool: str | None = None
    decision: str | None = None
    model: str | None = None
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    notion_calls: int = 0
    duration_ms: float = 0.0

    def fields(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UsageLine:
    """One line of `darcy usage`: the sums for one person or one day."""

    key: str
    requests: int = 0  # typed requests
    clicks: int = 0  # buttons, picks, modals: every other command
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    notion_calls: int = 0

    def add(self, entry: UsageEntry) -> None:
        if entry.command == "HandleRequest":
            self.requests += 1
        else:
            self.clicks += 1
        self.llm_calls += entry.llm_calls
        self.prompt_tokens += entry.prompt_tokens
        self.completion_tokens += entry.completion_tokens
        self.cost_usd += entry.cost_usd
        self.notion_calls += entry.notion_calls


    def merge(self, other: UsageLine) -> None:
        """Add another line's sums to this one (a total)."""
        for name in ("requests", "clicks", "llm_calls", "prompt_tokens", "completion_tokens", "cost_usd",
                     "notion_calls"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def report_key(entry: UsageEntry, by: ReportBy) -> str:
    """A person is named by handle when known, else by their chat account."""
    if by == "day":
        return entry.day.isoformat()
    return entry.person or f"{entry.platform}:{entry.user_id}"


class UsageLedger(Protocol):
    async def record(self, entry: UsageEntry) -> None: ...

    async def spent_usd(self, notion_user_id: str, day: date) -> float: ...

    async def report(self, since: date, by: ReportBy) -> list[UsageLine]: ...


@dataclass
class MemoryUsageLedger:
    """A ledger that forgets at exit: for an LLM planner built without a database."""

    entries: list[UsageEntry] = field(default_factory=list)

    async def record(self, entry: UsageEntry) -> None:
        self.entries.append(entry)

    async def spent_usd(self, notion_user_id: str, day: date) -> float:
        return sum(e.cost_usd for e in self.entries if e.notion_user_id == notion_user_id and e.day == day)

    async def report(self, since: date, by: ReportBy) -> list[UsageLine]:
        lines: dict[str, UsageLine] = {}
        for entry in self.entries:
            if entry.day >= since:
                key = report_key(entry, by)
                lines.setdefault(key, UsageLine(key)).add(entry)
        return sorted(lines.values(), key=lambda line: line.key)


class UsageRecorder:
    """Bus middleware: meter every command and hand its entry to the ledger when it is answered.

    Added before the log and trace middleware, so their request line and span see the same meter.
    A ledger that fails costs the record, never the reply."""

    def __init__(self, ledger: UsageLedger, clock: Callable[[], datetime]) -> None:
        self.ledger = ledger
        self.clock = clock

    async def __call__(self, command: Command, call_next: Callable[[], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        result: Any = None
        with metering() as meter:
            try:
                result = await call_next()
                return result
            finally:
                await self._record(command, meter, result, round((time.perf_counter() - started) * 1000, 1))

    async def _record(self, command: Command, meter: Meter, result: Any, duration_ms: float) -> None:
        now = self.clock()
        decision = getattr(result, "decision", None) if result is not None else "error"
        entry = UsageEntry(
            at=now,
            day=now.date(),
            correlation_id=command.correlation_id,
            command=type(command).__name__,
            platform=command.platform,
            user_id=str(getattr(command, "user_id", "")),
            notion_user_id=meter.notion_user_id,
            person=meter.person,
            tool=getattr(result, "tool", None),
            decision=getattr(decision, "value", decision),
            model=meter.model,
            llm_calls=meter.llm_calls,
            prompt_tokens=meter.prompt_tokens,
            completion_tokens=meter.completion_tokens,
            cost_usd=meter.cost_usd,
            notion_calls=meter.notion_calls,
            duration_ms=duration_ms,
        )
        try:
            await self.ledger.record(entry)
        except StorageError as exc:
            log.warning("usage_not_recorded", error=str(exc), correlation_id=command.correlation_id)


__all__ = [
    "MemoryUsageLedger",
    "Meter",
    "ReportBy",
    "UsageEntry",
    "UsageLedger",
    "UsageLine",
    "UsageRecorder",
    "attribute",
    "charge_model",
    "count_notion_call",
    "current",
    "metering",
    "report_key",
]
