"""Naming a task reads every task, so the list is kept a few seconds: what a person sees must
not change because of it. A task made in Notion meanwhile is found, a task Darcy just archived
is not offered again, and a burst of requests reads the list once."""

from __future__ import annotations

import asyncio

from bot.bootstrap import App
from core.domain import NewTask
from core.messages import HandleRequest


def task_queries(app: App) -> int:
    """Queries of the tasks' data source the Notion server has answered."""
    source = app.emulator.tasks_data_source_id
    return sum(1 for method, path in app.emulator.request_log if path == f"/v1/data_sources/{source}/query")


async def test_a_burst_of_requests_naming_tasks_reads_the_list_once(app: App) -> None:
    before = task_queries(app)
    asked = [
        HandleRequest(platform="terminal", user_id=user, text=text)
        for user, text in [
            ("carol", "mark Recruit judges done"),
            ("carol", "move Confirm venue booking to Friday"),
            ("eve", "mark Order catering as in progress"),
        ]
    ]
    replies = await asyncio.gather(*(app.bus.execute(each) for each in asked))
    assert [r.decision for r in replies] == ["confirm", "confirm", "confirm"]
    assert task_queries(app) - before == 1


async def test_a_task_made_in_notion_meanwhile_is_found(app: App, chat) -> None:
    carol = chat("carol")
    await carol.say("mark Recruit judges done")  # the task list is read now
    await carol.say("n")
    carol_id = next(m for m in await app.deps.directory.members() if m.handle == "carol").notion_user_id
    await app.store.create_task(NewTask(title="Print lanyards", assignee_ids=[carol_id]))  # in Notion

    screen = await carol.say("mark Print lanyards done")
    assert "Print lanyards" in screen and "y to confirm" in screen


async def test_a_task_darcy_just_archived_is_not_offered_again(app: App, chat) -> None:
    alice = chat("alice")
    await alice.say("archive Design recruitment poster")
    done = await alice.say("y")
    assert "Done" in done

    again = await alice.say("archive Design recruitment poster")  # the list was read before the write
    assert "Design recruitment poster is already archived, so there's nothing to change." in again
    assert "y to confirm" not in again


async def test_marking_a_task_with_the_status_it_has_changes_nothing(app: App, chat) -> None:
    carol = chat("carol")
    await carol.say("mark Recruit judges done")
    await carol.say("y")
    before = app.emulator.tasks()

    screen = await carol.say("recruited the judges")
    assert "Recruit judges is already Done, so there's nothing to change." in screen
    assert app.emulator.tasks() == before
