"""Pending actions in the database (core's PendingRepository): what a person was asked to
confirm or choose. A click's state moves by one conditional UPDATE (`claim`, `transition`),
so a click executes once whichever replica takes it; the usual click costs one round trip on
the kept autocommit connection (`Database.statement`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, update
from sqlmodel import select

from core.pending import PendingAction, PendingKind, PendingState
from integrations.db.shared import as_utc, aware, storage_errors, utc_now
from integrations.db.tables import PendingActionRow

if TYPE_CHECKING:
    from integrations.db.database import Database


@storage_errors
class SqlPendingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, action: PendingAction) -> None:
        row = dict(
            id=action.id,
            kind=action.kind,
            platform=action.platform,
            user_id=action.user_id,
            channel_id=action.channel_id,
            tool=action.tool,
            plan_json=json.dumps(action.resolved, default=str),
            options_json=json.dumps(action.options),
            summary=action.summary,
            text=action.text,
            args_hash=action.args_hash,
            state=action.state,
            created_at=as_utc(action.created_at),
            expires_at=as_utc(action.expires_at),
            correlation_id=action.correlation_id,
        )
        async with self._db.statement() as conn:
            await conn.execute(insert(PendingActionRow).values(**row))

    async def get(self, pending_id: str) -> PendingAction | None:
        stmt = select(*PENDING_COLUMNS).where(PendingActionRow.id == pending_id)
        async with self._db.statement() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else _pending(row)

    async def claim(
        self, pending_id: str, *, platform: str, user_id: str, now: datetime
    ) -> PendingAction | None:
        """One UPDATE … RETURNING: the usual click costs one round trip, not a read and a write."""
        stmt = (
            update(PendingActionRow)
            .where(
                PendingActionRow.id == pending_id,
                PendingActionRow.state == PendingState.PENDING.value,
                PendingActionRow.platform == platform,
                PendingActionRow.user_id == user_id,
                PendingActionRow.kind == PendingKind.CONFIRM.value,
                PendingActionRow.expires_at > as_utc(now),  # type: ignore[operator]
            )
            .values(state=PendingState.CONFIRMED.value, moved_at=utc_now())
            .returning(*PENDING_COLUMNS)
        )
        async with self._db.statement() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else _pending(row)

    async def open_count(self, platform: str, user_id: str, now: datetime) -> int:
        stmt = select(func.count()).where(
            PendingActionRow.platform == platform,
            PendingActionRow.user_id == user_id,
            PendingActionRow.state == PendingState.PENDING.value,
            PendingActionRow.expires_at > as_utc(now),  # type: ignore[operator]
        )
        async with self._db.sessions() as session:
            return int((await session.exec(stmt)).one())

    async def interrupted(self, moved_before: datetime) -> list[PendingAction]:
        """Actions confirmed (their state moved) before `moved_before` and never finished."""
        stmt = select(PendingActionRow).where(
            PendingActionRow.state == PendingState.CONFIRMED.value,
            PendingActionRow.moved_at < as_utc(moved_before),  # type: ignore[operator]
        )
        async with self._db.sessions() as session:
            return [_pending(row) for row in (await session.exec(stmt)).all()]

    async def transition(
        self,
        pending_id: str,
        src: PendingState,
        dst: PendingState,
        *,
        now: datetime | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        values: dict[str, Any] = {"state": dst.value, "moved_at": utc_now()}
        if result is not None:
            values["result_json"] = json.dumps(result, default=str)
        stmt = (
            update(PendingActionRow)
            .where(PendingActionRow.id == pending_id, PendingActionRow.state == src.value)
            .values(**values)
        )
        if now is not None:
            stmt = stmt.where(PendingActionRow.expires_at > as_utc(now))
        async with self._db.statement() as conn:
            outcome = await conn.execute(stmt)
        return outcome.rowcount == 1


PENDING_COLUMNS = tuple(PendingActionRow.__table__.columns)  # type: ignore[attr-defined]


def _pending(row: Any) -> PendingAction:
    """A pending action from its row (an ORM row, or a Core row with the same columns)."""
    return PendingAction(
        id=row.id,
        kind=PendingKind(row.kind),
        platform=row.platform,
        user_id=row.user_id,
        channel_id=row.channel_id,
        tool=row.tool,
        resolved=json.loads(row.plan_json),
        options=[tuple(o) for o in json.loads(row.options_json)],
        summary=row.summary,
        text=row.text,
        args_hash=row.args_hash,
        state=PendingState(row.state),
        created_at=aware(row.created_at),
        expires_at=aware(row.expires_at),
        correlation_id=row.correlation_id,
        result=json.loads(row.result_json) if row.result_json else None,
    )
