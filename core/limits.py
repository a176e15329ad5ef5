"""Per-person limits: a token bucket per chat account, as bus middleware.

One person sending sixty requests at once would queue everyone else behind Notion's shared
rate limit (3 requests a second) and fill the database with rows. Each chat account gets
`requests_per_minute` tokens, refilled continuously; a command with no token left is answered
at once, before identity, planning or Notion, and recorded nowhere (a flood writes nothing).
Buckets are per replica: behind N replicas a person's ceiling is N times as high. The
terminal (`darcy chat`) is the operator at their own keyboard, and is not limited.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from core.config import LimitSettings
from core.messages import Command
from core.replies import Reply

log = structlog.get_logger("darcy.limits")
UNLIMITED = frozenset({"terminal"})  # the operator's own chat (`darcy chat`, scripts, `darcy eval`)
MAX_BUCKETS = 10_000  # past this, full buckets (people idle for a minute) are dropped


@dataclass
class Bucket:
    tokens: float
    at: float  # time.monotonic() of the last refill


class PersonLimiter:
    """Bus middleware: at most `requests_per_minute` commands per chat account, in bursts."""

    def __init__(self, settings: LimitSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(settings.requests_per_minute)
        self.per_second = self.capacity / 60
        self.clock = clock
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def take(self, platform: str, user_id: str) -> float:
        """Spend one token; 0 when granted, else the seconds until one is there."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        key = (platform, user_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._sweep(now)
            bucket = self._buckets[key] = Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def _sweep(self, now: float) -> None:
        refill = self.per_second
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.at) * refill >= self.capacity]
        for key in full:
            del self._buckets[key]

    async def __call__(self, command: Command, call_next: Callable[[], Awaitable[Any]]) -> Any:
        user_id = getattr(command, "user_id", None)
        if user_id is None or command.platform in UNLIMITED:
            return await call_next()
        wait = self.take(command.platform, str(user_id))
        if not wait:
            return await call_next()
        log.info("rate_limited", platform=command.platform, user_id=user_id, retry_in_s=round(wait, 1))
        return Reply(
            text=f"You're sending me more than {self.capacity:g} requests a minute, so I'm pausing you: "
            f"try again in {max(1, round(wait))} seconds. Nothing was changed.",
            decision="deny",
            private=True,
        )
