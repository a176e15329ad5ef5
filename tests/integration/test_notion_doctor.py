"""`darcy doctor` against the emulator: a right config passes, each kind of mismatch is
reported with its one-line fix, and --write-config drafts a mapping that works."""

from __future__ import annotations

import copy
import io
import json
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.config import DEMO_WORKSPACE, NotionSettings, ProjectProperties, TaskProperties, load_settings
from core.domain import TaskQuery
from integrations.notion.doctor import doctor, run_doctor
from integrations.notion.server import NotionEmulator
from integrations.notion.store import NotionTaskStore

OTHER_WORKSPACE = Path(__file__).parents[1] / "fixtures" / "other-workspace.json"
BOARD_TASKS = {
    "title": "Task", "status": "State", "status_type": "select", "assignees": "Owner",
    "due": "Deadline", "due_has_time": True, "project": "Team", "project_type": "select",
    "description": "Notes", "darcy_id": "Darcy ID",
    "status_options": ["Backlog", "Doing", "Review", "Shipped", "Dropped"],
    "active_statuses": ["Backlog", "Doing", "Review"], "default_status": "Backlog",
    "done_status": "Shipped", "archive_status": "Dropped"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
async def demo() -> AsyncIterator[NotionEmulator]:
    async with NotionEmulator(load(DEMO_WORKSPACE)) as emu:
        yield emu


@pytest.fixture
async def board() -> AsyncIterator[NotionEmulator]:
    async with NotionEmulator(load(OTHER_WORKSPACE)) as emu:
        yield emu


def settings_for(emu: NotionEmulator, **changes: Any) -> NotionSettings:
    data: dict[str, Any] = {"embedded": False, "tasks_data_source_id": emu.tasks_data_source_id,
                            "projects_data_source_id": emu.projects_data_source_id,
                            "retry_initial_seconds": 0.01}
    return NotionSettings.model_validate({**data, **changes})


async def check(emu: NotionEmulator, settings: NotionSettings, *, token: str | None = None,
                write_config: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    status = await doctor(settings, base_url=emu.base_url or "", token=token or emu.token,
                          write_config=write_config, out=out)
    return status, out.getvalue()


async def test_the_demo_config_passes(demo: NotionEmulator) -> None:
    status, report = await check(demo, settings_for(demo))
    assert status == 0, report
    assert "✓ token accepted: integration “Darcy” in workspace “Darcy demo workspace”" in report
    assert "✓ tasks.assignees: “In Charge” (people)" in report
    assert "✓ projects.progress: “Progress” (select)" in report
    assert "No problems" in report and "✗" not in report


async def test_the_other_board_passes_with_its_config(board: NotionEmulator) -> None:
    status, report = await check(board, settings_for(board, tasks=BOARD_TASKS))
    assert status == 0, report
    assert "✓ tasks.project: “Team” (select)" in report


async def test_a_renamed_property_is_reported_with_the_new_name(demo: NotionEmulator) -> None:
    demo.rename_property(demo.tasks_data_source_id, "In Charge", "Owner")
    status, report = await check(demo, settings_for(demo))
    assert status == 1
    assert ("✗ tasks.assignees: no property “In Charge”\n"
            '    fix: set [notion.tasks] assignees = "Owner"') in report
    assert "1 problem found." in report


async def test_a_wrong_type_is_reported(demo: NotionEmulator) -> None:
    status, report = await check(demo, settings_for(demo, tasks={"status_type": "select"}))
    assert status == 1
    assert ("✗ tasks.status: “Status” is a status property, the config expects select\n"
            '    fix: set [notion.tasks] status_type = "status" if that is right') in report


async def test_an_unknown_status_option_is_reported(demo: NotionEmulator) -> None:
    options = [*TaskProperties().status_options, "Cancelled"]
    status, report = await check(demo, settings_for(demo, tasks={"status_options": options}))
    assert status == 1
    assert "✗ tasks.status_options: “Cancelled” is not an option of “Status”" in report
    assert "fix: remove “Cancelled” from [notion.tasks] status_options, or add it to “Status”" in report


async def test_an_option_darcy_does_not_know_is_only_a_warning(demo: NotionEmulator) -> None:
    options = [o for o in TaskProperties().status_options if o != "Blocked"]
    active = [o for o in TaskProperties().active_statuses if o != "Blocked"]
    status, report = await check(demo, settings_for(
        demo, tasks={"status_options": options, "active_statuses": active}))
    assert status == 0
    assert "! tasks: Darcy does not know the option(s) Blocked of “Status”" in report


async def test_an_unshared_data_source_is_reported(demo: NotionEmulator) -> None:
    demo.unshare(demo.projects_data_source_id)
    status, report = await check(demo, settings_for(demo))
    assert status == 1
    assert (f"✗ the integration cannot see the Projects data source {demo.projects_data_source_id} "
            "(object_not_found)") in report
    assert ("fix: in Notion, open the Projects database → ⋯ → Connections → "
            "add the integration “Darcy”") in report
    assert "✓ tasks.title" in report  # the rest is still checked


async def test_a_database_id_instead_of_a_data_source_id(demo: NotionEmulator) -> None:
    status, report = await check(demo, settings_for(demo, tasks_data_source_id=demo.tasks_database_id))
    assert status == 1
    assert f'fix: set [notion] tasks_data_source_id = "{demo.tasks_data_source_id}"' in report


async def test_a_relation_to_another_data_source(demo: NotionEmulator) -> None:
    status, report = await check(demo, settings_for(demo, projects_data_source_id=demo.tasks_data_source_id))
    assert status == 1
    assert f'set [notion] projects_data_source_id = "{demo.projects_data_source_id}"' in report


async def test_token_and_capability_problems(demo: NotionEmulator) -> None:
    status, report = await check(demo, settings_for(demo), token="secret_wrong")
    assert status == 1 and "Notion refused the integration token" in report
    demo.restrict("users")
    status, report = await check(demo, settings_for(demo))
    assert status == 1
    assert "✗ cannot list the workspace's users (restricted_resource)" in report
    assert "Read user information including email addresses" in report


async def test_no_token_at_all(demo: NotionEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    settings = load_settings(notion={"embedded": False, "base_url": demo.base_url,
                                     "tasks_data_source_id": demo.tasks_data_source_id})
    out = io.StringIO()
    assert await run_doctor(settings, out=out) == 1
    assert "no integration token: $NOTION_TOKEN is not set" in out.getvalue()


async def test_run_doctor_on_the_embedded_demo() -> None:
    out = io.StringIO()
    assert await run_doctor(load_settings(), out=out) == 0, out.getvalue()
    assert out.getvalue().startswith("Checking the embedded workspace (demo-workspace.json")


# ---- --write-config --------------------------------------------------------------------------


def drafted(report: str) -> dict[str, Any]:
    return tomllib.loads(report[report.index("# Drafted by"):])["notion"]


async def test_the_draft_of_the_demo_is_the_default_mapping(demo: NotionEmulator) -> None:
    status, report = await check(demo, settings_for(demo), write_config=True)
    assert status == 0, report
    draft = drafted(report)
    assert TaskProperties.model_validate(draft["tasks"]) == TaskProperties()
    assert ProjectProperties.model_validate(draft["projects"]) == ProjectProperties()


async def test_a_draft_from_another_board_works_through_config_alone(board: NotionEmulator) -> None:
    wrong = settings_for(board)  # the demo's mapping: nothing fits
    status, report = await check(board, wrong, write_config=True)
    assert status == 0 and "✗ tasks.title: no property “Name”" in report
    draft = drafted(report)
    assert draft["tasks"] == {**BOARD_TASKS, "due_has_time": True}
    settings = wrong.model_copy(update={"tasks": TaskProperties.model_validate(draft["tasks"])})
    assert (await check(board, settings))[0] == 0
    assert board.base_url is not None
    store = NotionTaskStore.connect(settings, base_url=board.base_url, token=board.token,
                                    tasks_data_source_id=board.tasks_data_source_id,
                                    projects_data_source_id=board.projects_data_source_id)
    try:
        doing = await store.list_tasks(TaskQuery(statuses=["Doing"]))
    finally:
        await store.aclose()
    assert {t.title for t in doing} == {"Draft sponsor deck", "Plan the pizza night"}


async def test_a_board_without_people_gets_an_incomplete_draft() -> None:
    workspace = copy.deepcopy(load(OTHER_WORKSPACE))
    del workspace["notion_schema"]["tasks_database"]["properties"]["Owner"]
    for task in workspace["tasks"]:
        task["properties"].pop("Owner")
    async with NotionEmulator(workspace) as emu:
        status, report = await check(emu, settings_for(emu, tasks=BOARD_TASKS), write_config=True)
    assert status == 1
    assert "# TODO tasks.assignees: no people property" in report
    assert '# assignees = "?"' in report


async def test_the_sign_in_page_must_be_shared_and_commentable(demo: NotionEmulator) -> None:
    """[identity] signin_page_id: Darcy posts sign-in codes there as comments (README, "Linking
    accounts"); the doctor says what a real workspace must allow."""

    async def signin_check() -> tuple[int, str]:
        out = io.StringIO()
        status = await doctor(settings_for(demo), base_url=demo.base_url or "", token=demo.token,
                              signin_page_id=demo.signin_page_id, out=out)
        return status, out.getvalue()

    status, report = await signin_check()
    assert status == 0 and "✓ sign-in page: open, and sign-in codes can be posted on it" in report, report
    assert demo.state.comments.get(demo.signin_page_id) is None  # the check wrote nothing

    demo.restrict("comments_insert")
    status, report = await signin_check()
    assert status == 1 and "cannot add comments (restricted_resource)" in report

    demo.unshare(demo.signin_page_id)
    status, report = await signin_check()
    assert status == 1 and "the integration cannot open the sign-in page" in report
    assert "open the sign-in page → ⋯ → Connections → add the integration" in report
