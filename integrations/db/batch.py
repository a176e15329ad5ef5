"""Rows written a moment later, with their neighbours, in one commit: off the path of the reply.

The audit log's decisions and the usage ledger's entries are recorded on every message; one
INSERT per row would put a database round trip in front of each answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Executable
from sqlmodel import SQLModel

from core.ports import StorageError

log = structlog.get_logger("darcy.db")


class RowBatcher:
    """A queue of rows flushed `after_s` seconds after the first one, or at once by `flush()`.

    One flush at a time: a reader that flushes first also waits for a flush under way, and
    rows keep the order they were queued in. A failed flush keeps its rows for the next one."""

    def __init__(self, sessions: Any, name: str, after_s: float = 0.05) -> None:
        self._sessions = sessions
        self._name = name
        self._after_s = after_s
        self.queued: list[SQLModel] = []
        self._flusher: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()

    def add(self, row: SQLModel) -> None:
        self.queued.append(row)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self._after_s)
        try:
            await self.flush()
        except StorageError as exc:  # the rows stay queued for the next flush
            log.error(f"{self._name}_flush_failed", error=str(exc))

    async def flush(self, *also: SQLModel, then: Executable | None = None) -> None:
        """Write the queued rows and `also`, and run `then`, in one commit: all or nothing."""
        async with self._flushing:
            rows, self.queued = self.queued, []
            if not rows and not also and then is None:
                return
            try:
                async with self._sessions() as session:
                    conn = await session.connection()
                    for table, values in _by_table([*rows, *also]).items():
                        await conn.execute(insert(table), values)  # one INSERT of many a table
                    if then is not None:
                        await session.exec(then)
                    await session.commit()
            except BaseException as exc:
                self.queued[:0] = rows
                if isinstance(exc, SQLAlchemyError | OSError):
                    raise StorageError(f"the database is unavailable ({type(exc).__name__})") from exc
                raise


def _by_table(rows: list[SQLModel]) -> dict[type[SQLModel], list[dict[str, Any]]]:
    """Each table's rows as values for one INSERT of many (an id left unset is the database's)."""
    grouped: dict[type[SQLModel], list[dict[str, Any]]] = {}
    for row in rows:
        values = row.model_dump(exclude={"id"} if getattr(row, "id", None) is None else set())
        grouped.setdefault(type(row), []).append(values)
    return grouped
