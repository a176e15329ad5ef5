"""Identity links in the database (core's IdentityRepository): which chat account is which
Notion user, and by what proof. Links are read on every message, so found links are cached for
a few seconds; writes take a PostgreSQL advisory lock (SQLite: the write lock), so a link's
checks and its write are one step on every replica, and a unique index keeps one chat account
per Notion user on a platform. The config's [[people]] mappings are applied here at start.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.identity import Link, LinkTaken, Proof, outranks
from integrations.db.shared import aware, storage_errors, utc_now
from integrations.db.tables import IdentityLink

if TYPE_CHECKING:
    from integrations.db.database import Database

log = structlog.get_logger("darcy.db")

# Any constant: the key of the PostgreSQL advisory lock held while identity links are written.
LINK_LOCK = 0x0DA2C8


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
                    created_at=utc_now(),
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=["platform", "platform_user_id"],
                    set_={"notion_user_id": notion_user_id, "via": via, "created_at": utc_now()},
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
            now = utc_now()
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
        created_at=aware(row.created_at) if row.created_at else None,
    )
