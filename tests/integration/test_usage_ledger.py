"""The usage ledger on SQLite and on PostgreSQL: sums per person and per day, a budget that counts
what is not written yet, and two replicas that see each other's spend."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.usage import MemoryUsageLedger, UsageEntry, UsageLedger
from integrations.db.database import Database
from integrations.db.usage import SqlUsageLedger

MELBOURNE = ZoneInfo("Australia/Melbourne")
MONDAY = datetime(2026, 11, 16, 23, 30, tzinfo=MELBOURNE)  # 12:30 UTC: the UTC day is the same
TUESDAY = datetime(2026, 11, 17, 8, 0, tzinfo=MELBOURNE)  # still Monday in UTC: the workspace day counts


def entry(at: datetime, person: str | None, *, command: str = "HandleRequest", **counts: float) -> UsageEntry:
    return UsageEntry(
        at=at, day=at.date(), correlation_id="c", command=command, platform="slack",
        user_id=f"U-{person or 'nobody'}", notion_user_id=f"n-{person}" if person else None, person=person,
        **counts,  # type: ignore[arg-type]
    )


def asked(
    at: datetime, person: str, calls: int, tokens: tuple[int, int], cost: float, notion: int
) -> UsageEntry:
    """A typed request that asked the model `calls` times."""
    return entry(at, person, llm_calls=calls, prompt_tokens=tokens[0], completion_tokens=tokens[1],
                 cost_usd=cost, notion_calls=notion)


DAY_OF_WORK = [
    asked(MONDAY, "dan", 1, (1_000, 10), 0.004, 2),
    entry(MONDAY, "dan", command="Confirm", notion_calls=3),
    asked(TUESDAY, "dan", 2, (2_000, 30), 0.006, 1),
    asked(TUESDAY, "alice", 1, (900, 9), 0.002, 1),
    entry(TUESDAY, None, notion_calls=0),  # someone not linked yet: named by their chat account
]


async def fill(ledger: UsageLedger) -> None:
    for each in DAY_OF_WORK:
        await ledger.record(each)


def table(lines: list) -> dict[str, tuple]:
    return {
        line.key: (line.requests, line.clicks, line.llm_calls, line.prompt_tokens, line.completion_tokens,
                   round(line.cost_usd, 6), line.notion_calls)
        for line in lines
    }


EXPECTED_BY_USER = {
    "alice": (1, 0, 1, 900, 9, 0.002, 1),
    "dan": (2, 1, 3, 3_000, 40, 0.01, 6),
    "slack:U-nobody": (1, 0, 0, 0, 0, 0.0, 0),
}
EXPECTED_BY_DAY = {
    "2026-11-16": (1, 1, 1, 1_000, 10, 0.004, 5),
    "2026-11-17": (3, 0, 3, 2_900, 39, 0.008, 2),
}


async def test_the_report_sums_per_person_and_per_workspace_day(db: Database) -> None:
    ledger = SqlUsageLedger(db)
    await fill(ledger)

    assert table(await ledger.report(date(2026, 11, 1), "user")) == EXPECTED_BY_USER
    assert table(await ledger.report(date(2026, 11, 1), "day")) == EXPECTED_BY_DAY
    assert set(table(await ledger.report(date(2026, 11, 17), "user"))) == {"alice", "dan", "slack:U-nobody"}
    assert table(await ledger.report(date(2026, 11, 18), "day")) == {}


async def test_the_memory_ledger_reports_the_same() -> None:
    memory = MemoryUsageLedger()
    await fill(memory)
    assert table(await memory.report(date(2026, 11, 1), "user")) == EXPECTED_BY_USER
    assert table(await memory.report(date(2026, 11, 1), "day")) == EXPECTED_BY_DAY


async def test_spend_counts_rows_queued_and_rows_written(db: Database) -> None:
    ledger = SqlUsageLedger(db)
    await fill(ledger)  # queued: the batch has not been written

    assert await ledger.spent_usd("n-dan", TUESDAY.date()) == pytest.approx(0.006)
    await ledger.flush()
    assert await ledger.spent_usd("n-dan", TUESDAY.date()) == pytest.approx(0.006)
    assert await ledger.spent_usd("n-dan", MONDAY.date()) == pytest.approx(0.004)
    assert await ledger.spent_usd("n-dan", TUESDAY.date() + timedelta(days=1)) == 0.0
    assert await ledger.spent_usd("n-carol", TUESDAY.date()) == 0.0


async def test_two_replicas_see_each_others_spend(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    await first.create_schema()
    await second.create_schema()
    try:
        here, there = SqlUsageLedger(first), SqlUsageLedger(second)
        await here.record(entry(TUESDAY, "dan", llm_calls=1, cost_usd=0.007))
        await there.record(entry(TUESDAY, "dan", llm_calls=1, cost_usd=0.005))
        await here.flush()
        await there.flush()

        for ledger in (here, there):
            assert await ledger.spent_usd("n-dan", TUESDAY.date()) == pytest.approx(0.012)
        assert table(await here.report(TUESDAY.date(), "user"))["dan"][2] == 2
    finally:
        await first.close()
        await second.close()


async def test_a_closed_ledger_writes_what_was_queued(database_url: str) -> None:
    db = Database(database_url)
    await db.create_schema()
    ledger = SqlUsageLedger(db)
    await ledger.record(entry(TUESDAY, "dan", cost_usd=0.003))
    await ledger.close()  # as at shutdown: nothing queued is lost
    await db.close()

    reopened = Database(database_url)
    try:
        assert await SqlUsageLedger(reopened).spent_usd("n-dan", TUESDAY.date()) == pytest.approx(0.003)
    finally:
        await reopened.close()


async def test_rows_of_older_days_are_forgotten(db: Database) -> None:
    ledger = SqlUsageLedger(db)
    await fill(ledger)
    await ledger.flush()

    assert await ledger.forget_before(TUESDAY.date()) == 2  # Monday's two rows
    assert set(table(await ledger.report(date(2026, 11, 1), "day"))) == {"2026-11-17"}
    assert await ledger.forget_before(TUESDAY.date()) == 0
