"""The audit log in the database: one row per decision on a request (executed, denied, clarify,
cancelled...), which undo, the gate (what was done to a task) and `darcy audit` read back. It has
its own module because of how it writes: decisions in batches off the path of the reply, an
execution's row at once, in one commit with its pending action marked executed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import select

from core.identity import Execution
from core.pending import PendingState
from integrations.db.batch import RowBatcher
from integrations.db.shared import as_utc, aware, storage_errors, utc_now
from integrations.db.tables import AuditRow, PendingActionRow

if TYPE_CHECKING:
    from integrations.db.database import Database


def _audit_row(row: dict[str, object]) -> AuditRow:
    if isinstance(row.get("at"), datetime):
        row["at"] = as_utc(row["at"])  # type: ignore[arg-type]
    for key in ("args", "before", "after"):
        if key in row:
            value = row.pop(key)
            row[f"{key}_json"] = None if value is None else json.dumps(value, default=str)
    return AuditRow(**row)  # type: ignore[arg-type]


def _execution(row: AuditRow) -> Execution | None:
    if row.tool is None or row.id is None:
        return None
    return Execution(
        id=row.id,
        tool=row.tool,
        notion_user_id=row.notion_user_id,
        page_id=row.page_id,
        resolved=json.loads(row.args_json or "{}"),
        before=json.loads(row.before_json) if row.before_json else None,
        after=json.loads(row.after_json) if row.after_json else None,
        at=aware(row.at),
    )


@storage_errors
class SqlAuditLog:
    """A decision's row is written a moment later, with its neighbours, in one commit: off
    the path of the reply (RowBatcher). An execution's row is written at once, after those
    before it, so a crash can lose a moment of decisions and never the record of a write."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._batch = RowBatcher(db.sessions, "audit")

    async def record(self, **row: object) -> None:
        audit = _audit_row(row)
        if audit.decision in ("executed", "failed"):
            await self._batch.flush(audit)
        else:
            self._batch.add(audit)

    async def record_execution(self, pending_id: str, result: dict[str, Any], **row: object) -> None:
        executed = (
            update(PendingActionRow)
            .where(PendingActionRow.id == pending_id, PendingActionRow.state == PendingState.CONFIRMED.value)
            .values(state=PendingState.EXECUTED.value, moved_at=utc_now(), result_json=json.dumps(result))
        )
        await self._batch.flush(_audit_row(row), then=executed)

    async def flush(self) -> None:
        await self._batch.flush()

    async def last_execution(self, platform: str, user_id: str, since: datetime) -> Execution | None:
        await self.flush()
        stmt = (
            select(AuditRow)
            .where(
                AuditRow.platform == platform,
                AuditRow.user_id == user_id,
                AuditRow.decision == "executed",
                AuditRow.at >= as_utc(since),
            )
            .order_by(AuditRow.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
        async with self._db.sessions() as session:
            row = (await session.exec(stmt)).first()
        return _execution(row) if row is not None else None

    async def executions_on(self, page_id: str) -> list[Execution]:
        await self.flush()
        stmt = (
            select(AuditRow)
            .where(AuditRow.page_id == page_id, AuditRow.decision == "executed")
            .order_by(AuditRow.id)  # type: ignore[arg-type]
        )
        async with self._db.sessions() as session:
            rows = (await session.exec(stmt)).all()
        return [found for row in rows if (found := _execution(row)) is not None]

    async def rows(self, *, user_id: str | None = None, since: datetime | None = None) -> list[AuditRow]:
        await self.flush()
        stmt = select(AuditRow).order_by(AuditRow.id)  # type: ignore[arg-type]
        if user_id is not None:
            stmt = stmt.where(AuditRow.user_id == user_id)
        if since is not None:
            stmt = stmt.where(AuditRow.at >= as_utc(since))
        async with self._db.sessions() as session:
            return list((await session.exec(stmt)).all())
