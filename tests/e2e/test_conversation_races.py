"""Two messages from one person at the same moment, on two replicas sharing one database: the
conversation ends consistent. Each replica reads it at the start of its message and writes it
at the end with a compare-and-set; the later write re-reads and re-applies its change, or,
when both messages amended the same confirmation, withdraws its own and asks.

On PostgreSQL, what replicas share, and on one SQLite file (processes on one host). The races
are made deterministic (replica one's read waits while replica two handles its whole
message), then also run for real with asyncio.gather."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from e2e.test_replicas import two_replicas

from bot.bootstrap import App
from core.conversation import Conversation
from core.handlers import CROSSED
from core.messages import Confirm, HandleRequest
from core.pending import PendingState
from core.replies import Reply

CAROL = "U00001002"  # Carol's Slack id in the demo workspace
KEY = ("slack", "direct", CAROL)


@pytest.fixture
async def replicas(database_url: str, clock) -> AsyncIterator[tuple[App, App]]:
    async for pair in two_replicas(database_url, clock):
        yield pair


def say(text: str) -> HandleRequest:
    return HandleRequest(platform="slack", user_id=CAROL, text=text)


async def stored(app: App) -> Conversation:
    return (await app.db.conversations.load(KEY, app.clock())).convo


async def while_reading(one: App, meanwhile: Any) -> None:
    """Replica one's next conversation read returns what it read, after `meanwhile` ran."""
    store = one.deps.conversations.store
    load = store.load

    async def read_then_wait(*args: Any) -> Any:
        found = await load(*args)
        store.load = load  # type: ignore[method-assign]  # once
        await meanwhile()
        return found

    store.load = read_then_wait  # type: ignore[method-assign]


async def state(app: App, pending_id: str | None) -> PendingState:
    assert pending_id
    action = await app.db.pending.get(pending_id)
    assert action is not None
    return action.state


async def test_two_amendments_at_once_keep_one_and_ask_about_the_other(replicas: tuple[App, App]) -> None:
    one, two = replicas
    first = await one.bus.execute(say("assign Book photographer to Hiro due Monday in Industry Night"))
    assert first.decision == "confirm", first.text
    other: list[Reply] = []

    async def carol_on_replica_two() -> None:
        other.append(await two.bus.execute(say("also give it to Carol")))

    await while_reading(one, carol_on_replica_two)
    crossed = await one.bus.execute(say("make it Friday instead"))
    kept = other[0]
    assert kept.decision == "confirm" and "for Hiro Sato and Carol Jensen" in kept.text, kept.text
    assert crossed.text == CROSSED and crossed.pending_id is None
    assert await state(one, first.pending_id) is PendingState.CANCELLED
    convo = await stored(one)
    assert convo.open_pending == kept.pending_id
    assert convo.turns[-2:] == ["also give it to Carol", "make it Friday instead"]
    # Said again, the change applies to the confirmation that was kept, on either replica.
    again = await one.bus.execute(say("make it Friday instead"))
    assert "for Hiro Sato and Carol Jensen, due Fri 20 Nov 2026" in again.text, again.text
    assert await state(one, kept.pending_id) is PendingState.CANCELLED
    done = await two.bus.execute(Confirm(platform="slack", user_id=CAROL, pending_id=again.pending_id))
    assert done.decision == "executed", done.text
    titles = [t["title"] for t in one.emulator.tasks()]
    assert titles.count("Book photographer") == 1
    assert one.emulator.task_by_title("Book photographer")["due"] == "2026-11-20"


async def test_a_list_and_a_request_at_once_read_as_if_one_came_after_the_other(
    replicas: tuple[App, App],
) -> None:
    one, two = replicas
    asked: list[Reply] = []

    async def carol_on_replica_two() -> None:
        request = say("assign Book photographer to Hiro due Monday in Industry Night")
        asked.append(await two.bus.execute(request))

    await while_reading(one, carol_on_replica_two)
    listed = await one.bus.execute(say("show me Priya's tasks in Marketing"))
    assert "Priya" in listed.text and listed.tasks is not None, listed.text
    convo = await stored(two)
    assert convo.last_call is not None and convo.last_call.tool == "list_tasks"
    assert convo.open_pending is None  # as after a list that followed the confirmation
    assert convo.turns == [
        "assign Book photographer to Hiro due Monday in Industry Night",
        "show me Priya's tasks in Marketing",
    ]
    bobs = await two.bus.execute(say("what about Bob's?"))
    assert "Bob Okafor's tasks in Marketing (1)" in bobs.text, bobs.text
    done = await one.bus.execute(Confirm(platform="slack", user_id=CAROL, pending_id=asked[0].pending_id))
    assert done.decision == "executed", done.text  # its buttons still work


async def test_amendments_sent_together_end_in_one_open_confirmation(replicas: tuple[App, App]) -> None:
    one, two = replicas
    for round_ in range(3):
        title = f"Book photographer {round_}"
        first = await two.bus.execute(say(f"assign {title} to Hiro due Monday in Industry Night"))
        assert first.decision == "confirm", first.text
        replies = await asyncio.gather(
            one.bus.execute(say("make it Friday instead")), two.bus.execute(say("also give it to Carol"))
        )
        convo = await stored(one)
        asked = [r.pending_id for r in replies if r.pending_id]
        assert asked and convo.open_pending in asked, [r.text for r in replies]
        states = {pid: await state(one, pid) for pid in [first.pending_id, *asked]}
        assert [pid for pid, s in states.items() if s is PendingState.PENDING] == [convo.open_pending]
        assert {"make it Friday instead", "also give it to Carol"} <= set(convo.turns)
        done = await one.bus.execute(
            Confirm(platform="slack", user_id=CAROL, pending_id=convo.open_pending or "")
        )
        assert done.decision == "executed", done.text
        assert [t["title"] for t in one.emulator.tasks()].count(title) == 1


async def test_two_new_requests_at_once_beside_an_open_confirmation_are_both_asked(
    replicas: tuple[App, App],
) -> None:
    one, two = replicas
    first = await one.bus.execute(say("assign Book photographer to Hiro due Monday in Industry Night"))
    other: list[Reply] = []

    async def carol_on_replica_two() -> None:
        other.append(await two.bus.execute(say("assign Order pizza to Hiro due Friday in Industry Night")))

    await while_reading(one, carol_on_replica_two)
    flyers = await one.bus.execute(say("assign Print flyers to Hiro due Friday in Industry Night"))
    assert flyers.decision == "confirm" and "Print flyers" in flyers.text, flyers.text
    assert other[0].decision == "confirm", other[0].text
    for asked in (first, other[0], flyers):  # nothing amended: every confirmation still stands
        assert await state(one, asked.pending_id) is PendingState.PENDING
    assert (await stored(two)).open_pending == flyers.pending_id  # written last, as if sent last
    amended = await two.bus.execute(say("make it Wednesday instead"))
    assert "Print flyers" in amended.text and "Wed 25 Nov 2026" in amended.text, amended.text
