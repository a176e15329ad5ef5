"""Conversations that follow up on the previous turn."""

from __future__ import annotations

from bot.bootstrap import App

HIRO = "00000000-0000-4000-8000-000000001007"
CAROL = "00000000-0000-4000-8000-000000001002"


async def test_make_it_friday_instead_replaces_the_confirmation(app: App, chat) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Monday in Industry Night")
    old = carol.waiting.pending_id
    screen = await carol.say("actually make it Friday instead")
    assert "due Fri 20 Nov 2026" in screen
    assert carol.waiting.pending_id != old
    await carol.say("y")
    assert app.emulator.task_by_title("Book photographer")["due"] == "2026-11-20"
    assert len([t for t in app.emulator.tasks() if t["title"] == "Book photographer"]) == 1


async def test_the_replaced_confirmation_cannot_be_clicked(app: App, chat) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Monday in Industry Night")
    old = carol.waiting
    await carol.say("make it Friday instead")
    carol.waiting = old  # a click on the first message's button
    screen = await carol.say("y")
    assert "cancelled" in screen.lower()
    assert app.emulator.task_by_title("Book photographer") is None


async def test_also_give_it_to_carol(app: App, chat) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    screen = await carol.say("also give it to Carol")
    assert "for Hiro Sato and Carol Jensen" in screen
    await carol.say("y")
    assert sorted(app.emulator.task_by_title("Book photographer")["assignee_ids"]) == sorted([HIRO, CAROL])


async def test_no_the_other_one(app: App, chat) -> None:
    dan = chat("dan")
    screen = await dan.say("I've finished sending out the forms")
    first = (
        "Send out recruitment forms"
        if "1) Send out recruitment forms" in screen
        else "Send out judge sign-up forms"
    )
    other = ({"Send out recruitment forms", "Send out judge sign-up forms"} - {first}).pop()
    assert f"mark {first} as Done" in await dan.say("1")
    screen = await dan.say("no, the other one")
    assert f"mark {other} as Done" in screen
    await dan.say("y")
    assert app.emulator.task_by_title(other)["status"] == "Done"
    assert app.emulator.task_by_title(first)["status"] != "Done"


async def test_what_about_bobs_after_a_list(app: App, chat) -> None:
    alice = chat("alice")
    await alice.say("show me Priya's tasks in Marketing")
    screen = await alice.say("what about Bob's?")
    assert "Bob Okafor's tasks in Marketing (1)" in screen
    assert "Draft Instagram posts for hackathon" in screen
    screen = await alice.say("and what about Website Revamp?")
    assert "Bob Okafor's tasks in Website Revamp: none right now." in screen


async def test_a_follow_up_without_context_is_an_ordinary_message(app: App, chat) -> None:
    screen = await chat("eve").say("make it Friday instead")
    assert "Shall I go ahead?" not in screen
