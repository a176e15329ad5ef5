"""The conversation store on SQLite and on PostgreSQL: typed JSON in, the same model out; a
write finds the version it read or loses; expired rows read as empty and are swept away."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.conversation import Choice, Conversation, Conversations
from core.tools import ToolCall
from integrations.db.database import Database

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
KEY = ("slack", "C1", "U1")
LATER = NOW + timedelta(minutes=15)


def full() -> Conversation:
    call = ToolCall(tool="create_task", args={"title": "Book photographer", "assignees": ["Hiro"]})
    return Conversation(
        awaiting_email=True,
        deferred=("show me my tasks", ToolCall(tool="list_tasks", args={"assignee": "me"})),
        turns=["assign Book photographer to Hiro", "make it Friday instead"],
        last_call=call,
        open_pending="p-1",
        choice=Choice(
            tool="update_task",
            args={"task": "forms"},
            field="task",
            options=[("t1", "Send out forms"), ("t2", "Send out sign-up forms")],
            picked=0,
        ),
    )


async def test_what_is_written_is_read_back_typed(db: Database) -> None:
    store = db.conversations
    empty = await store.load(KEY, NOW)
    assert empty.convo == Conversation() and empty.version == 0
    assert await store.save(KEY, full(), 0, LATER)
    found = await store.load(KEY, NOW)
    assert found.convo == full() and found.version == 1
    assert isinstance(found.convo.deferred[1], ToolCall) and isinstance(found.convo.choice, Choice)
    assert (await store.load(("slack", "C2", "U1"), NOW)).version == 0  # another channel: another row


async def test_a_write_that_did_not_read_the_current_version_loses(db: Database) -> None:
    store = db.conversations
    assert await store.save(KEY, Conversation(turns=["one"]), 0, LATER)
    assert not await store.save(KEY, Conversation(turns=["two"]), 0, LATER)  # inserted meanwhile
    assert await store.save(KEY, Conversation(turns=["one", "three"]), 1, LATER)
    assert not await store.save(KEY, Conversation(turns=["one", "four"]), 1, LATER)
    found = await store.load(KEY, NOW)
    assert found.convo.turns == ["one", "three"] and found.version == 2


async def test_racing_writers_of_one_version_one_wins(db: Database) -> None:
    store = db.conversations
    await store.save(KEY, Conversation(), 0, LATER)
    won = await asyncio.gather(*(store.save(KEY, Conversation(turns=[str(i)]), 1, LATER) for i in range(6)))
    assert won.count(True) == 1
    assert (await store.load(KEY, NOW)).convo.turns == [str(won.index(True))]


async def test_an_expired_conversation_reads_empty_and_is_swept(db: Database) -> None:
    store = db.conversations
    await store.save(KEY, full(), 0, LATER)
    await store.save(("slack", "C1", "U2"), full(), 0, NOW + timedelta(hours=1))
    expired = await store.load(KEY, LATER)
    assert expired.convo == Conversation() and expired.version == 1  # the next write updates it
    assert await store.save(KEY, Conversation(turns=["hi"]), 1, LATER + timedelta(minutes=15))
    conversations = Conversations(store)
    clock = [LATER + timedelta(minutes=30)]
    sweeping = asyncio.create_task(conversations.sweep(lambda: clock[0], every=0.01))
    try:
        for _ in range(200):
            if (await store.load(KEY, NOW)).version == 0:
                break
            await asyncio.sleep(0.01)
    finally:
        sweeping.cancel()
    assert (await store.load(KEY, NOW)).version == 0  # deleted
    assert (await store.load(("slack", "C1", "U2"), NOW)).convo == full()  # alive until 10:00: kept
    assert await store.forget_expired(NOW) == 0


async def test_a_live_conversation_is_not_swept(db: Database) -> None:
    store = db.conversations
    await store.save(KEY, full(), 0, LATER)
    assert await store.forget_expired(NOW + timedelta(minutes=14)) == 0
    assert (await store.load(KEY, NOW + timedelta(minutes=14))).convo == full()
    assert await store.forget_expired(LATER) == 1
