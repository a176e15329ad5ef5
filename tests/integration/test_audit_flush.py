"""Decision rows are written in the background; a reader never misses one in flight."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.db.database import Database


async def test_a_reader_waits_for_a_flush_under_way_and_order_is_kept(tmp_path, monkeypatch) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    await db.create_schema()
    commit, commits = AsyncSession.commit, []

    async def first_commit_is_slow(session: AsyncSession) -> None:
        commits.append(session)
        if len(commits) == 1:
            await asyncio.sleep(0.2)  # the background flush's commit takes a while
        await commit(session)

    monkeypatch.setattr(AsyncSession, "commit", first_commit_is_slow)
    try:
        at = datetime(2026, 11, 18, tzinfo=UTC)
        common = {"at": at, "correlation_id": "c", "platform": "terminal", "user_id": "dan"}
        await db.audit.record(decision="deny", **common)
        await db.audit.record(decision="confirm", **common)
        background = asyncio.create_task(db.audit.flush())  # a flush in flight…
        await asyncio.sleep(0)
        await db.audit.record(decision="executed", **common)  # …and a write's row meanwhile
        rows = await db.audit.rows(user_id="dan")
        await background
        assert [r.decision for r in rows] == ["deny", "confirm", "executed"]
    finally:
        await db.close()


async def test_closing_writes_what_is_queued(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    db = Database(url)
    await db.create_schema()
    await db.audit.record(
        at=datetime.now(UTC), correlation_id="c", platform="slack", user_id="U1", decision="none"
    )
    await db.close()
    again = Database(url)
    try:
        assert [r.decision for r in await again.audit.rows()] == ["none"]
    finally:
        await again.close()
