"""The notification ledger in Darcy's database (core.notify.ports.NoticeLedger).

Exactly once rests on two statements, the pattern of pending actions: a notice is an INSERT …
ON CONFLICT DO NOTHING under its unique key (the one caller that inserted it sends it), and
told assignments and due snoozes move by one conditional UPDATE … RETURNING (the rows a caller
got back are its alone). Both hold across replicas on PostgreSQL and processes on one SQLite file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, tuple_, update
from sqlmodel import select

from core.notify.planner import ChannelDigest, Seen
from core.notify.ports import NoticeRecord
from integrations.db.database import Database
from integrations.db.shared import as_utc, aware, storage_errors
from integrations.db.tables import (
    IdentityLink,
    NoticeAssignmentRow,
    NoticeDigestRow,
    NoticeFinishedRow,
    NoticePrefsRow,
    NoticeRow,
)


def _record(row: NoticeRow) -> NoticeRecord:
    return NoticeRecord(
        id=row.id,
        key=row.key,
        kind=row.kind,
        person=row.notion_user_id,
        platform=row.platform,
        chat_id=row.chat_id,
        payload=json.loads(row.payload_json),
        state=row.state,
        fire_at=aware(row.fire_at),
    )


@storage_errors
class SqlNoticeLedger:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.calls = 0  # statements run: the bench's database cost

    async def claim(self, record: NoticeRecord) -> bool:
        self.calls += 1
        stmt = (
            self._db.insert(NoticeRow)
            .values(
                id=record.id,
                key=record.key,
                kind=record.kind,
                notion_user_id=record.person,
                platform=record.platform,
                chat_id=record.chat_id,
                payload_json=json.dumps(record.payload),
                state=record.state,
                fire_at=as_utc(record.fire_at),
                created_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self._db.sessions() as session:
            inserted = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
        return bool(inserted.rowcount)

    async def known(self, since: datetime) -> set[str]:
        """Keys of notices whose time is `since` or later: one read a tick, instead of a claim
        tried again (and refused) for every notice still inside the catch-up window."""
        self.calls += 1
        stmt = select(NoticeRow.key).where(NoticeRow.fire_at >= as_utc(since))  # type: ignore[operator]
        async with self._db.sessions() as session:
            return set((await session.exec(stmt)).all())

    async def prune(self, before: datetime) -> int:
        """Forget notices whose time is long past (their keys can't come back: the planner only
        looks `catch_up_hours` back); a waiting snooze is kept."""
        stmt = delete(NoticeRow).where(
            NoticeRow.fire_at < as_utc(before),  # type: ignore[operator]
            NoticeRow.state != "scheduled",
        )
        async with self._db.sessions() as session:
            gone = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
        return int(gone.rowcount or 0)

    async def settle(self, notice_id: str, state: str) -> None:
        self.calls += 1
        stmt = (
            update(NoticeRow)
            .where(NoticeRow.id == notice_id)
            .values(state=state, settled_at=datetime.now(UTC))
        )
        async with self._db.sessions() as session:
            await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()

    async def get(self, notice_id: str) -> NoticeRecord | None:
        async with self._db.sessions() as session:
            row = await session.get(NoticeRow, notice_id)
        return None if row is None else _record(row)

    async def take_scheduled(self, now: datetime) -> list[NoticeRecord]:
        self.calls += 1
        stmt = (
            update(NoticeRow)
            .where(NoticeRow.state == "scheduled", NoticeRow.fire_at <= as_utc(now))  # type: ignore[operator]
            .values(state="claimed")
            .returning(NoticeRow)
        )
        async with self._db.sessions() as session:
            rows = (await session.exec(stmt)).scalars().all()  # type: ignore[call-overload]
            await session.commit()
        return [_record(row) for row in rows]

    async def assignments(self, pairs: list[tuple[str, str]] | None = None) -> dict[tuple[str, str], Seen]:
        self.calls += 1
        stmt = select(NoticeAssignmentRow)
        if pairs is not None:
            key = tuple_(NoticeAssignmentRow.task_id, NoticeAssignmentRow.notion_user_id)
            stmt = stmt.where(key.in_(pairs))
        async with self._db.sessions() as session:
            rows = (await session.exec(stmt)).all()
        return {(r.task_id, r.notion_user_id): Seen(aware(r.seen_at), r.actor, r.notified) for r in rows}

    async def observe(self, rows: list[tuple[str, str, Seen]]) -> None:
        if not rows:
            return
        self.calls += 1
        values = [
            {
                "task_id": task_id,
                "notion_user_id": person,
                "seen_at": as_utc(seen.seen_at),
                "actor": seen.actor,
                "notified": seen.notified,
            }
            for task_id, person, seen in {(t, p): (t, p, s) for t, p, s in rows}.values()
        ]
        stmt = self._db.insert(NoticeAssignmentRow).values(values).on_conflict_do_nothing()
        async with self._db.sessions() as session:
            await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()

    async def forget(self, pairs: list[tuple[str, str]]) -> None:
        if not pairs:
            return
        self.calls += 1
        key = tuple_(NoticeAssignmentRow.task_id, NoticeAssignmentRow.notion_user_id)
        async with self._db.sessions() as session:
            await session.exec(delete(NoticeAssignmentRow).where(key.in_(pairs)))  # type: ignore[call-overload]
            await session.commit()

    async def take_assignments(self, person: str, task_ids: list[str]) -> list[str]:
        self.calls += 1
        stmt = (
            update(NoticeAssignmentRow)
            .where(
                NoticeAssignmentRow.notion_user_id == person,
                NoticeAssignmentRow.task_id.in_(task_ids),  # type: ignore[attr-defined]
                NoticeAssignmentRow.notified == False,  # noqa: E712 - SQL, not Python
            )
            .values(notified=True)
            .returning(NoticeAssignmentRow.task_id)
        )
        async with self._db.sessions() as session:
            taken = [row[0] for row in await session.exec(stmt)]  # type: ignore[call-overload]
            await session.commit()
        return taken

    async def linked(self) -> list[tuple[str, str, str]]:
        self.calls += 1
        async with self._db.sessions() as session:
            rows = (await session.exec(select(IdentityLink))).all()
        return [(r.platform, r.platform_user_id, r.notion_user_id) for r in rows]

    async def prefs(self) -> dict[str, dict[str, Any]]:
        self.calls += 1
        async with self._db.sessions() as session:
            rows = (await session.exec(select(NoticePrefsRow))).all()
        return {r.notion_user_id: json.loads(r.prefs_json) for r in rows}

    async def set_prefs(self, person: str, changes: dict[str, Any]) -> dict[str, Any]:
        async with self._db.sessions() as session:
            row = await session.get(NoticePrefsRow, person)
            merged = {**(json.loads(row.prefs_json) if row else {}), **changes}
            merged = {k: v for k, v in merged.items() if v is not None or k.startswith("quiet")}
            if row is None:
                row = NoticePrefsRow(notion_user_id=person)
            row.prefs_json, row.updated_at = json.dumps(merged), datetime.now(UTC)
            session.add(row)
            await session.commit()
        return merged

    async def digests(self, timezone: str) -> list[ChannelDigest]:
        self.calls += 1
        async with self._db.sessions() as session:
            rows = (await session.exec(select(NoticeDigestRow))).all()
        return [
            ChannelDigest(
                r.id, r.project_id, r.project_name, r.platform, r.channel_id, r.weekday, r.at, timezone
            )
            for r in rows
        ]

    async def set_digest(self, digest: ChannelDigest, created_by: str) -> None:
        values = {
            "project_id": digest.project_id,
            "project_name": digest.project_name,
            "platform": digest.platform,
            "channel_id": digest.channel_id,
            "weekday": digest.weekday,
            "at": digest.at,
            "created_by": created_by,
        }
        stmt = self._db.insert(NoticeDigestRow).values(id=digest.id, created_at=datetime.now(UTC), **values)
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_=values)
        async with self._db.sessions() as session:
            await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()

    async def drop_digest(self, digest_id: str) -> bool:
        async with self._db.sessions() as session:
            gone = await session.exec(delete(NoticeDigestRow).where(NoticeDigestRow.id == digest_id))  # type: ignore[call-overload]
            await session.commit()
        return bool(gone.rowcount)

    async def finished(self) -> dict[str, datetime]:
        self.calls += 1
        async with self._db.sessions() as session:
            rows = (await session.exec(select(NoticeFinishedRow))).all()
        return {r.task_id: aware(r.finished_at) for r in rows}

    async def observe_finished(self, seen: dict[str, datetime], reopened: list[str]) -> None:
        async with self._db.sessions() as session:
            if seen:
                self.calls += 1
                rows = [{"task_id": k, "finished_at": as_utc(v)} for k, v in seen.items()]
                await session.exec(self._db.insert(NoticeFinishedRow).values(rows).on_conflict_do_nothing())  # type: ignore[call-overload]
            if reopened:
                self.calls += 1
                await session.exec(delete(NoticeFinishedRow).where(NoticeFinishedRow.task_id.in_(reopened)))  # type: ignore[call-overload,attr-defined]
            await session.commit()
