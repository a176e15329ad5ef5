"""One task in full, as people ask about it: its status, people, project, description and latest
comments, read from Notion now; and comments Darcy writes show in Notion as the person who asked."""

from __future__ import annotations

from bot.bootstrap import App

RECRUIT_JUDGES = "Recruit judges"


def page_id(app: App, title: str) -> str:
    return app.emulator.task_by_title(title)["id"]


async def test_asking_about_a_task_shows_it_in_full(app: App, chat) -> None:
    screen = await chat("carol").say("who is working on Order catering?")
    assert "Order catering: Not Started, due Thu 26 Nov 2026" in screen
    assert "People: Eve Rossi · Project: Hackathon 2026" in screen
    assert "Description: Pizza and drinks for 120 people, two dietary options." in screen
    assert "No comments yet." in screen
    assert "https://www.notion.so/" in screen
    assert "y to confirm" not in screen  # a read: nothing to confirm, nothing written


async def test_a_comment_shows_as_the_person_in_notion_and_in_the_details(app: App, chat) -> None:
    carol = chat("carol")
    await carol.say("add a comment to Recruit judges: asked 3 profs")
    await carol.say("y")
    assert app.emulator.comments(page_id(app, RECRUIT_JUDGES)) == ["asked 3 profs"]
    assert app.emulator.comment_names(page_id(app, RECRUIT_JUDGES)) == ["Carol Jensen via Darcy"]

    screen = await chat("dan").say("any comments on Recruit judges?")
    assert "Comments:\n• Carol Jensen via Darcy: asked 3 profs" in screen


async def test_only_the_latest_comments_are_shown(app: App, chat) -> None:
    carol = chat("carol")
    for n in range(1, 6):
        await carol.say(f"add a comment to Recruit judges: update {n}")
        await carol.say("y")
    screen = await carol.say("what's the status of Recruit judges?")
    assert "Latest comments (3 of 5):" in screen
    assert "update 3" in screen and "update 5" in screen and "update 2" not in screen


async def test_a_name_that_fits_two_tasks_asks_which(app: App, chat) -> None:
    dan = chat("dan")
    screen = await dan.say("what's the status of the forms?")
    assert "Which task do you mean?" in screen
    assert "Send out recruitment forms" in screen and "Send out judge sign-up forms" in screen
    options = [line for line in screen.splitlines() if line.strip().startswith(("1)", "2)"))]
    pick = "1" if "recruitment" in options[0] else "2"
    shown = await dan.say(pick)
    assert "Send out recruitment forms: In Progress" in shown


async def test_an_unknown_task_says_so(app: App, chat) -> None:
    screen = await chat("carol").say("what's the status of the lanyards?")
    assert "I couldn't find a task matching “the lanyards”." in screen


async def test_asking_how_a_project_is_going_lists_its_tasks(app: App, chat) -> None:
    screen = await chat("carol").say("how's the hackathon going?")
    assert "Tasks in Hackathon 2026" in screen and "Order catering" in screen
