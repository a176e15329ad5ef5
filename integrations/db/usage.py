"""The usage ledger in the database: one row per command, summed for budgets and reports."""

from __future__ import annotations

from datetime import date

import structlog
from sqlalchemy import case, delete, func
from sqlmodel import select

from core.ports import StorageError
from core.usage import ReportBy, UsageEntry, UsageLine
from integrations.db.batch import RowBatcher
from integrations.db.database import Database
from integrations.db.shared import as_utc, storage_errors
from integrations.db.tables import UsageRow

log = structlog.get_logger("darcy.db")


@storage_errors
class SqlUsageLedger:
    """Entries are queued and written in batches (RowBatcher); a budget writes what is queued,
    then reads the database's sum, so it holds across restarts and replicas (another
    replica's spend shows once its batch lands, within a fraction of a second)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # A second's rows per commit: usage is counted, not audited (a crash may lose a second of it).
        self._batch = RowBatcher(db.sessions, "usage", after_s=1.0)

    async def record(self, entry: UsageEntry) -> None:
        self._batch.add(UsageRow(**{**entry.fields(), "at": as_utc(entry.at)}))

    async def flush(self) -> None:
        await self._batch.flush()

    async def close(self) -> None:
        """Write what is queued; at shutdown a failure is said, not raised."""
        try:
            await self.flush()
        except StorageError as exc:
            log.error("usage_rows_lost_at_close", error=str(exc))

    async def forget_before(self, day: date) -> int:
        """Delete the rows of days before `day`; how many went."""
        async with self._db.sessions() as session:
            gone = await session.exec(delete(UsageRow).where(UsageRow.day < day))  # type: ignore[call-overload]
            await session.commit()
        return int(gone.rowcount or 0)

    async def spent_usd(self, notion_user_id: str, day: date) -> float:
        await self.flush()  # this process's rows, including a batch being written right now
        stmt = select(func.coalesce(func.sum(UsageRow.cost_usd), 0.0)).where(
            UsageRow.notion_user_id == notion_user_id, UsageRow.day == day
        )
        async with self._db.sessions() as session:
            return float((await session.exec(stmt)).one())

    async def spent_tokens(self, notion_user_id: str, day: date) -> int:
        await self.flush()
        stmt = select(func.coalesce(func.sum(UsageRow.prompt_tokens + UsageRow.completion_tokens), 0)).where(
            UsageRow.notion_user_id == notion_user_id, UsageRow.day == day
        )
        async with self._db.sessions() as session:
            return int((await session.exec(stmt)).one())

    async def report(self, since: date, by: ReportBy) -> list[UsageLine]:
        """The sums per person or per day from `since` on, summed in the database."""
        await self.flush()
        key = (
            UsageRow.day if by == "day"
            else func.coalesce(UsageRow.person, UsageRow.platform + ":" + UsageRow.user_id)
        )
        requests = func.sum(case((UsageRow.command == "HandleRequest", 1), else_=0))
        stmt = (
            select(
                key,
                func.count(),
                requests,
                func.sum(UsageRow.llm_calls),
                func.sum(UsageRow.prompt_tokens),
                func.sum(UsageRow.completion_tokens),
                func.sum(UsageRow.cost_usd),
                func.sum(UsageRow.notion_calls),
            )
            .where(UsageRow.day >= since)
            .group_by(key)
            .order_by(key)
        )
        async with self._db.sessions() as session:
            found = (await session.exec(stmt)).all()
        return [
            UsageLine(
                key=value.isoformat() if isinstance(value, date) else str(value),
                requests=int(typed or 0),
                clicks=int(count) - int(typed or 0),
                llm_calls=int(calls or 0),
                prompt_tokens=int(prompt or 0),
                completion_tokens=int(completion or 0),
                cost_usd=float(cost or 0.0),
                notion_calls=int(notion or 0),
            )
            for value, count, typed, calls, prompt, completion, cost, notion in found
        ]
