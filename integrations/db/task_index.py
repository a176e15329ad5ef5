"""The task index's rows and state in Darcy's database, shared by replicas (issue #19).

Every write bumps `task_index_state.version` and stamps the rows it wrote with it, in one
transaction: a replica follows every change (the refresher's, another replica's own writes)
by asking for the rows above the version it last saw. One replica refreshes from Notion at a
time: it holds a lease (`take_lease`), a conditional UPDATE of the state row, so it works the
same on SQLite and PostgreSQL, and expires by itself when its holder dies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import select

from core.domain import Task
from integrations.db.database import Database
from integrations.db.shared import storage_errors
from integrations.db.tables import TaskIndexRow, TaskIndexState

KEY = "tasks"
CHUNK = 500  # rows per INSERT: a first sync of 35,000 pages is 70 statements, not 35,000


@dataclass(frozen=True)
class IndexedTask:
    """A task as the index holds it, with Notion's last_edited_time."""

    task: Task
    last_edited: str


@dataclass(frozen=True)
class Changes:
    """What changed since a version: live tasks to (re)place and ids that left the board."""

    version: int
    generation: int
    tasks: list[Task]
    gone: list[str]


@storage_errors
class SqlTaskIndex:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def state(self) -> TaskIndexState:
        """The state row (made on first use)."""
        async with self._db.sessions() as session:
            row = await session.get(TaskIndexState, KEY)
            if row is None:
                stmt = self._db.insert(TaskIndexState).values(key=KEY).on_conflict_do_nothing(
                    index_elements=["key"])
                await session.exec(stmt)  # type: ignore[call-overload]
                await session.commit()
                row = await session.get(TaskIndexState, KEY)
            assert row is not None
            return row

    async def update_state(self, **values: Any) -> None:
        async with self._db.sessions() as session:
            await session.exec(update(TaskIndexState).where(TaskIndexState.key == KEY).values(**values))  # type: ignore[call-overload]
            await session.commit()

    async def take_lease(self, owner: str, seconds: float) -> bool:
        """True when `owner` holds the refresh lease now (taken, renewed, or expired and taken)."""
        await self.state()
        now = datetime.now(UTC)
        stmt = (
            update(TaskIndexState)
            .where(TaskIndexState.key == KEY)
            .where(or_(TaskIndexState.lease_owner.is_(None), TaskIndexState.lease_owner == owner,  # type: ignore[union-attr]
                       TaskIndexState.lease_until < now))  # type: ignore[operator]
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
        )
        async with self._db.sessions() as session:
            result = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
        return bool(result.rowcount)

    async def release_lease(self, owner: str) -> None:
        async with self._db.sessions() as session:
            await session.exec(update(TaskIndexState).where(TaskIndexState.key == KEY)  # type: ignore[call-overload]
                               .where(TaskIndexState.lease_owner == owner)
                               .values(lease_owner=None, lease_until=None))
            await session.commit()

    async def put(self, tasks: Iterable[IndexedTask], gone: Iterable[str] = (), **state: Any) -> int:
        """Write live tasks and mark ids gone, under one new version; `state` columns too.
        A row already holding a later edit than the one given is left as it is (a refresh
        that read a page before Darcy's own write landed must not undo it)."""
        tasks, gone = list(tasks), list(gone)
        async with self._db.sessions() as session:
            version = await self._bump(session, **state)
            for start in range(0, len(tasks), CHUNK):
                rows = [_row(t, version) for t in tasks[start:start + CHUNK]]
                stmt = self._db.insert(TaskIndexRow).values(rows)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["task_id"],
                    set_={c: stmt.excluded[c] for c in rows[0] if c != "task_id"},
                    where=TaskIndexRow.last_edited <= stmt.excluded.last_edited,
                )
                await session.exec(stmt)  # type: ignore[call-overload]
            for start in range(0, len(gone), CHUNK):
                await session.exec(update(TaskIndexRow)  # type: ignore[call-overload]
                                   .where(TaskIndexRow.task_id.in_(gone[start:start + CHUNK]))  # type: ignore[attr-defined]
                                   .values(gone=True, version=version))
            await session.commit()
        return version

    async def sweep(self, live_ids: set[str], **state: Any) -> list[str]:
        """Mark gone every row whose page was not among `live_ids` (a full listing of the board:
        pages moved to another data source never show in an edited-since query)."""
        async with self._db.sessions() as session:
            known = set((await session.exec(select(TaskIndexRow.task_id)  # type: ignore[call-overload]
                                             .where(TaskIndexRow.gone.is_(False)))).all())  # type: ignore[attr-defined]
        left = sorted(known - live_ids)
        await self.put([], left, **state)
        return left

    async def changes(self, since: int, generation: int) -> Changes:
        """Rows written after version `since`; everything when the index was rebuilt since."""
        state = await self.state()
        if state.generation != generation:
            since = -1
        if state.version <= since:
            return Changes(state.version, state.generation, [], [])
        async with self._db.sessions() as session:
            rows = (await session.exec(select(TaskIndexRow).where(TaskIndexRow.version > since))).all()
        live = [_task(r) for r in rows if not r.gone]
        return Changes(max([state.version, *(r.version for r in rows)]), state.generation, live,
                       [r.task_id for r in rows if r.gone])

    async def clear(self, mapping: str) -> None:
        """Forget every row, for a rebuild (the mapping changed, or `darcy index rebuild`)."""
        async with self._db.sessions() as session:
            await session.exec(delete(TaskIndexRow))  # type: ignore[call-overload]
            await session.exec(update(TaskIndexState).where(TaskIndexState.key == KEY).values(  # type: ignore[call-overload]
                generation=TaskIndexState.generation + 1, version=TaskIndexState.version + 1, mapping=mapping,
                watermark=None, trash_watermark=None, synced_at=None, sync_tasks=0, swept_at=None))
            await session.commit()

    async def count(self) -> int:
        async with self._db.sessions() as session:
            return int((await session.exec(select(func.count()).select_from(TaskIndexRow)  # type: ignore[call-overload]
                                           .where(TaskIndexRow.gone.is_(False)))).one())  # type: ignore[attr-defined]

    async def _bump(self, session: Any, **state: Any) -> int:
        bump = update(TaskIndexState).where(TaskIndexState.key == KEY).values(
            version=TaskIndexState.version + 1, **state)
        if not (await session.exec(bump)).rowcount:  # the first write ever: no state row yet
            await session.exec(self._db.insert(TaskIndexState).values(key=KEY).on_conflict_do_nothing(
                index_elements=["key"]))
            await session.exec(bump)
        row = (await session.exec(select(TaskIndexState.version).where(TaskIndexState.key == KEY))).one()
        return int(row)


def _row(item: IndexedTask, version: int) -> dict[str, Any]:
    t = item.task
    return {"task_id": t.id, "title": t.title, "status": t.status, "assignee_ids": json.dumps(t.assignee_ids),
            "project_ids": json.dumps(t.project_ids), "due": t.due, "url": t.url,
            "last_edited": item.last_edited, "version": version, "gone": False}


def _task(row: TaskIndexRow) -> Task:
    return Task(id=row.task_id, title=row.title, status=row.status, assignee_ids=json.loads(row.assignee_ids),
                project_ids=json.loads(row.project_ids), due=row.due, url=row.url)
