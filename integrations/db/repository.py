"""sqlmodel-backed repositories for identity links, pending actions and the audit log.

The same code runs on SQLite (the default: one file) and on PostgreSQL (`postgresql+asyncpg://`,
what several replicas share). What makes replicas safe: a click's state moves by one conditional
UPDATE (`SqlPendingRepository.transition`), links are upserts that a unique index keeps to one
chat account per Notion user, and the schema is migrated under a lock, so replicas starting
together take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import tempfile
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import delete, event, func, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.identity import Execution, LinkTaken
from core.pending import PendingAction, PendingKind, PendingState
from core.ports import StorageError
from integrations.db.batch import RowBatcher
from integrations.db.tables import AuditRow, IdentityLink, PendingActionRow, SeenEventRow

T = TypeVar("T")
log = structlog.get_logger("darcy.db")


def as_utc(moment: datetime) -> datetime:
    """Stored in UTC, so that comparisons in SQL agree whatever the workspace timezone."""
    return moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# Any constant: the key of the PostgreSQL advisory lock held while the schema is created.
SCHEMA_LOCK = 0x0DA2C7


class Database:
    """One engine per application instance; the schema is migrated to the newest revision at start
    (alembic: integrations/db/migrations, one hand-written revision per change to a table)."""

    def __init__(self, url: str, *, durable: bool = True) -> None:
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
            # Never an in-memory database: its one shared connection lets one session's
            # rollback undo another's update, which breaks "a click executes once".
            self._scratch = tempfile.TemporaryDirectory(prefix="darcy-")
            url, durable = f"sqlite+aiosqlite:///{self._scratch.name}/darcy.db", False
        elif url.startswith("sqlite") and ":///" in url:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]  # "sqlite" or "postgresql"
        if self.dialect == "sqlite":
            self.engine: AsyncEngine = create_async_engine(url)
            _tune_sqlite(self.engine, durable=durable)
        else:
            # A long-running service: connections dropped by the server or a proxy are replaced.
            self.engine = create_async_engine(url, pool_pre_ping=True, pool_recycle=1800)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.identity = SqlIdentityRepository(self)
        self.pending = SqlPendingRepository(self)
        self.audit = SqlAuditLog(self)
        self.seen_events = SqlSeenEvents(self)
        from integrations.db.conversations import SqlConversationStore  # it builds on this module

        self.conversations = SqlConversationStore(self)

    async def create_schema(self) -> None:
        """Migrate the schema to the newest revision, in one transaction that holds a lock, so
        replicas or processes starting together take turns and the later ones find nothing to
        do. A database made by create_all before alembic is adopted (stamped), its rows kept."""
        async with _migration_lock():
            await self._migrate()

    async def _migrate(self) -> None:
        from integrations.db import migrations  # alembic loads here: never for `darcy --help`

        if self.dialect == "postgresql":
            async with self.engine.begin() as conn:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
                await conn.run_sync(migrations.upgrade)
            return
        async with self.engine.connect() as conn:
            # SQLite: pysqlite's own transaction handling is switched off (it would commit around
            # DDL) for one explicit write transaction, which other processes wait for (busy_timeout).
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                await conn.run_sync(migrations.upgrade)
            except BaseException:
                with contextlib.suppress(Exception):
                    await conn.exec_driver_sql("ROLLBACK")
                raise
            await conn.exec_driver_sql("COMMIT")

    async def ping(self) -> None:
        """Raises if the database can't be reached (readiness)."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def insert(self, table: Any) -> Any:
        """INSERT with ON CONFLICT support, in this database's dialect."""
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table)

    async def close(self) -> None:
        try:
            await self.audit.flush()
        except StorageError as exc:  # nothing more can be done for those rows: say so
            log.error("audit_rows_lost_at_close", error=str(exc))
        finally:
            await self.engine.dispose()
        if self._scratch is not None:
            self._scratch.cleanup()


_MIGRATION_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _migration_lock() -> asyncio.Lock:
    """One migration at a time in a process: alembic keeps the running migration's context in
    module globals (`alembic.context`, `alembic.op`), which two interleaved upgrades (two
    Databases in one process, as in the replica tests) would overwrite."""
    loop = asyncio.get_running_loop()
    if (lock := _MIGRATION_LOCKS.get(loop)) is None:
        lock = _MIGRATION_LOCKS[loop] = asyncio.Lock()
    return lock


def _tune_sqlite(engine: AsyncEngine, *, durable: bool) -> None:
    """WAL lets readers run beside a writer; a busy timeout makes concurrent writers wait
    instead of failing; a throw-away database skips the fsync of each commit."""

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=5000")  # first: switching to WAL may wait for a writer
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
        cursor.close()


def storage_errors(cls: type[T]) -> type[T]:
    """Every public coroutine of a repository raises core's StorageError for a database
    failure, so core can say "nothing was done" without knowing SQLAlchemy."""
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(method):
            continue

        def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            @functools.wraps(fn)
            async def guarded(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(*args, **kwargs)
                except (SQLAlchemyError, OSError) as exc:
                    raise StorageError(f"the database is unavailable ({type(exc).__name__})") from exc

            return guarded

        setattr(cls, name, wrap(method))
    return cls


@storage_errors
class SqlIdentityRepository:
    """Links are read on every message, so found links are kept for a few seconds: a link
    made anywhere shows at once (misses are never cached); an unlink on another replica
    shows within LINK_CACHE_SECONDS."""

    LINK_CACHE_SECONDS = 10.0

    def __init__(self, db: Database) -> None:
        self._db = db
        self._links: dict[tuple[str, str], tuple[float, str]] = {}

    async def lookup(self, platform: str, platform_user_id: str) -> str | None:
        key = (platform, platform_user_id)
        if (hit := self._links.get(key)) is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self._db.sessions() as session:
            row = await session.get(IdentityLink, key)
        if row is None:
            self._links.pop(key, None)
            return None
        self._links[key] = (time.monotonic() + self.LINK_CACHE_SECONDS, row.notion_user_id)
        return row.notion_user_id

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        async with self._db.sessions() as session:
            result = await session.exec(
                select(IdentityLink).where(
                    IdentityLink.platform == platform, IdentityLink.notion_user_id == notion_user_id
                )
            )
            row = result.first()
            return row.platform_user_id if row else None

    async def link(self, platform: str, platform_user_id: str, notion_user_id: str, via: str) -> None:
        """Link (or re-link) one chat account: an upsert, safe when two replicas do it at once.
        Raises LinkTaken if another chat account on `platform` holds that Notion user: the
        database's unique index says so, whichever replica made the other link."""
        self._links.pop((platform, platform_user_id), None)
        stmt = self._db.insert(IdentityLink).values(
            platform=platform,
            platform_user_id=platform_user_id,
            notion_user_id=notion_user_id,
            via=via,
            created_at=_now(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "platform_user_id"],
            set_={"notion_user_id": notion_user_id, "via": via},
        )
        try:
            async with self._db.sessions() as session:
                await session.exec(stmt)  # type: ignore[call-overload]
                await session.commit()
        except IntegrityError as exc:
            if not self._taken(exc):
                raise
            raise LinkTaken(platform, notion_user_id) from exc

    @staticmethod
    def _taken(exc: IntegrityError) -> bool:
        """Whether the one-link-per-Notion-user index refused the row (SQLite names the columns,
        PostgreSQL the index)."""
        said = str(exc.orig)
        return "ix_identity_link_platform_notion_user" in said or "identity_link.notion_user_id" in said

    async def link_many(self, links: list[tuple[str, str, str]], via: str) -> None:
        """Admin mappings applied at start, in one statement; existing links are kept (so replicas
        starting together, or a restart, change nothing). A mapping to a Notion user that another
        chat account on the platform holds is skipped, with a warning."""
        self._links.clear()
        if not links:
            return
        rows = [
            {
                "platform": platform,
                "platform_user_id": platform_user_id,
                "notion_user_id": notion_user_id,
                "via": via,
                "created_at": _now(),
            }
            for platform, platform_user_id, notion_user_id in dict.fromkeys(links)
        ]
        key = (IdentityLink.platform, IdentityLink.platform_user_id)
        # No conflict target: a row is skipped whichever unique index it would break.
        stmt = self._db.insert(IdentityLink).values(rows).on_conflict_do_nothing().returning(*key)
        async with self._db.sessions() as session:
            inserted = {tuple(row) for row in await session.exec(stmt)}  # type: ignore[call-overload]
            skipped = [(r["platform"], r["platform_user_id"]) for r in rows]
            skipped = [k for k in skipped if k not in inserted]
            held: set[tuple[str, str]] = set()
            if skipped:  # already linked (kept), or refused by the one-link-per-Notion-user index
                found = await session.exec(select(*key).where(tuple_(*key).in_(skipped)))
                held = {tuple(row) for row in found}
            await session.commit()
        for platform, platform_user_id in skipped:
            if (platform, platform_user_id) not in held:
                log.warning(
                    "config_link_skipped",
                    platform=platform,
                    platform_user_id=platform_user_id,
                    reason="another chat account on that platform is linked to that Notion user",
                )

    async def all(self) -> list[IdentityLink]:
        async with self._db.sessions() as session:
            stmt = select(IdentityLink).order_by(IdentityLink.platform, IdentityLink.platform_user_id)
            return list((await session.exec(stmt)).all())

    async def unlink(self, platform: str, platform_user_id: str) -> bool:
        self._links.pop((platform, platform_user_id), None)
        async with self._db.sessions() as session:
            row = await session.get(IdentityLink, (platform, platform_user_id))
            if row is None:
                return False
            await session.delete(row)
            await session.commit()
            return True


@storage_errors
class SqlPendingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, action: PendingAction) -> None:
        async with self._db.sessions() as session:
            session.add(
                PendingActionRow(
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
            )
            await session.commit()

    async def get(self, pending_id: str) -> PendingAction | None:
        async with self._db.sessions() as session:
            row = await session.get(PendingActionRow, pending_id)
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
            .values(state=PendingState.CONFIRMED.value, moved_at=_now())
            .returning(PendingActionRow)
        )
        async with self._db.sessions() as session:
            row = (await session.exec(stmt)).scalars().first()  # type: ignore[call-overload]
            await session.commit()
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
        values: dict[str, Any] = {"state": dst.value, "moved_at": _now()}
        if result is not None:
            values["result_json"] = json.dumps(result, default=str)
        stmt = (
            update(PendingActionRow)
            .where(PendingActionRow.id == pending_id, PendingActionRow.state == src.value)
            .values(**values)
        )
        if now is not None:
            stmt = stmt.where(PendingActionRow.expires_at > as_utc(now))
        async with self._db.sessions() as session:
            outcome = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
            return outcome.rowcount == 1


def _pending(row: PendingActionRow) -> PendingAction:
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
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        correlation_id=row.correlation_id,
        result=json.loads(row.result_json) if row.result_json else None,
    )


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
        at=_aware(row.at),
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
            .values(state=PendingState.EXECUTED.value, moved_at=_now(), result_json=json.dumps(result))
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
        now = _now()
        stmt = self._db.insert(SeenEventRow).values(event_id=event_id, seen_at=now)
        stmt = stmt.on_conflict_do_nothing(index_elements=["event_id"])
        async with self._db.sessions() as session:
            if time.monotonic() - self._swept > self.SWEEP_SECONDS:
                self._swept = time.monotonic()
                await session.exec(delete(SeenEventRow).where(SeenEventRow.seen_at < now - self.KEEP))  # type: ignore[call-overload]
            inserted = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
        return bool(inserted.rowcount)
