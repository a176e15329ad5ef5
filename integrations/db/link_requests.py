"""Link requests in the database (core's LinkRequests): links an admin is asked to approve or
deny (`darcy links --pending`), a person's request or a conflict Darcy settled by rank. Asking
again supersedes the account's open request of that kind, and a request moves out of pending
once, by one conditional UPDATE, so two admins deciding together can't both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlmodel import select

from core.identity import LinkRequest, RequestKind, RequestState
from integrations.db.shared import as_utc, aware, insert_superseding, moved_one, storage_errors
from integrations.db.tables import LinkRequestRow

if TYPE_CHECKING:
    from integrations.db.database import Database


@storage_errors
class SqlLinkRequests:
    """Links waiting for an admin's decision; each moves out of pending once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, request: LinkRequest) -> LinkRequest:
        superseded = (
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
        return _request(await insert_superseding(self._db, superseded, row))

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
        return await moved_one(self._db, stmt)


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
        created_at=aware(row.created_at),
        decided_at=aware(row.decided_at) if row.decided_at else None,
    )
