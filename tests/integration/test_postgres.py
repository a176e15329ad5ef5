"""Storage, identity and pending actions on SQLite and on PostgreSQL: the repositories directly
(each test runs on both), then the end-to-end pending-action and identity tests of tests/e2e
again with their `app` on PostgreSQL (SQLite runs them in their own modules).

PostgreSQL comes from tests/pg.py: a throw-away server when the binaries are installed,
otherwise those variants are skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from e2e.test_gate_and_pending import (  # noqa: F401
    test_double_click_executes_once,
    test_identity_paths,
    test_undo_is_bounded_by_its_window,
)
from e2e.test_terminal_flows import (  # noqa: F401
    test_an_expired_confirmation_writes_nothing,
    test_update_with_disambiguation_marks_the_picked_task_done,
    test_verification_links_then_answers_the_original_request,
)

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.pending import PendingAction, PendingKind, PendingState
from integrations.db.database import Database

MELBOURNE = ZoneInfo("Australia/Melbourne")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=MELBOURNE)


@pytest.fixture
async def app(postgres_url: str, clock) -> AsyncIterator[App]:
    """The e2e tests imported above get a whole Darcy whose database is PostgreSQL."""
    application = await bootstrap(load_settings(database={"url": postgres_url}), clock=clock)
    assert application.db.dialect == "postgresql"
    try:
        yield application
    finally:
        await application.aclose()


def action(pending_id: str = "p1", *, minutes: float = 10) -> PendingAction:
    return PendingAction(
        id=pending_id,
        kind=PendingKind.CHOOSE,
        platform="discord",
        user_id="710000000000001002",
        channel_id="c1",
        tool="update_task",
        resolved={"args": {"task": "forms", "status": "Done"}, "field": "task", "raw": "forms"},
        options=[("page-1", "Send out recruitment forms"), ("page-2", "Send out judge sign-up forms")],
        summary="mark it done",
        text="I've finished the forms",
        args_hash="abc",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=minutes),
        correlation_id="corr-1",
    )


async def test_identity_links_are_upserts(db: Database) -> None:
    await db.identity.link("slack", "U1", "notion-a", via="slack_email")
    assert await db.identity.lookup("slack", "U1") == "notion-a"
    assert await db.identity.holder("slack", "notion-a") == "U1"
    assert await db.identity.holder("discord", "notion-a") is None
    await db.identity.link("slack", "U1", "notion-b", via="admin")  # re-link: the same row
    assert await db.identity.lookup("slack", "U1") == "notion-b"
    assert [(r.platform_user_id, r.via) for r in await db.identity.all()] == [("U1", "admin")]
    # Admin mappings at start win (U1's link is replaced, and returned to be reported), and
    # repeating them (a restart) changes nothing.
    links = [("slack", "U1", "notion-c"), ("slack", "U2", "notion-d"), ("discord", "D1", "notion-d")]
    replaced = await db.identity.link_many(links, via="config")
    assert [(r.platform_user_id, r.notion_user_id, r.via) for r in replaced] == [("U1", "notion-b", "admin")]
    assert await db.identity.link_many(links, via="config") == []
    assert await db.identity.link_many([], via="config") == []
    rows = [(r.platform, r.platform_user_id, r.notion_user_id, r.via) for r in await db.identity.all()]
    assert rows == [
        ("discord", "D1", "notion-d", "config"),
        ("slack", "U1", "notion-c", "config"),
        ("slack", "U2", "notion-d", "config"),
    ]
    assert await db.identity.unlink("slack", "U2") is True
    assert await db.identity.unlink("slack", "U2") is False
    assert await db.identity.lookup("slack", "U2") is None


async def test_a_pending_action_round_trips(db: Database) -> None:
    await db.pending.add(action())
    stored = await db.pending.get("p1")
    assert stored is not None
    assert stored.model_dump(exclude={"created_at", "expires_at"}) == action().model_dump(
        exclude={"created_at", "expires_at"}
    )
    assert stored.created_at == NOW and stored.expires_at == NOW + timedelta(minutes=10)  # same instants
    assert stored.created_at.tzinfo is not None
    assert await db.pending.get("nope") is None


async def test_a_pending_action_moves_once(db: Database) -> None:
    await db.pending.add(action())
    assert await db.pending.transition("p1", PendingState.PENDING, PendingState.CONFIRMED, now=NOW)
    assert not await db.pending.transition("p1", PendingState.PENDING, PendingState.CONFIRMED, now=NOW)
    assert not await db.pending.transition("p1", PendingState.PENDING, PendingState.CANCELLED)
    assert await db.pending.transition(
        "p1", PendingState.CONFIRMED, PendingState.EXECUTED, result={"page_id": "page-9"}
    )
    stored = await db.pending.get("p1")
    assert stored is not None and stored.state is PendingState.EXECUTED
    assert stored.result == {"page_id": "page-9"}


async def test_an_expired_action_cannot_be_confirmed_whatever_the_timezone(db: Database) -> None:
    await db.pending.add(action(minutes=10))
    later = (NOW + timedelta(minutes=10, seconds=1)).astimezone(UTC)  # the same clock, other zone
    assert not await db.pending.transition("p1", PendingState.PENDING, PendingState.CONFIRMED, now=later)
    earlier = (NOW + timedelta(minutes=9)).astimezone(ZoneInfo("America/Los_Angeles"))
    assert await db.pending.transition("p1", PendingState.PENDING, PendingState.CONFIRMED, now=earlier)


async def test_concurrent_clicks_from_two_engines_move_the_state_once(database_url: str) -> None:
    one, two = Database(database_url), Database(database_url)
    try:
        await asyncio.gather(one.create_schema(), two.create_schema())
        await one.pending.add(action())
        outcomes = await asyncio.gather(
            *(
                db.pending.transition("p1", PendingState.PENDING, PendingState.CONFIRMED, now=NOW)
                for db in (one, two) * 8
            )
        )
        assert outcomes.count(True) == 1
        assert (await two.pending.get("p1")).state is PendingState.CONFIRMED  # type: ignore[union-attr]
    finally:
        await two.close()
        await one.close()


async def test_the_audit_log_is_kept_in_utc(db: Database) -> None:
    row = dict(correlation_id="c", platform="slack", user_id="U1", decision="executed", tool="create_task")
    await db.audit.record(at=NOW - timedelta(minutes=30), page_id="old", **row)
    await db.audit.record(at=NOW - timedelta(minutes=5), page_id="new", args={"title": "Poster"}, **row)
    await db.audit.record(at=NOW, decision="confirm", correlation_id="d", platform="slack", user_id="U2")
    last = await db.audit.last_execution("slack", "U1", NOW - timedelta(minutes=15))
    assert last is not None and last.page_id == "new" and last.resolved == {"title": "Poster"}
    assert last.at == NOW - timedelta(minutes=5)
    assert await db.audit.last_execution("slack", "U1", NOW - timedelta(minutes=1)) is None
    assert [r.page_id for r in await db.audit.rows(user_id="U1")] == ["old", "new"]
    assert len(await db.audit.rows(since=(NOW - timedelta(minutes=10)).astimezone(UTC))) == 2


async def test_schema_creation_is_idempotent_and_the_database_answers(db: Database) -> None:
    await db.create_schema()
    await db.ping()


async def test_an_unreachable_database_fails_the_ping() -> None:
    database = Database("postgresql+asyncpg://darcy@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(OSError):
            await database.ping()
    finally:
        await database.close()
