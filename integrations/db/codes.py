"""Sign-in codes in the database (core's CodeRepository): hashes only, each chat account's
newest code alone live, its tries counted by one conditional UPDATE so that two guesses on two
replicas can't both slip under the limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, update
from sqlmodel import select

from core.identity import CodeState, SignInCode
from integrations.db.shared import as_utc, aware, insert_superseding, moved_one, storage_errors
from integrations.db.tables import SignInCodeRow

if TYPE_CHECKING:
    from integrations.db.database import Database


@storage_errors
class SqlCodeRepository:
    """Sign-in codes (hashes only), each account's newest alone live; tries counted atomically."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace(self, code: SignInCode) -> SignInCode:
        dead = (
            update(SignInCodeRow)
            .where(
                SignInCodeRow.platform == code.platform,
                SignInCodeRow.platform_user_id == code.platform_user_id,
                SignInCodeRow.state == CodeState.LIVE.value,
            )
            .values(state=CodeState.DEAD.value)
        )
        row = SignInCodeRow(
            **code.model_dump(exclude={"id", "state", "created_at", "expires_at"}),
            state=code.state.value,
            created_at=as_utc(code.created_at),
            expires_at=as_utc(code.expires_at),
        )
        return _code(await insert_superseding(self._db, dead, row))

    async def live(self, platform: str, platform_user_id: str, now: datetime) -> SignInCode | None:
        stmt = (
            select(SignInCodeRow)
            .where(
                SignInCodeRow.platform == platform,
                SignInCodeRow.platform_user_id == platform_user_id,
                SignInCodeRow.state == CodeState.LIVE.value,
                SignInCodeRow.expires_at > as_utc(now),  # type: ignore[operator]
            )
            .order_by(SignInCodeRow.id.desc())  # type: ignore[union-attr]
        )
        async with self._db.sessions() as session:
            row = (await session.exec(stmt)).first()
        return _code(row) if row else None

    async def latest(self, platform: str, platform_user_id: str) -> SignInCode | None:
        stmt = (
            select(SignInCodeRow)
            .where(SignInCodeRow.platform == platform, SignInCodeRow.platform_user_id == platform_user_id)
            .order_by(SignInCodeRow.id.desc())  # type: ignore[union-attr]
        )
        async with self._db.sessions() as session:
            row = (await session.exec(stmt)).first()
        return _code(row) if row else None

    async def live_for(self, platform: str, notion_user_id: str, now: datetime) -> list[SignInCode]:
        stmt = select(SignInCodeRow).where(
            SignInCodeRow.platform == platform,
            SignInCodeRow.notion_user_id == notion_user_id,
            SignInCodeRow.state == CodeState.LIVE.value,
            SignInCodeRow.expires_at > as_utc(now),  # type: ignore[operator]
        )
        async with self._db.sessions() as session:
            return [_code(row) for row in (await session.exec(stmt)).all()]

    async def issued_since(
        self, platform: str, since: datetime, *, user_id: str | None = None, notion_user_id: str | None = None
    ) -> int:
        stmt = select(func.count()).select_from(SignInCodeRow).where(
            SignInCodeRow.platform == platform,
            SignInCodeRow.created_at >= as_utc(since),  # type: ignore[operator]
        )
        if user_id is not None:
            stmt = stmt.where(SignInCodeRow.platform_user_id == user_id)
        if notion_user_id is not None:
            stmt = stmt.where(SignInCodeRow.notion_user_id == notion_user_id)
        async with self._db.sessions() as session:
            return int((await session.exec(stmt)).one())

    async def attempt(self, code_id: int, max_attempts: int) -> int | None:
        counted = (
            update(SignInCodeRow)
            .where(
                SignInCodeRow.id == code_id,
                SignInCodeRow.state == CodeState.LIVE.value,
                SignInCodeRow.attempts < max_attempts,  # type: ignore[operator]
            )
            .values(attempts=SignInCodeRow.attempts + 1)
            .returning(SignInCodeRow.attempts)
        )
        async with self._db.sessions() as session:
            tries = (await session.exec(counted)).scalar()  # type: ignore[call-overload]
            if tries is None:
                await session.exec(  # type: ignore[call-overload]
                    update(SignInCodeRow)
                    .where(SignInCodeRow.id == code_id, SignInCodeRow.state == CodeState.LIVE.value)
                    .values(state=CodeState.DEAD.value)
                )
            await session.commit()
        return None if tries is None else int(tries)

    async def use(self, code_id: int) -> bool:
        stmt = (
            update(SignInCodeRow)
            .where(SignInCodeRow.id == code_id, SignInCodeRow.state == CodeState.LIVE.value)
            .values(state=CodeState.USED.value)
        )
        return await moved_one(self._db, stmt)


def _code(row: SignInCodeRow) -> SignInCode:
    return SignInCode(
        id=row.id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        notion_user_id=row.notion_user_id,
        email=row.email,
        code_hash=row.code_hash,
        created_at=aware(row.created_at),
        expires_at=aware(row.expires_at),
        attempts=row.attempts,
        state=CodeState(row.state),
    )
