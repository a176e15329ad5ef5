"""Two Darcy replicas: separate `bootstrap` calls (so separate buses, planners and engines), one
database, one Notion workspace. A confirmation made through one can be clicked through the other,
and whatever the clicks, a write happens once. On PostgreSQL, what replicas share; the races and
the start also on one SQLite file (processes on one host). tests/pg.py provides PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.messages import Cancel, Confirm, HandleRequest
from core.pending import PendingState

CAROL = "U00001002"  # the Slack id of a linked member of the demo workspace
ZOE_DISCORD = "710000000000002001"  # Zoe (demo workspace) is not linked yet


async def two_replicas(url: str, clock) -> AsyncIterator[tuple[App, App]]:
    settings = load_settings(database={"url": url})
    one = await bootstrap(settings, clock=clock)
    # The same Notion workspace, and the same config (its sign-in page too).
    two = await bootstrap(one.settings, store=one.store, clock=clock)
    assert one.bus is not two.bus and one.db is not two.db
    try:
        yield one, two
    finally:
        await two.aclose()
        await one.aclose()


@pytest.fixture
async def replicas(postgres_url: str, clock) -> AsyncIterator[tuple[App, App]]:
    async for pair in two_replicas(postgres_url, clock):
        yield pair


@pytest.fixture
async def racing_replicas(database_url: str, clock) -> AsyncIterator[tuple[App, App]]:
    async for pair in two_replicas(database_url, clock):
        yield pair


def pages(app: App, title: str) -> int:
    return [t["title"] for t in app.emulator.tasks()].count(title)


async def ask(app: App, title: str) -> str:
    reply = await app.bus.execute(
        HandleRequest(platform="slack", user_id=CAROL, text=f"assign {title} to Hiro due Friday")
    )
    assert reply.decision == "confirm", reply.text
    return reply.pending_id


def click(pending_id: str) -> Confirm:
    return Confirm(platform="slack", user_id=CAROL, pending_id=pending_id)


async def test_asked_on_one_replica_confirmed_on_the_other(replicas: tuple[App, App]) -> None:
    one, two = replicas
    pending_id = await ask(one, "Book photographer")
    assert pages(one, "Book photographer") == 0
    done = await two.bus.execute(click(pending_id))
    assert done.decision == "executed", done.text
    again = await one.bus.execute(click(pending_id))
    assert again.text == "That's already done."
    assert pages(one, "Book photographer") == 1


async def test_concurrent_clicks_on_both_replicas_execute_once(racing_replicas: tuple[App, App]) -> None:
    one, two = racing_replicas
    for round_ in range(3):
        title = f"Book photographer {round_}"
        pending_id = await ask(one if round_ % 2 else two, title)
        results = await asyncio.gather(*(app.bus.execute(click(pending_id)) for app in (one, two, one, two)))
        assert [r.decision for r in results].count("executed") == 1, [r.text for r in results]
        assert pages(one, title) == 1
    assert len([t for t in one.emulator.tasks() if t["title"].startswith("Book photographer")]) == 3


async def test_a_cancel_racing_a_confirm_on_the_other_replica_writes_at_most_once(
    racing_replicas: tuple[App, App],
) -> None:
    one, two = racing_replicas
    pending_id = await ask(one, "Print flyers")
    await asyncio.gather(
        two.bus.execute(click(pending_id)),
        one.bus.execute(Cancel(platform="slack", user_id=CAROL, pending_id=pending_id)),
    )
    action = await one.db.pending.get(pending_id)
    assert action is not None and action.state in (PendingState.EXECUTED, PendingState.CANCELLED)
    assert pages(one, "Print flyers") == (1 if action.state is PendingState.EXECUTED else 0)


async def test_a_cancel_that_loses_the_race_does_not_claim_nothing_changed(replicas: tuple[App, App]) -> None:
    one, two = replicas
    pending_id = await ask(one, "Print flyers")
    read = one.deps.pending.get

    async def read_then_the_other_replica_confirms(wanted: str):  # the race, made deterministic
        action = await read(wanted)
        await two.bus.execute(click(pending_id))
        return action

    one.deps.pending.get = read_then_the_other_replica_confirms  # type: ignore[method-assign]
    cancelled = await one.bus.execute(Cancel(platform="slack", user_id=CAROL, pending_id=pending_id))
    assert pages(one, "Print flyers") == 1
    assert cancelled.decision != "cancelled", cancelled.text
    assert cancelled.text == "Too late to cancel: that was confirmed and is being done."


async def test_a_link_made_through_one_replica_is_known_to_the_other(replicas: tuple[App, App]) -> None:
    """The sign-in code lives in the database: asked for on one replica, typed on the other."""
    one, two = replicas
    first = await one.bus.execute(
        HandleRequest(platform="discord", user_id=ZOE_DISCORD, text="show me my tasks")
    )
    assert first.decision == "verify"
    email = HandleRequest(platform="discord", user_id=ZOE_DISCORD, text="zoe.martin@club.example")
    offer = await one.bus.execute(email)
    assert offer.decision == "confirm", offer.text
    sent = await two.bus.execute(
        Confirm(platform="discord", user_id=ZOE_DISCORD, pending_id=offer.pending_id)
    )
    assert "sign-in code" in sent.text, sent.text
    await two.deps.linking.settle()
    code = re.search(r"code is (\d{3}) (\d{3})", one.emulator.notifications[-1]["text"])
    linked = await one.bus.execute(
        HandleRequest(platform="discord", user_id=ZOE_DISCORD, text=code[1] + code[2])
    )
    assert linked.text == "Linked: you're Zoe Martin in Notion now."
    who = await one.bus.execute(HandleRequest(platform="discord", user_id=ZOE_DISCORD, text="who am I?"))
    assert "You're linked to the Notion user Zoe Martin" in who.text
    linked_on = [await app.db.identity.lookup("discord", ZOE_DISCORD) for app in (one, two)]
    assert linked_on[0] == linked_on[1] is not None


async def test_replicas_starting_together_on_a_new_database(database_url: str, clock) -> None:
    settings = load_settings(database={"url": database_url})
    apps = await asyncio.gather(*(bootstrap(settings, clock=clock) for _ in range(3)))
    try:
        links = [await app.db.identity.all() for app in apps]
        assert links[0] and links[0] == links[1] == links[2]
    finally:
        for app in apps:
            await app.aclose()
