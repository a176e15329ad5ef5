"""Conversations in the database (core/conversation.py's ConversationStore): one row per
(platform, channel, user), so every replica, and the process after a restart, sees the same.

Each call is one statement that commits by itself (`Database.statement`): a read is one
SELECT, a write one conditional UPDATE (or an INSERT that does nothing if another replica
inserted first), and a write that matched no row lost the race (compare-and-set on `version`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from core.conversation import Conversation, Key, Stored
from integrations.db.shared import as_utc, aware, storage_errors
from integrations.db.tables import ConversationRow

if TYPE_CHECKING:
    from integrations.db.database import Database

Row = ConversationRow


@storage_errors
class SqlConversationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _where(key: Key) -> tuple[object, ...]:
        platform, channel_id, user_id = key
        return (Row.platform == platform, Row.channel_id == channel_id, Row.user_id == user_id)

    async def load(self, key: Key, now: datetime) -> Stored:
        stmt = select(Row.version, Row.data_json, Row.expires_at).where(*self._where(key))  # type: ignore[arg-type]
        async with self._db.statement() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            return Stored(Conversation())
        version, data, expires_at = row
        if aware(expires_at) <= now:  # expired, not yet swept: empty, but the next write updates it
            return Stored(Conversation(), version)
        return Stored(Conversation.model_validate_json(data), version)

    async def save(self, key: Key, convo: Conversation, version: int, expires_at: datetime) -> bool:
        values = {"data_json": convo.model_dump_json(), "expires_at": as_utc(expires_at)}
        if version == 0:
            platform, channel_id, user_id = key
            stmt = self._db.insert(Row).values(
                platform=platform, channel_id=channel_id, user_id=user_id, version=1, **values
            )
            stmt = stmt.on_conflict_do_nothing(index_elements=["platform", "channel_id", "user_id"])
        else:
            stmt = (
                update(Row)
                .where(*self._where(key), Row.version == version)  # type: ignore[arg-type]
                .values(version=version + 1, **values)
            )
        async with self._db.statement() as conn:
            result = await conn.execute(stmt)
        return result.rowcount == 1

    async def forget_expired(self, now: datetime) -> int:
        stmt = delete(Row).where(Row.expires_at <= as_utc(now))  # type: ignore[arg-type]
        async with self._db.statement() as conn:
            result = await conn.execute(stmt)
        return result.rowcount or 0
