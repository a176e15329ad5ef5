"""What every store module in integrations/db shares, apart from the Database itself: a database
failure turned into core's StorageError (`storage_errors`) and times kept in UTC. It exists as
its own module so that database.py can import each store at its top, and each store can import
these without importing database.py: no import cycle, no import inside a function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from core.ports import StorageError

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Update

    from integrations.db.database import Database

T = TypeVar("T")


def as_utc(moment: datetime) -> datetime:
    """Stored in UTC, so that comparisons in SQL agree whatever the workspace timezone."""
    return moment.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A time read back from the database (SQLite drops the zone): in UTC again."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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


async def insert_superseding(db: Database, supersede: Update, row: T) -> T:
    """Insert `row` in the transaction that first runs `supersede` (the UPDATE that retires what
    it replaces: an account's live sign-in code, its open link request); `row` comes back with
    its new id."""
    async with db.sessions() as session:
        await session.exec(supersede)  # type: ignore[call-overload]
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return row


async def moved_one(db: Database, stmt: Update) -> bool:
    """Run one conditional UPDATE and commit it: whether it moved exactly one row (False: the
    row was not in the state the UPDATE asks for, or another caller moved it first)."""
    async with db.sessions() as session:
        outcome = await session.exec(stmt)  # type: ignore[call-overload]
        await session.commit()
        return outcome.rowcount == 1
