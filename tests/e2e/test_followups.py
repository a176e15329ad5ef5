"""Conversations that follow up on the previous turn: on one Darcy, with each message sent to
the other of two replicas (two bus instances on one PostgreSQL database), and with Darcy
restarted before each message (on one SQLite file). The conversation is in the database, so
every follow-up finds what the previous message left, wherever and whenever it lands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.bootstrap import App, bootstrap
from bot.terminal import TerminalChat
from core.config import load_settings
from core.replies import Reply

HIRO = "00000000-0000-4000-8000-000000001007"
CAROL = "00000000-0000-4000-8000-000000001002"


class Darcy:
    """Darcy as the people in a test reach it: `next_bus()` is where the next message lands."""

    def __init__(self, emulator: Any, next_bus: Callable[[], Any]) -> None:
        self.emulator, self.next_bus = emulator, next_bus


class Session(TerminalChat):
    """The terminal adapter with its screen captured; each message goes where Darcy says."""

    def __init__(self, darcy: Darcy, user: str) -> None:
        super().__init__(
            None,
            user,  # type: ignore[arg-type]  # set at each send
            Console(record=True, width=140, color_system=None),
        )
        self.darcy = darcy

    async def send(self, text: str) -> Reply:
        self.bus = await self.darcy.next_bus()
        return await super().send(text)

    async def say(self, text: str) -> str:
        await self.send(text)
        return self.console.export_text(clear=True)


class Restarts:
    """A new Darcy process for every message: the previous one is closed first (its memory
    gone); the database and the Notion workspace outlive it."""

    def __init__(self, url: str, clock: Any, host: App) -> None:
        self.url, self.clock, self.host = url, clock, host
        self.current: App | None = None
        self.starts = 0

    async def next_bus(self) -> Any:
        if self.current is not None:
            await self.current.aclose()
        settings = load_settings(database={"url": self.url})
        self.current = await bootstrap(settings, store=self.host.store, clock=self.clock)
        self.starts += 1
        return self.current.bus

    async def aclose(self) -> None:
        if self.current is not None:
            await self.current.aclose()


@pytest.fixture(params=["one", "replicas", "restart"])
async def darcy(request: pytest.FixtureRequest, clock, tmp_path: Path) -> AsyncIterator[Darcy]:
    if request.param == "one":
        app = await bootstrap(load_settings(), clock=clock)  # the default: conversations in SQLite

        async def same() -> Any:
            return app.bus

        try:
            yield Darcy(app.emulator, same)
        finally:
            await app.aclose()
        return
    if request.param == "replicas":
        settings = load_settings(database={"url": request.getfixturevalue("postgres_url")})
        one = await bootstrap(settings, clock=clock)
        two = await bootstrap(settings, store=one.store, clock=clock)  # the same Notion workspace
        sent = 0

        async def alternate() -> Any:
            nonlocal sent
            sent += 1
            return (one, two)[sent % 2].bus

        try:
            yield Darcy(one.emulator, alternate)
        finally:
            await two.aclose()
            await one.aclose()
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'darcy.db'}"
    host = await bootstrap(load_settings(database={"url": url}), clock=clock)  # owns the workspace
    restarts = Restarts(url, clock, host)
    try:
        yield Darcy(host.emulator, restarts.next_bus)
    finally:
        await restarts.aclose()
        await host.aclose()


@pytest.fixture
def chat(darcy: Darcy) -> Callable[[str], Session]:
    return lambda user: Session(darcy, user)


async def test_make_it_friday_instead_replaces_the_confirmation(darcy: Darcy, chat) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Monday in Industry Night")
    old = carol.waiting.pending_id
    screen = await carol.say("actually make it Friday instead")
    assert "due Fri 20 Nov 2026" in screen
    assert carol.waiting.pending_id != old
    await carol.say("y")
    assert darcy.emulator.task_by_title("Book photographer")["due"] == "2026-11-20"
    assert len([t for t in darcy.emulator.tasks() if t["title"] == "Book photographer"]) == 1


async def test_the_replaced_confirmation_cannot_be_clicked(darcy: Darcy, chat) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Monday in Industry Night")
    old = carol.waiting
    await carol.say("make it Friday instead")
    carol.waiting = old  # a click on the first message's button
    screen = await carol.say("y")
    assert "cancelled" in screen.lower()
    assert darcy.emulator.task_by_title("Book photographer") is None


async def test_also_give_it_to_carol(darcy: Darcy, chat) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    screen = await carol.say("also give it to Carol")
    assert "for Hiro Sato and Carol Jensen" in screen
    await carol.say("y")
    assert sorted(darcy.emulator.task_by_title("Book photographer")["assignee_ids"]) == sorted([HIRO, CAROL])


async def test_no_the_other_one(darcy: Darcy, chat) -> None:
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
    assert darcy.emulator.task_by_title(other)["status"] == "Done"
    assert darcy.emulator.task_by_title(first)["status"] != "Done"


async def test_what_about_bobs_after_a_list(darcy: Darcy, chat) -> None:
    alice = chat("alice")
    await alice.say("show me Priya's tasks in Marketing")
    screen = await alice.say("what about Bob's?")
    assert "Bob Okafor's tasks in Marketing (1)" in screen
    assert "Draft Instagram posts for hackathon" in screen
    screen = await alice.say("and what about Website Revamp?")
    assert "Bob Okafor's tasks in Website Revamp: none right now." in screen


async def test_a_follow_up_without_context_is_an_ordinary_message(darcy: Darcy, chat) -> None:
    screen = await chat("eve").say("make it Friday instead")
    assert "Shall I go ahead?" not in screen


async def test_the_email_asked_for_links_then_answers_the_request_made_before(darcy: Darcy, chat) -> None:
    zoe = chat("zoe")
    assert "What's the e-mail address of your Notion account?" in await zoe.say("show me my tasks")
    screen = await zoe.say("zoe.martin@club.example")
    assert "link your terminal account to the Notion user Zoe Martin" in screen
    screen = await zoe.say("y")
    assert "Linked: you're Zoe Martin in Notion now." in screen
    assert "Zoe Martin's tasks: none right now." in screen  # the deferred request, answered


async def test_a_follow_up_after_the_conversation_expired_is_an_ordinary_message(
    darcy: Darcy, chat, clock
) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Monday in Industry Night")
    clock.advance(minutes=16)
    screen = await carol.say("make it Friday instead")
    assert "Shall I go ahead?" not in screen
    assert darcy.emulator.task_by_title("Book photographer") is None
