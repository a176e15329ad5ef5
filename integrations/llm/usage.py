"""Token and cost accounting for the LLM planner, per request and per user per day.

A club pays for its model, so every request is counted and a per-user daily
budget can switch one heavy user to the offline planner without touching anyone
else. The ledger lives in memory for now; its interface is async and speaks only
in (user, day) keys and plain records so a database-backed ledger can replace it
without changing the planner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class UsageRecord:
    """One LLM call: who asked, which model answered, what it cost."""

    user: str
    day: date
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@dataclass
class UsageTotals:
    """The sums for one user and one day."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, record: UsageRecord) -> None:
        self.calls += 1
        self.prompt_tokens += record.prompt_tokens
        self.completion_tokens += record.completion_tokens
        self.cost_usd += record.cost_usd


class Usage:
    """In-memory ledger of per-(user, day) totals.

    Only today and yesterday are kept per user (a day key older than that can no
    longer affect a budget), so memory stays flat however long the bot runs.
    """

    def __init__(self) -> None:
        self._totals: dict[tuple[str, date], UsageTotals] = {}

    async def record(self, record: UsageRecord) -> None:
        self._totals.setdefault((record.user, record.day), UsageTotals()).add(record)
        self._forget_before(record.day.toordinal() - 1)

    async def totals(self, user: str, day: date) -> UsageTotals:
        found = self._totals.get((user, day))
        return UsageTotals(**vars(found)) if found else UsageTotals()

    async def spent_usd(self, user: str, day: date) -> float:
        return (await self.totals(user, day)).cost_usd

    async def over_budget(self, user: str, day: date, budget_usd: float | None) -> bool:
        """True when a budget is set and this user's spend that day has reached it."""
        return budget_usd is not None and await self.spent_usd(user, day) >= budget_usd

    def _forget_before(self, ordinal: int) -> None:
        for key in [k for k in self._totals if k[1].toordinal() < ordinal]:
            del self._totals[key]


__all__ = ["Usage", "UsageRecord", "UsageTotals"]
