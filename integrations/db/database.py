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
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import delete, event, func, insert, or_, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.identity import (
    CodeState,
    Execution,
    Link,
    LinkRequest,
    LinkTaken,
    Proof,
    RequestKind,
    RequestState,
    SignInCode,
    outranks,
)
from core.pending import PendingAction, PendingKind, PendingState
from core.ports import StorageError
from integrations.db.batch import RowBatcher
from integrations.db.tables import (
    AuditRow,
    IdentityLink,
    LinkRequestRow,
    PendingActionRow,
    SeenEventRow,
    SignInCodeRow,
)

T = TypeVar("T")
log = structlog.get_logger("darcy.db")


def as_utc(moment: datetime) -> datetime:
    """Stored in UTC, so that comparisons in SQL agree whatever the workspace timezone."""
    return moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# Any constants: the keys of the PostgreSQL advisory locks held while the schema is created,
# and while identity links are written (a link's checks and its write are one step).
SCHEMA_LOCK = 0x0DA2C7
LINK_LOCK = 0x0DA2C8


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
        self._pinned: AsyncConnection | None = None  # SQLite's connection for `statement`
        self._pinned_turn = asyncio.Lock()
        self.identity = SqlIdentityRepository(self)
        self.codes = SqlCodeRepository(self)
        self.link_requests = SqlLinkRequests(self)
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

    @contextlib.asynccontextmanager
    async def writing(self, lock: int) -> AsyncIterator[AsyncConnection]:
        """One write transaction that reads first and writes after, taken in turns with every
        other process: PostgreSQL under the advisory lock `lock`; SQLite as BEGIN IMMEDIATE
        (the write lock from the start, so no reader in it is overtaken by another writer)."""
        if self.dialect == "postgresql":
            async with self.engine.begin() as conn:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
                yield conn
            return
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(Exception):
                    await conn.exec_driver_sql("ROLLBACK")
                raise
            await conn.exec_driver_sql("COMMIT")

    @contextlib.asynccontextmanager
    async def statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement that commits by itself (a read, a compare-and-set,
        one insert): the path every message takes. PostgreSQL: a pooled connection in
        autocommit (no BEGIN and COMMIT round trips). SQLite: one connection kept open in
        autocommit mode and taken in turns; a pool checkout and a transaction around each
        statement cost more than the statement (0.9 ms against 0.45 ms, measured here)."""
        if self.dialect == "postgresql":
            async with self.engine.connect() as conn:
                yield await conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        async with self._pinned_turn:
            if self._pinned is None:
                conn = await self.engine.connect()
                self._pinned = await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                yield self._pinned
            except (SQLAlchemyError, OSError):
                await self._unpin()  # a broken connection is replaced at the next statement
                raise

    async def _unpin(self) -> None:
        pinned, self._pinned = self._pinned, None
        if pinned is not None:
            with contextlib.suppress(Exception):
                await pinned.close()

    async def close(self) -> None:
        await self._unpin()
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
    shows within LINK_CACHE_SECONDS. Writes take the link lock: a link's checks (who holds
    the Notion user, by which proof) and its write are one step on every replica."""

    LINK_CACHE_SECONDS = 10.0

    def __init__(self, db: Database) -> None:
        self._db = db
        self._links: dict[tuple[str, str], tuple[float, Link]] = {}

    async def lookup(self, platform: str, platform_user_id: str) -> str | None:
        found = await self.link_of(platform, platform_user_id)
        return found.notion_user_id if found else None

    async def link_of(self, platform: str, platform_user_id: str) -> Link | None:
        key = (platform, platform_user_id)
        if (hit := self._links.get(key)) is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self._db.sessions() as session:
            row = await session.get(IdentityLink, key)
        if row is None:
            self._links.pop(key, None)
            return None
        found = _link(row)
        self._links[key] = (time.monotonic() + self.LINK_CACHE_SECONDS, found)
        return found

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        found = await self.holding(platform, notion_user_id)
        return found.platform_user_id if found else None

    async def holding(self, platform: str, notion_user_id: str) -> Link | None:
        async with self._db.sessions() as session:
            result = await session.exec(
                select(IdentityLink).where(
                    IdentityLink.platform == platform, IdentityLink.notion_user_id == notion_user_id
                )
            )
            row = result.first()
            return _link(row) if row else None

    async def link(
        self, platform: str, platform_user_id: str, notion_user_id: str, via: str
    ) -> Link | None:
        """Link (or re-link) one chat account. Another account on `platform` holding that
        Notion user by a weaker proof is unlinked in the same transaction and returned; by an
        equal or stronger one, LinkTaken. The unique index stays the last word (LinkTaken)."""
        self._links.pop((platform, platform_user_id), None)
        table = IdentityLink.__table__  # type: ignore[attr-defined]
        try:
            async with self._db.writing(LINK_LOCK) as conn:
                found = await conn.execute(
                    select(table).where(
                        table.c.platform == platform, table.c.notion_user_id == notion_user_id
                    )
                )
                row = found.mappings().first()
                displaced = None
                if row is not None and row["platform_user_id"] != platform_user_id:
                    if not outranks(via, row["via"]):
                        raise LinkTaken(platform, notion_user_id)
                    displaced = Link(**row)
                    await conn.execute(
                        delete(table).where(
                            table.c.platform == platform, table.c.platform_user_id == row["platform_user_id"]
                        )
                    )
                stmt = self._db.insert(table).values(
                    platform=platform,
                    platform_user_id=platform_user_id,
                    notion_user_id=notion_user_id,
                    via=via,
                    created_at=_now(),
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=["platform", "platform_user_id"],
                    set_={"notion_user_id": notion_user_id, "via": via, "created_at": _now()},
                )
                await conn.execute(stmt)
        except IntegrityError as exc:
            if not self._taken(exc):
                raise
            raise LinkTaken(platform, notion_user_id) from exc
        if displaced is not None:
            self._links.pop((platform, displaced.platform_user_id), None)
        return displaced

    @staticmethod
    def _taken(exc: IntegrityError) -> bool:
        """Whether the one-link-per-Notion-user index refused the row (SQLite names the columns,
        PostgreSQL the index)."""
        said = str(exc.orig)
        return "ix_identity_link_platform_notion_user" in said or "identity_link.notion_user_id" in said

    async def link_many(self, links: list[tuple[str, str, str]], via: str = Proof.CONFIG) -> list[Link]:
        """The config's mappings, applied at start in one transaction: they win over any other
        link. Each mapped chat account is linked to its Notion user (a link it had to someone
        else is replaced); any other account holding that Notion user is unlinked. Returns
        every link that was replaced or unlinked and was not the config's own (a mapping that
        changed): the caller reports them. Two mappings of one Notion user on one platform:
        the first wins and the other is returned as refused (its `via` says "config").
        Replicas starting together, or a restart, change nothing."""
        self._links.clear()
        wanted: dict[tuple[str, str], str] = {}
        taken: dict[tuple[str, str], str] = {}
        refused: list[Link] = []
        for platform, user_id, notion_user_id in dict.fromkeys(links):
            if (platform, user_id) in wanted:
                continue  # the same account mapped twice: the first mapping counts
            if (platform, notion_user_id) in taken:
                refused.append(Link(platform=platform, platform_user_id=user_id,
                                    notion_user_id=notion_user_id, via=via))
                continue
            wanted[(platform, user_id)] = notion_user_id
            taken[(platform, notion_user_id)] = user_id
        if not wanted:
            return refused
        table = IdentityLink.__table__  # type: ignore[attr-defined]
        replaced: list[Link] = []
        async with self._db.writing(LINK_LOCK) as conn:
            platforms = {platform for platform, _ in wanted}
            rows = (await conn.execute(select(table).where(table.c.platform.in_(platforms)))).mappings().all()
            for row in rows:
                account = (row["platform"], row["platform_user_id"])
                mapped = wanted.get(account)
                owner = taken.get((row["platform"], row["notion_user_id"]))
                if mapped == row["notion_user_id"]:
                    continue  # as the config says (its proof becomes the config's below)
                if mapped is None and owner is None:
                    continue  # nothing to do with the config
                await conn.execute(
                    delete(table).where(
                        table.c.platform == row["platform"],
                        table.c.platform_user_id == row["platform_user_id"],
                    )
                )
                if row["via"] != via:
                    replaced.append(Link(**row))
            now = _now()
            stmt = self._db.insert(table).values(
                [
                    {"platform": platform, "platform_user_id": user_id, "notion_user_id": notion_user_id,
                     "via": via, "created_at": now}
                    for (platform, user_id), notion_user_id in wanted.items()
                ]
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["platform", "platform_user_id"],
                set_={"notion_user_id": stmt.excluded.notion_user_id, "via": via},
            )
            await conn.execute(stmt)
        self._links.clear()
        for link in refused:
            log.warning(
                "config_link_refused",
                platform=link.platform,
                platform_user_id=link.platform_user_id,
                reason="an earlier [[people]] entry maps another chat account on that platform "
                "to that Notion user",
            )
        return replaced + refused

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


def _link(row: IdentityLink) -> Link:
    return Link(
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        notion_user_id=row.notion_user_id,
        via=row.via,
        created_at=_aware(row.created_at) if row.created_at else None,
    )


@storage_errors
class SqlCodeRepository:
    """Sign-in codes (hashes only), each account's newest alone live; tries counted atomically."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace(self, code: SignInCode) -> SignInCode:
        async with self._db.sessions() as session:
            await session.exec(  # type: ignore[call-overload]
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
            session.add(row)
            await session.commit()
            await session.refresh(row)
            return _code(row)

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
        async with self._db.sessions() as session:
            outcome = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
            return outcome.rowcount == 1


def _code(row: SignInCodeRow) -> SignInCode:
    return SignInCode(
        id=row.id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        notion_user_id=row.notion_user_id,
        email=row.email,
        code_hash=row.code_hash,
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        attempts=row.attempts,
        state=CodeState(row.state),
    )


@storage_errors
class SqlLinkRequests:
    """Links waiting for an admin's decision; each moves out of pending once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, request: LinkRequest) -> LinkRequest:
        async with self._db.sessions() as session:
            await session.exec(  # type: ignore[call-overload]
                update(LinkRequestRow)
                .where(
                    LinkRequestRow.platform == request.platform,
                    LinkRequestRow.platform_user_id == request.platform_user_id,
                    LinkRequestRow.kind == request.kind.value,
                    LinkRequestRow.state == RequestState.PENDING.value,
                    or_(
                        LinkRequestRow.kind == RequestKind.APPROVAL.value,
                        LinkRequestRow.notion_user_id == request.notion_user_id,
                    ),
                )
                .values(state=RequestState.SUPERSEDED.value, decided_at=as_utc(request.created_at))
            )
            row = LinkRequestRow(
                **request.model_dump(exclude={"id", "kind", "state", "created_at", "decided_at"}),
                kind=request.kind.value,
                state=request.state.value,
                created_at=as_utc(request.created_at),
            )
            session.add(row)
            await session.commit()
            await session.refresh(row)
            return _request(row)

    async def pending(self) -> list[LinkRequest]:
        stmt = (
            select(LinkRequestRow)
            .where(LinkRequestRow.state == RequestState.PENDING.value)
            .order_by(LinkRequestRow.id)  # type: ignore[arg-type]
        )
        async with self._db.sessions() as session:
            return [_request(row) for row in (await session.exec(stmt)).all()]

    async def get(self, request_id: int) -> LinkRequest | None:
        async with self._db.sessions() as session:
            row = await session.get(LinkRequestRow, request_id)
            return _request(row) if row else None

    async def decide(self, request_id: int, state: RequestState, at: datetime) -> bool:
        stmt = (
            update(LinkRequestRow)
            .where(LinkRequestRow.id == request_id, LinkRequestRow.state == RequestState.PENDING.value)
            .values(state=state.value, decided_at=as_utc(at))
        )
        async with self._db.sessions() as session:
            outcome = await session.exec(stmt)  # type: ignore[call-overload]
            await session.commit()
            return outcome.rowcount == 1


def _request(row: LinkRequestRow) -> LinkRequest:
    return LinkRequest(
        id=row.id,
        kind=RequestKind(row.kind),
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        email=row.email,
        notion_user_id=row.notion_user_id,
        reason=row.reason,
        state=RequestState(row.state),
        created_at=_aware(row.created_at),
        decided_at=_aware(row.decided_at) if row.decided_at else None,
    )


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
            .values(state=PendingState.CONFIRMED.value, moved_at=_now())
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
