"""The four demo flows through the terminal adapter, the real notion-client and the
built-in Notion-compatible server, asserting what a person sees and what lands in Notion."""

from __future__ import annotations

from bot.bootstrap import App


def titles(app: App) -> set[str]:
    return {t["title"] for t in app.emulator.tasks()}


async def test_view_lists_carols_hackathon_tasks(app: App, chat) -> None:
    screen = await chat("carol").say("show me Carol's tasks in Hackathon 2026")
    assert "Carol Jensen's tasks in Hackathon 2026 (2)" in screen
    for expected in (
        "Confirm venue booking",
        "Recruit judges",
        "To Review",
        "In Progress",
        "Thu 19 Nov 2026",
    ):
        assert expected in screen
    assert "Order catering" not in screen  # Eve's, not Carol's


async def test_assign_asks_then_creates_exactly_one_page(app: App, chat) -> None:
    carol = chat("carol")
    before = titles(app)
    screen = await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    assert (
        "I'm going to create Book photographer for Hiro Sato, due Fri 20 Nov 2026, in Industry Night"
        in screen
    )
    assert "y to confirm" in screen
    assert titles(app) == before, "nothing may be written before the confirmation"

    screen = await carol.say("y")
    assert "Done: created Book photographer" in screen
    page = app.emulator.task_by_title("Book photographer")
    assert page is not None
    assert page["status"] == "Not Started"
    assert page["due"] == "2026-11-20"
    assert page["assignee_ids"] == ["00000000-0000-4000-8000-000000001007"]  # Hiro
    assert len(page["project_ids"]) == 1

    again = await carol.say("y")  # a second "y" is a new message, not a second confirmation
    assert [t["title"] for t in app.emulator.tasks()].count("Book photographer") == 1
    assert "Done" not in again


async def test_assign_cancelled_changes_nothing(app: App, chat) -> None:
    carol = chat("carol")
    before = app.emulator.tasks()
    await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    screen = await carol.say("n")
    assert "Cancelled. Nothing was changed." in screen
    assert app.emulator.tasks() == before


async def test_update_with_disambiguation_marks_the_picked_task_done(app: App, chat) -> None:
    dan = chat("dan")
    screen = await dan.say("I've finished sending out the forms")
    assert "1) Send out recruitment forms" in screen or "1) Send out judge sign-up forms" in screen
    assert "Send out recruitment forms" in screen and "Send out judge sign-up forms" in screen
    option = 1 if "1) Send out recruitment forms" in screen else 2

    screen = await dan.say(str(option))
    assert "I'm going to mark Send out recruitment forms as Done" in screen
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"

    screen = await dan.say("y")
    assert "Done: updated Send out recruitment forms" in screen
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "Done"
    assert app.emulator.task_by_title("Send out judge sign-up forms")["status"] == "Not Started"


async def test_verification_links_then_answers_the_original_request(app: App, chat) -> None:
    zoe = chat("zoe")
    screen = await zoe.say("show me my tasks")
    assert "What's the e-mail address of your Notion account?" in screen
    screen = await zoe.say("zoe.martin@club.example")
    assert "link your terminal account to the Notion user Zoe Martin (zoe.martin@club.example)" in screen
    screen = await zoe.say("y")
    assert "Linked: you're Zoe Martin in Notion now." in screen
    assert "Zoe Martin's tasks: none right now." in screen  # the original request, answered
    screen = await zoe.say("who am I?")
    assert "Zoe Martin" in screen


async def test_a_linked_notion_account_cannot_be_taken_over(app: App, chat) -> None:
    screen = await chat("mallory").say("link my account to alice.nguyen@club.example")
    assert "already linked to another terminal user" in screen
    screen = await chat("mallory").say("what are my tasks?")
    assert "e-mail address of your Notion account" in screen


async def test_denied_and_unclear_requests_change_nothing(app: App, chat) -> None:
    before = app.emulator.tasks()
    screen = await chat("hiro").say("mark Update Linktree as done")
    assert "Sorry, I can't do that: Members can only edit their own tasks" in screen
    screen = await chat("eve").say("mark the banner printing as done")
    assert "I couldn't find a task matching" in screen
    screen = await chat("carol").say("assign Set up photo booth to Kevin due Friday in Industry Night")
    assert "I couldn't find anyone called “Kevin”" in screen
    assert app.emulator.tasks() == before


async def test_only_the_requester_can_confirm(app: App, chat) -> None:
    carol, bob = chat("carol"), chat("bob")
    await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    bob.waiting = carol.waiting  # Bob clicks Carol's button
    screen = await bob.say("y")
    assert "Only Carol Jensen can answer this." in screen
    assert app.emulator.task_by_title("Book photographer") is None
    assert "Done: created" in await carol.say("y")


async def test_an_expired_confirmation_writes_nothing(app: App, chat, clock) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    clock.advance(minutes=11)
    screen = await carol.say("y")
    assert "expired" in screen
    assert app.emulator.task_by_title("Book photographer") is None
