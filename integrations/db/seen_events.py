"""Chat platform event ids already taken in, in the database: the table that lets several
replicas behind one Slack app handle each event once (the first to insert the id wins), with
old ids swept now and then by whichever replica is inserting.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from integrations.db.shared import storage_errors, utc_now
from integrations.db.tables import SeenEventRow

if TYPE_CHECKING:
    from integrations.db.database import Database


@storage_errors
class SqlSeenEvents:
    """Chat platform event ids already taken in, shared by every replica on this database: the
    first replica to insert an id handles the event, a retry anywhere finds it. Ids are kept
    KEEP long (Slack's last retry comes about 5 minutes after the event); older rows are
    deleted now and then by whichever replica is inserting."""

    KEEP = timedelta(hours=1)
    SWEEP_SECONDS = 60.0

    def __init__(self, db: Database) -> None:
        self._db = db
        self._swept = float("-inf")

    async def first_time(self, event_id: str) -> bool:
        now = utc_now()
        stmt = self._db.insert(SeenEventRow).values(event_id=event_id, seen_at=now)
        stmt = stmt.on_conflict_do_nothing(index_elements=["event_id"])
        async with self._db.sessions() as session:
            if time.monotonic() - self._swept > self.SWEEP_SECONDS:
                self._swept = time.monotonic()
                await session.exec(delete(SeenEventRow).where(SeenEventRow.seen_at < now - self.KEEP))  # type: ignore[call-overload]
            inserted = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
        return bool(inserted.rowcount)
