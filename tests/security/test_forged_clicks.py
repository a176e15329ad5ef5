"""Clicks that should do nothing, and clicks that race: a pending action executes at most once,
and only for the person who asked.

What tests/e2e/test_gate_and_pending.py (a double click, two instances), test_replicas.py
(replicas on PostgreSQL), test_followups.py (a replaced confirmation) and the Discord and
Slack suites (someone else's click) already show is not repeated here: this adds forged ids,
every verb (confirm, cancel, choose) from every wrong person, replays from every final state,
expiry at its boundary, and twenty clicks at once.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
from rigs.slack_rig import BOT_TOKEN, SIGNING_SECRET, SlackEmulator, SlackUser, block_actions, payload_body
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.slack.app import build_app
from core.messages import Cancel, Choose, Command, Confirm, HandleRequest, new_id
from core.pending import PendingState
from core.replies import Reply

ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"
FINISH = "I've finished sending out the forms"  # Dan: two of his tasks match → choose
NOT_FOUND = "I can't find that request any more. Nothing was changed."
ONLY_CAROL = "Only Carol Jensen can answer this."
CAROL_SLACK = "U00001002"


async def ask(app: App, user: str, text: str, platform: str = "terminal") -> Reply:
    return await app.bus.execute(HandleRequest(platform=platform, user_id=user, text=text))


def verb(kind: str, pending_id: str, user: str, platform: str = "terminal", option: int = 0) -> Command:
    if kind == "confirm":
        return Confirm(platform=platform, user_id=user, pending_id=pending_id)
    if kind == "cancel":
        return Cancel(platform=platform, user_id=user, pending_id=pending_id)
    return Choose(platform=platform, user_id=user, pending_id=pending_id, option=option)


def photographers(app: App) -> int:
    return [t["title"] for t in app.emulator.tasks()].count("Book photographer")


async def state(app: App, pending_id: str) -> PendingState:
    action = await app.db.pending.get(pending_id)
    assert action is not None
    return action.state


# ---- forged ids ------------------------------------------------------------------------------------


def forgeries(real: str) -> dict[str, str]:
    return {
        "random": new_id()[:20],
        "uuid": new_id(),
        "empty": "",
        "too-long": "f" * 10_000,
        "sql": "' OR '1'='1",
        "wildcards": "%",
        "path": "../../pending/" + real,
        "nul-suffix": real + "\x00forged",
        "upper-case": real.upper(),
        "prefix": real[:-1],
        "padded": f" {real} ",
        "unicode": "ü" * 20,
    }


@pytest.mark.parametrize("kind", ["confirm", "cancel", "choose"])
async def test_a_forged_pending_id_does_nothing_and_the_real_one_still_works(app: App, kind: str) -> None:
    offer = await ask(app, "carol", ASSIGN)
    before = app.emulator.tasks()
    for name, forged in forgeries(offer.pending_id).items():
        reply: Reply = await app.bus.execute(verb(kind, forged, "carol"))
        assert (reply.decision, reply.text, reply.private) == ("error", NOT_FOUND, True), name
    assert app.emulator.tasks() == before
    assert await state(app, offer.pending_id) is PendingState.PENDING
    done = await app.bus.execute(verb("confirm", offer.pending_id, "carol"))
    assert done.decision == "executed" and photographers(app) == 1


async def test_an_id_from_another_platform_is_not_found_there(app: App) -> None:
    offer = await ask(app, CAROL_SLACK, ASSIGN, platform="slack")  # Carol, asking in Slack
    assert offer.decision == "confirm"
    for platform, user in [
        ("terminal", "carol"),
        ("terminal", CAROL_SLACK),
        ("discord", CAROL_SLACK),
        ("discord", "710000000000001002"),
    ]:
        for kind in ("confirm", "cancel", "choose"):
            reply = await app.bus.execute(verb(kind, offer.pending_id, user, platform))
            assert reply.text == NOT_FOUND, (platform, user, kind)
    assert photographers(app) == 0
    done = await app.bus.execute(verb("confirm", offer.pending_id, CAROL_SLACK, "slack"))
    assert done.decision == "executed" and photographers(app) == 1


# ---- someone else's click ---------------------------------------------------------------------------


@pytest.mark.parametrize("clicker", ["bob", "eve", "mallory", "alice"])
async def test_nobody_else_can_confirm_cancel_or_pick(app: App, clicker: str) -> None:
    """A lead, a member, a stranger who never linked, an admin: none may answer Carol's question."""
    offer = await ask(app, "carol", ASSIGN)
    pick = await ask(app, "dan", FINISH)
    assert pick.decision == "choose"
    for kind in ("confirm", "cancel"):
        reply = await app.bus.execute(verb(kind, offer.pending_id, clicker))
        assert (reply.decision, reply.text, reply.private) == ("error", ONLY_CAROL, True)
    for option in (0, 1):
        reply = await app.bus.execute(verb("choose", pick.pending_id, clicker, option=option))
        assert reply.text == "Only Dan Whitfield can answer this." and reply.private
    assert await state(app, offer.pending_id) is PendingState.PENDING
    assert await state(app, pick.pending_id) is PendingState.PENDING
    assert photographers(app) == 0
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"


async def test_the_requester_racing_nineteen_others_executes_once_for_the_requester(app: App) -> None:
    offer = await ask(app, "carol", ASSIGN)
    others = ["bob", "eve", "mallory", "alice", "dan"] * 4
    clicks = [verb("confirm", offer.pending_id, user) for user in others[:19]]
    clicks.insert(7, verb("confirm", offer.pending_id, "carol"))
    replies = await asyncio.gather(*(app.bus.execute(c) for c in clicks))
    assert [r.decision for r in replies].count("executed") == 1
    assert replies[7].decision == "executed"
    assert all(r.text == ONLY_CAROL for i, r in enumerate(replies) if i != 7)
    assert photographers(app) == 1


# ---- replays -----------------------------------------------------------------------------------------


async def test_replays_after_every_final_state_do_nothing(app: App, clock) -> None:
    executed = await ask(app, "carol", ASSIGN)
    await app.bus.execute(verb("confirm", executed.pending_id, "carol"))
    cancelled = await ask(app, "carol", "assign Print flyers to Priya due Friday")
    await app.bus.execute(verb("cancel", cancelled.pending_id, "carol"))
    picked = await ask(app, "dan", FINISH)
    offer = await app.bus.execute(verb("choose", picked.pending_id, "dan", option=0))
    assert offer.decision == "confirm"
    expired = await ask(app, "bob", "assign Update Instagram bio to Priya")
    clock.advance(minutes=11)
    assert (await app.bus.execute(verb("confirm", expired.pending_id, "bob"))).decision == "expired"
    writes = app.emulator.tasks()
    said = {
        executed.pending_id: ("carol", "That's already done."),
        cancelled.pending_id: ("carol", "That was cancelled. Nothing was changed."),
        picked.pending_id: ("dan", "That's already done."),  # the pick was made; its confirm is the next step
        expired.pending_id: ("bob", "That request expired. Nothing was changed."),
    }
    for pending_id, (user, text) in said.items():
        for kind in ("confirm", "cancel", "choose", "confirm"):
            reply = await app.bus.execute(verb(kind, pending_id, user))
            assert (reply.decision, reply.text) == ("error", text), (pending_id, kind)
    assert app.emulator.tasks() == writes
    assert photographers(app) == 1
    assert app.emulator.task_by_title("Print flyers") is None


async def test_an_expiry_is_exact_and_a_late_click_writes_nothing(app: App, clock) -> None:
    early, late = await ask(app, "carol", ASSIGN), await ask(app, "bob", "assign Print flyers to Priya")
    clock.advance(minutes=9, seconds=59)
    assert (await app.bus.execute(verb("confirm", early.pending_id, "carol"))).decision == "executed"
    clock.advance(seconds=1)  # Bob's is now exactly 10 minutes old: expired
    reply = await app.bus.execute(verb("confirm", late.pending_id, "bob"))
    assert reply.decision == "expired" and "did nothing" in reply.text
    assert await state(app, late.pending_id) is PendingState.EXPIRED
    assert app.emulator.task_by_title("Print flyers") is None


async def test_an_expired_pick_and_cancel_do_nothing(app: App, clock) -> None:
    pick = await ask(app, "dan", FINISH)
    clock.advance(minutes=30)
    assert (await app.bus.execute(verb("choose", pick.pending_id, "dan", option=1))).decision == "expired"
    cancelled = await app.bus.execute(verb("cancel", pick.pending_id, "dan"))
    assert cancelled.text.startswith("That request expired")
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"


# ---- wrong verbs, wrong options ------------------------------------------------------------------------


async def test_the_wrong_verb_or_an_impossible_option_changes_nothing(app: App) -> None:
    offer, pick = await ask(app, "carol", ASSIGN), await ask(app, "dan", FINISH)
    assert (await app.bus.execute(verb("choose", offer.pending_id, "carol"))).text.startswith(
        "There's nothing to pick here"
    )
    confirmed = await app.bus.execute(verb("confirm", pick.pending_id, "dan"))
    assert confirmed.text == "Pick one of the options first."
    for option in (-1, 2, 10**9):
        reply = await app.bus.execute(verb("choose", pick.pending_id, "dan", option=option))
        assert (reply.decision, reply.text) == ("error", "Pick a number from 1 to 2.")
    assert await state(app, offer.pending_id) is PendingState.PENDING
    assert await state(app, pick.pending_id) is PendingState.PENDING
    assert photographers(app) == 0


# ---- many clicks at once ----------------------------------------------------------------------------------


async def test_twenty_concurrent_confirms_execute_exactly_once(app: App) -> None:
    offer = await ask(app, "carol", ASSIGN)
    replies = await asyncio.gather(
        *(app.bus.execute(verb("confirm", offer.pending_id, "carol")) for _ in range(20))
    )
    decisions = [r.decision for r in replies]
    assert decisions.count("executed") == 1 and decisions.count("error") == 19
    assert {r.text for r in replies if r.decision == "error"} <= {
        "That's already been answered.",
        "That's already being done.",
        "That's already done.",
    }
    assert photographers(app) == 1
    assert sum(1 for m, p in app.emulator.request_log if (m, p) == ("POST", "/v1/pages")) == 1
    rows = await app.db.audit.rows(user_id="carol")
    assert [r.decision for r in rows].count("executed") == 1
    assert await state(app, offer.pending_id) is PendingState.EXECUTED


async def test_twenty_concurrent_confirms_and_cancels_settle_one_way(app: App) -> None:
    offer = await ask(app, "carol", ASSIGN)
    clicks = [verb("confirm" if i % 2 else "cancel", offer.pending_id, "carol") for i in range(20)]
    replies = await asyncio.gather(*(app.bus.execute(c) for c in clicks))
    decisions = [r.decision for r in replies]
    assert decisions.count("executed") + decisions.count("cancelled") == 1
    if "executed" in decisions:  # nobody was told nothing changed
        assert photographers(app) == 1
        assert not [r for r in replies if "Nothing was changed" in r.text]
    else:
        assert photographers(app) == 0
        assert await state(app, offer.pending_id) is PendingState.CANCELLED


async def test_twenty_concurrent_picks_open_one_confirmation(app: App) -> None:
    pick = await ask(app, "dan", FINISH)
    replies = await asyncio.gather(
        *(app.bus.execute(verb("choose", pick.pending_id, "dan", option=i % 2)) for i in range(20))
    )
    offers = [r for r in replies if r.decision == "confirm"]
    assert len(offers) == 1 and offers[0].pending_id
    confirms = await asyncio.gather(
        *(app.bus.execute(verb("confirm", offers[0].pending_id, "dan")) for _ in range(20))
    )
    assert [r.decision for r in confirms].count("executed") == 1
    statuses = [
        app.emulator.task_by_title(t)["status"]
        for t in ("Send out recruitment forms", "Send out judge sign-up forms")
    ]
    assert sorted(statuses) in (["Done", "In Progress"], ["Done", "Not Started"])
    assert sum(1 for m, p in app.emulator.request_log if m == "PATCH") == 1


# ---- a forged click through a real adapter -------------------------------------------------------------


@pytest.fixture
async def slack(app: App) -> AsyncIterator[tuple[SlackEmulator, SlackUser]]:
    emulator = await SlackEmulator().start()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.base_url)
    bolt = build_app(app.bus, signing_secret=SIGNING_SECRET, client=client)
    try:
        yield emulator, SlackUser(bolt, emulator)
    finally:
        await emulator.close()


async def test_a_slack_button_carrying_a_forged_or_foreign_id_is_answered_privately(
    app: App,
    slack: tuple[SlackEmulator, SlackUser],
) -> None:
    emulator, user = slack
    await user.mention(CAROL_SLACK, ASSIGN)
    call = await emulator.wait_for("chat.postMessage")
    question = next(m for m in emulator.messages.values() if m.text == call.body["text"])
    confirm: dict[str, Any] = next(
        e for e in question.elements() if e.get("text", {}).get("text") == "Confirm"
    )
    terminal = await ask(app, "carol", "assign Print flyers to Priya due Friday")  # Carol's, in the terminal
    for n, forged in enumerate([new_id()[:20], terminal.pending_id, "x" * 1_900], start=1):
        element = copy.deepcopy(confirm) | {"value": forged}
        hook = emulator.hook(question.channel, CAROL_SLACK, question.ts)
        payload = block_actions(question, element, user=CAROL_SLACK, response_url=hook)
        await user.dispatch(payload_body(payload), "application/x-www-form-urlencoded")
        whisper = await emulator.wait_for("chat.postEphemeral", n)
        assert whisper.body["user"] == CAROL_SLACK and NOT_FOUND in whisper.body["text"]
    assert emulator.of("chat.update") == [], "the real question is untouched"
    assert photographers(app) == 0 and app.emulator.task_by_title("Print flyers") is None
    await user.click(question, "Confirm", user=CAROL_SLACK)
    await emulator.wait_for("chat.update")
    assert photographers(app) == 1
