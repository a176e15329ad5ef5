"""Boards whose schema differs from the demo's work through config alone.

The second workspace (tests/fixtures/other-workspace.json) keeps its status in a `select`
("State"), several people in "Owner", due dates *with times* in "Deadline", and the
project as a `select` ("Team") rather than a relation. A third board ticks a "Done"
checkbox instead of having a status. Each test asserts what landed in the emulator.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.config import NotionSettings
from core.domain import NewTask, TaskChanges, TaskQuery
from core.ports import StoreError
from integrations.notion.seed import stable_id
from integrations.notion.server import NotionEmulator
from integrations.notion.store import NotionTaskStore

OTHER_WORKSPACE = Path(__file__).parents[1] / "fixtures" / "other-workspace.json"
FAST = {"retry_initial_seconds": 0.01, "retry_max_seconds": 0.05}
BOARD = NotionSettings.model_validate({**FAST, "tasks": {
    "title": "Task", "status": "State", "status_type": "select", "assignees": "Owner",
    "due": "Deadline", "due_has_time": True, "due_time": "18:00", "project": "Team",
    "project_type": "select", "description": "Notes", "darcy_id": "Darcy ID",
    "status_options": ["Backlog", "Doing", "Review", "Shipped", "Dropped"],
    "active_statuses": ["Backlog", "Doing", "Review"], "default_status": "Backlog",
    "done_status": "Shipped", "archive_status": "Dropped"},
    "projects": {"title": "Team name", "progress": None, "lead": "Coordinator"}})
ACTIVE = BOARD.tasks.active_statuses


def other() -> dict[str, Any]:
    return json.loads(OTHER_WORKSPACE.read_text(encoding="utf-8"))


def user(handle: str) -> str:
    return stable_id("user", handle)


def connect(emu: NotionEmulator, settings: NotionSettings) -> NotionTaskStore:
    assert emu.base_url is not None
    return NotionTaskStore.connect(
        settings, base_url=emu.base_url, token=emu.token, rate_limit=False,
        tasks_data_source_id=emu.tasks_data_source_id,
        projects_data_source_id=emu.projects_data_source_id, timezone="Europe/London")


@pytest.fixture
async def emulator() -> AsyncIterator[NotionEmulator]:
    async with NotionEmulator(other()) as emu:
        yield emu


@pytest.fixture
async def store(emulator: NotionEmulator) -> AsyncIterator[NotionTaskStore]:
    store = connect(emulator, BOARD)
    yield store
    await store.aclose()


def row(emu: NotionEmulator, title: str, prop: str = "Task") -> dict[str, Any]:
    return next(r for r in emu.rows() if r[prop] == title and not r["in_trash"])


async def titles(store: NotionTaskStore, **query: Any) -> set[str]:
    return {t.title for t in await store.list_tasks(TaskQuery(**query))}


# ---- a select status, several people, dates with times, a select project -----------------


async def test_reads_every_field_through_the_mapping(store: NotionTaskStore,
                                                     emulator: NotionEmulator) -> None:
    task = await store.get_task(row(emulator, "Draft sponsor deck")["id"])
    assert (task.title, task.status, task.project_ids) == ("Draft sponsor deck", "Doing", ["Sponsorship"])
    assert task.assignee_ids == [user("ana"), user("ben")]
    assert task.due == date(2026, 3, 6)
    assert task.description == "Ten slides, the robot on the cover"


async def test_a_time_is_read_on_its_day_in_the_workspace_zone(store: NotionTaskStore,
                                                                emulator: NotionEmulator) -> None:
    # 00:30 at +01:00 on the 11th is 23:30 on the 10th in London.
    task = await store.get_task(row(emulator, "Order team hoodies")["id"])
    assert task.due == date(2026, 3, 10)


async def test_projects_are_the_options_of_the_team_select(store: NotionTaskStore,
                                                           emulator: NotionEmulator) -> None:
    projects = await store.list_projects()
    assert [(p.id, p.name) for p in projects] == [
        ("Design", "Design"), ("Events", "Events"), ("Sponsorship", "Sponsorship")]
    assert emulator.request_log == [("GET", f"/v1/data_sources/{emulator.tasks_data_source_id}")]


async def test_filters_by_owner_team_state_and_deadline(store: NotionTaskStore) -> None:
    assert await titles(store, assignee_id=user("ben")) == {"Draft sponsor deck", "Order team hoodies"}
    assert await titles(store, project_id="Events") == {"Book the hall for the showcase",
                                                        "Plan the pizza night"}
    assert await titles(store, statuses=["Shipped", "Dropped"]) == {"Thank last year's sponsors",
                                                                    "Old logo refresh"}
    assert await titles(store, statuses=ACTIVE, project_id="Design") == {"Order team hoodies",
                                                                         "Print showcase posters"}
    # Inclusive day bounds in London, whatever the time or offset on the page.
    assert await titles(store, due_after=date(2026, 3, 6), due_before=date(2026, 3, 10)) == {
        "Draft sponsor deck", "Book the hall for the showcase", "Order team hoodies"}
    assert await titles(store, due_before=date(2026, 3, 5), statuses=ACTIVE) == {"Plan the pizza night"}


async def test_tasks_come_soonest_first(store: NotionTaskStore) -> None:
    tasks = await store.list_tasks(TaskQuery(statuses=ACTIVE))
    dated = [t.due for t in tasks if t.due]
    assert dated == sorted(dated) and tasks[-1].due is None


async def test_create_writes_each_property_in_its_own_type(store: NotionTaskStore,
                                                           emulator: NotionEmulator) -> None:
    created = await store.create_task(NewTask(
        request_id="pending-42", title="Book a photographer", assignee_ids=[user("ana"), user("dev")],
        project_id="Events", due=date(2026, 3, 9), description="For the showcase"))
    landed = row(emulator, "Book a photographer")
    assert landed == {**landed, "State": "Backlog", "Owner": [user("ana"), user("dev")],
                      "Team": "Events", "Deadline": "2026-03-09T18:00:00+00:00",
                      "Notes": "For the showcase", "Darcy ID": "pending-42"}
    assert (created.id, created.status, created.due, created.project_ids) == (
        landed["id"], "Backlog", date(2026, 3, 9), ["Events"])


async def test_update_writes_only_what_changed(store: NotionTaskStore, emulator: NotionEmulator) -> None:
    before = row(emulator, "Book the hall for the showcase")
    updated = await store.update_task(before["id"], TaskChanges(
        status="Shipped", due=date(2026, 7, 1), assignee_ids=[user("ben"), user("chloe")]))
    after = row(emulator, "Book the hall for the showcase")
    # 1 July is summer time in London: 18:00 there is +01:00.
    assert (after["State"], after["Deadline"], after["Owner"]) == (
        "Shipped", "2026-07-01T18:00:00+01:00", [user("ben"), user("chloe")])
    assert after["Team"] == before["Team"] and after["Notes"] == before["Notes"]
    assert (updated.status, updated.due) == ("Shipped", date(2026, 7, 1))


async def test_a_new_team_is_a_new_project_at_once(store: NotionTaskStore,
                                                   emulator: NotionEmulator) -> None:
    assert "Outreach" not in {p.name for p in await store.list_projects()}
    await store.update_task(row(emulator, "Write the newsletter")["id"], TaskChanges(project_id="Outreach"))
    assert row(emulator, "Write the newsletter")["Team"] == "Outreach"
    assert "Outreach" in {p.name for p in await store.list_projects()}  # the write dropped the cache


async def test_a_config_that_names_the_wrong_type_fails_with_notions_reason(
        emulator: NotionEmulator) -> None:
    wrong = BOARD.model_copy(update={"tasks": BOARD.tasks.model_copy(update={"status_type": "status"})})
    store = connect(emulator, wrong)
    try:
        with pytest.raises(StoreError, match="database property select does not match filter status"):
            await store.list_tasks(TaskQuery(statuses=["Doing"]))
    finally:
        await store.aclose()


# ---- a "Done" checkbox instead of a status ----------------------------------------------------

CHECKBOX = NotionSettings.model_validate({**FAST, "tasks": {
    **BOARD.tasks.model_dump(), "status": "Done", "status_type": "checkbox",
    "status_options": ["To do", "Done"], "active_statuses": ["To do"], "default_status": "To do",
    "done_status": "Done", "archive_status": "Done"}})


@pytest.fixture
async def checkbox_board() -> AsyncIterator[tuple[NotionEmulator, NotionTaskStore]]:
    workspace = copy.deepcopy(other())
    properties = workspace["notion_schema"]["tasks_database"]["properties"]
    del properties["State"]
    properties["Done"] = "checkbox"
    for task in workspace["tasks"]:
        state = task["properties"].pop("State")
        task["properties"]["Done"] = state in ("Shipped", "Dropped")
    async with NotionEmulator(workspace) as emu:
        store = connect(emu, CHECKBOX)
        try:
            yield emu, store
        finally:
            await store.aclose()


async def test_a_checkbox_board_reads_and_filters_done(
        checkbox_board: tuple[NotionEmulator, NotionTaskStore]) -> None:
    emulator, store = checkbox_board
    assert await titles(store, statuses=["Done"]) == {"Thank last year's sponsors", "Old logo refresh"}
    assert len(await titles(store, statuses=["To do"])) == 6
    assert len(await titles(store, statuses=["To do", "Done"])) == 8  # no condition at all
    task = await store.get_task(row(emulator, "Old logo refresh")["id"])
    assert task.status == "Done"


async def test_a_checkbox_board_ticks_on_done_and_creates_unticked(
        checkbox_board: tuple[NotionEmulator, NotionTaskStore]) -> None:
    emulator, store = checkbox_board
    updated = await store.update_task(row(emulator, "Plan the pizza night")["id"], TaskChanges(status="Done"))
    assert row(emulator, "Plan the pizza night")["Done"] is True and updated.status == "Done"
    created = await store.create_task(NewTask(title="Sweep the lab", assignee_ids=[user("dev")]))
    assert row(emulator, "Sweep the lab")["Done"] is False and created.status == "To do"
