"""NotionTaskStore through the real notion-client against the Notion emulator on loopback."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from core.config import NotionSettings
from core.domain import NewTask, TaskChanges, TaskQuery
from core.ports import StoreError
from integrations.notion.seed import workspace_state
from integrations.notion.server import NotionEmulator
from integrations.notion.store import NotionStoreError, NotionTaskStore, start_embedded

# Quick retries: the policy is the production one, its waits are shorter.
SETTINGS = NotionSettings(retry_initial_seconds=0.01, retry_max_seconds=0.05)
ACTIVE = SETTINGS.tasks.active_statuses



def connect(emu: NotionEmulator, *, token: str | None = None,
            settings: NotionSettings = SETTINGS) -> NotionTaskStore:
    assert emu.base_url is not None
    return NotionTaskStore.connect(
        settings, base_url=emu.base_url, token=token or emu.token,
        tasks_data_source_id=emu.tasks_data_source_id,
        projects_data_source_id=emu.projects_data_source_id)


@pytest.fixture
async def store(emulator: NotionEmulator) -> AsyncIterator[NotionTaskStore]:
    store = connect(emulator)
    yield store
    await store.aclose()


def user_id(demo: dict[str, Any], handle: str) -> str:
    return next(m["notion_user_id"] for m in demo["members"] if m["handle"] == handle)


async def project_id(store: NotionTaskStore, name: str) -> str:
    return next(p.id for p in await store.list_projects() if p.name == name)


def expected_titles(demo: dict[str, Any], keep: Callable[[dict[str, Any]], bool]) -> set[str]:
    return {task["title"] for task in demo["tasks"] if keep(task)}


def queries(emu: NotionEmulator) -> int:
    return sum(1 for method, path in emu.request_log
               if method == "POST" and path.endswith("/query"))


# ---- reads -----------------------------------------------------------------------------------


async def test_list_users_returns_people_with_emails_not_the_bot(
        store: NotionTaskStore, demo: dict[str, Any]) -> None:
    users = await store.list_users()
    assert len(users) == len(demo["members"])
    assert (user_id(demo, "alice"), "Alice Nguyen", "alice.nguyen@club.example") in users


async def test_list_projects(store: NotionTaskStore, demo: dict[str, Any]) -> None:
    projects = {p.name: p for p in await store.list_projects()}
    assert set(projects) == {p["name"] for p in demo["projects"]}
    hackathon = projects["Hackathon 2026"]
    assert hackathon.progress == "Active"
    assert hackathon.lead_ids == [user_id(demo, "carol")]
    assert projects["O-Week 2026"].progress == "Completed"


async def test_active_tasks_of_carol_in_hackathon(
        store: NotionTaskStore, emulator: NotionEmulator, demo: dict[str, Any]) -> None:
    query = TaskQuery(assignee_id=user_id(demo, "carol"),
                      project_id=await project_id(store, "Hackathon 2026"), statuses=ACTIVE)
    before = queries(emulator)
    tasks = await store.list_tasks(query)
    assert {t.title for t in tasks} == {"Confirm venue booking", "Recruit judges"}
    assert queries(emulator) - before == 1  # one compound query, not one per filter


async def test_filter_by_assignee(store: NotionTaskStore, demo: dict[str, Any]) -> None:
    carol = user_id(demo, "carol")
    tasks = await store.list_tasks(TaskQuery(assignee_id=carol))
    assert {t.title for t in tasks} == expected_titles(demo, lambda t: "carol" in t["in_charge"])
    assert all(carol in t.assignee_ids for t in tasks)


async def test_filter_by_project(store: NotionTaskStore, demo: dict[str, Any]) -> None:
    marketing = await project_id(store, "Marketing")
    tasks = await store.list_tasks(TaskQuery(project_id=marketing))
    assert {t.title for t in tasks} == expected_titles(demo, lambda t: t["project"] == "Marketing")
    assert all(t.project_ids == [marketing] for t in tasks)


@pytest.mark.parametrize("statuses", [["Blocked"], ["Done", "Archive"], ACTIVE])
async def test_filter_by_statuses(store: NotionTaskStore, demo: dict[str, Any],
                                  statuses: list[str]) -> None:
    tasks = await store.list_tasks(TaskQuery(statuses=statuses))
    assert {t.title for t in tasks} == expected_titles(demo, lambda t: t["status"] in statuses)


async def test_empty_status_list_matches_nothing_without_asking(
        store: NotionTaskStore, emulator: NotionEmulator) -> None:
    assert await store.list_tasks(TaskQuery(statuses=[])) == []
    assert queries(emulator) == 0


async def test_filter_by_due_bounds_inclusive(store: NotionTaskStore,
                                              demo: dict[str, Any]) -> None:
    after, before = date(2026, 11, 19), date(2026, 11, 21)
    tasks = await store.list_tasks(TaskQuery(due_after=after, due_before=before))
    assert {t.title for t in tasks} == expected_titles(
        demo, lambda t: t["due"] is not None and "2026-11-19" <= t["due"] <= "2026-11-21")
    assert {t.due for t in tasks} == {date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)}
    overdue = await store.list_tasks(TaskQuery(due_before=date(2026, 11, 17), statuses=ACTIVE))
    assert {t.title for t in overdue} == {"Update Linktree", "Set up website analytics"}


async def test_tasks_come_soonest_first_undated_last(store: NotionTaskStore) -> None:
    tasks = await store.list_tasks(TaskQuery())
    dues = [t.due for t in tasks]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated)
    assert dues[-1] is None and tasks[-1].title == "Record workshop videos"


async def test_get_task_maps_every_field(store: NotionTaskStore, emulator: NotionEmulator,
                                         demo: dict[str, Any]) -> None:
    row = emulator.task_by_title("Order catering")
    assert row is not None
    task = await store.get_task(row["id"])
    assert task.title == "Order catering"
    assert task.status == "Not Started"
    assert task.assignee_ids == [user_id(demo, "eve")]
    assert task.project_ids == [await project_id(store, "Hackathon 2026")]
    assert task.due == date(2026, 11, 26)
    assert task.description.startswith("Pizza and drinks")
    assert task.url == f"https://www.notion.so/{row['id'].replace('-', '')}"


async def test_pagination_beyond_100_tasks(demo: dict[str, Any]) -> None:
    big = copy.deepcopy(demo)
    handles = ["alice", "bob", "carol", "dan", "eve"]
    big["tasks"] = [
        {"title": f"Generated task {i:03d}", "in_charge": [handles[i % 5]],
         "project": "Workshops", "status": ACTIVE[i % len(ACTIVE)],
         "due": f"2026-12-{1 + i % 28:02d}", "description": ""}
        for i in range(250)
    ]
    async with NotionEmulator(big) as emu:
        store = connect(emu)
        try:
            tasks = await store.list_tasks(TaskQuery())
            assert len(tasks) == 250
            assert len({t.id for t in tasks}) == 250
            assert queries(emu) == 3  # 100 + 100 + 50
            dans = await store.list_tasks(TaskQuery(assignee_id=user_id(demo, "dan")))
            assert len(dans) == 50
        finally:
            await store.aclose()


# ---- writes ----------------------------------------------------------------------------------


async def test_create_task(store: NotionTaskStore, emulator: NotionEmulator,
                           demo: dict[str, Any]) -> None:
    bob, marketing = user_id(demo, "bob"), await project_id(store, "Marketing")
    created = await store.create_task(NewTask(
        title="Poster design", assignee_ids=[bob], project_id=marketing,
        due=date(2026, 11, 20), description="A3, club colours"))
    row = emulator.task_by_title("Poster design")
    assert row == {"id": created.id, "title": "Poster design", "status": "Not Started",
                   "assignee_ids": [bob], "project_ids": [marketing], "due": "2026-11-20",
                   "description": "A3, club colours", "in_trash": False}
    assert created.status == SETTINGS.tasks.default_status
    assert created.due == date(2026, 11, 20)
    assert await store.get_task(created.id) == created


async def test_create_minimal_task_leaves_other_fields_empty(
        store: NotionTaskStore, emulator: NotionEmulator) -> None:
    created = await store.create_task(NewTask(title="Tidy the cupboard", status="In Progress"))
    row = emulator.task_by_title("Tidy the cupboard")
    assert row is not None
    assert (row["status"], row["assignee_ids"], row["project_ids"], row["due"]) == (
        "In Progress", [], [], None)
    assert created.id == row["id"]


async def test_update_task_writes_only_set_fields(
        store: NotionTaskStore, emulator: NotionEmulator, demo: dict[str, Any]) -> None:
    row = emulator.task_by_title("Order catering")
    assert row is not None
    dan, sam = user_id(demo, "dan"), user_id(demo, "sam")
    await store.update_task(row["id"], TaskChanges(status="Done"))
    await store.update_task(row["id"], TaskChanges(due=date(2026, 12, 1)))
    updated = await store.update_task(row["id"], TaskChanges(
        assignee_ids=[dan, sam], title="Order catering and drinks"))
    after = emulator.task_by_title("Order catering and drinks")
    assert after is not None
    assert after["status"] == "Done"
    assert after["due"] == "2026-12-01"
    assert after["assignee_ids"] == [dan, sam]
    assert after["description"] == row["description"]  # untouched
    assert after["project_ids"] == row["project_ids"]
    assert updated.title == "Order catering and drinks" and updated.status == "Done"


async def test_update_with_no_changes_does_not_write(
        store: NotionTaskStore, emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    task = await store.update_task(row["id"], TaskChanges())
    assert task.title == "Recruit judges"
    assert not any(method == "PATCH" for method, _ in emulator.request_log)


async def test_add_comment(store: NotionTaskStore, emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    comment_id = await store.add_comment(row["id"], "Asked three alumni")
    long_text = "x" * 4500  # beyond one rich-text item's 2000 characters
    await store.add_comment(row["id"], long_text)
    assert comment_id
    assert emulator.comments(row["id"]) == ["Asked three alumni", long_text]


async def test_a_comment_shows_as_its_author(store: NotionTaskStore, emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    await store.add_comment(row["id"], "Booked the hall", author="Carol Jensen via Darcy")
    await store.add_comment(row["id"], "No name given")

    comments = await store.list_comments(row["id"])
    assert [(c.author, c.text) for c in comments] == [
        ("Carol Jensen via Darcy", "Booked the hall"),
        ("Darcy", "No name given"),  # the integration's own name, as Notion shows it
    ]


async def test_start_embedded(demo: dict[str, Any]) -> None:
    emulator, store = await start_embedded(copy.deepcopy(demo), SETTINGS)
    try:
        assert emulator.base_url is not None
        assert emulator.base_url.startswith("http://127.0.0.1:")
        assert len(await store.list_projects()) == len(demo["projects"])
    finally:
        await store.aclose()
        await emulator.stop()


# ---- failures --------------------------------------------------------------------------------


async def test_bad_token(emulator: NotionEmulator) -> None:
    store = connect(emulator, token="secret_wrong")
    try:
        with pytest.raises(StoreError) as caught:
            await store.list_projects()
    finally:
        await store.aclose()
    assert isinstance(caught.value, NotionStoreError) and caught.value.code == "unauthorized"
    assert "Notion refused the integration token" in str(caught.value)
    assert "NOTION_TOKEN" in str(caught.value)


async def test_a_server_error_on_a_read_is_retried(store: NotionTaskStore,
                                                   emulator: NotionEmulator) -> None:
    emulator.fail_next(500, "internal_server_error", times=2, methods=["POST"])
    assert len(await store.list_tasks(TaskQuery())) == 35
    assert queries(emulator) == 3  # two failures, then the answer


async def test_a_lasting_server_error_names_notion(store: NotionTaskStore,
                                                   emulator: NotionEmulator) -> None:
    emulator.fail_next(500, "internal_server_error", times=SETTINGS.read_attempts, methods=["POST"])
    with pytest.raises(StoreError, match=r"Could not list tasks: Notion had an internal error"):
        await store.list_tasks(TaskQuery())
    assert queries(emulator) == SETTINGS.read_attempts  # bounded
    assert len(await store.list_tasks(TaskQuery())) == 35  # only those requests failed


async def test_rate_limit_is_retried(store: NotionTaskStore,
                                                   emulator: NotionEmulator) -> None:
    emulator.fail_next(429, "rate_limited", path="/query")
    assert len(await store.list_tasks(TaskQuery(statuses=["Blocked"]))) == 2
    assert queries(emulator) == 2  # retried after Retry-After: 0


async def test_unknown_page_is_a_404(store: NotionTaskStore) -> None:
    missing = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(NotionStoreError, match="could not find it") as caught:
        await store.get_task(missing)
    assert (caught.value.code, caught.value.status) == ("object_not_found", 404)
    with pytest.raises(NotionStoreError, match="object_not_found"):
        await store.add_comment(missing, "hello")


async def test_a_project_page_is_not_a_task(store: NotionTaskStore) -> None:
    with pytest.raises(NotionStoreError, match="is not a task"):
        await store.get_task(await project_id(store, "Marketing"))


async def test_validation_error_carries_notions_message(store: NotionTaskStore,
                                                        emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    with pytest.raises(StoreError, match=r"Notion rejected the request \(validation_error\): "
                                         r"Invalid status option"):
        await store.update_task(row["id"], TaskChanges(status="Finished"))


async def test_misnamed_property_in_settings(emulator: NotionEmulator) -> None:
    settings = SETTINGS.model_copy(update={"tasks": SETTINGS.tasks.model_copy(update={"assignees": "Owner"})})
    store = connect(emulator, settings=settings)
    try:
        with pytest.raises(StoreError, match="Could not find property with name or id: Owner"):
            await store.list_tasks(TaskQuery(assignee_id="00000000-0000-4000-8000-000000001000"))
    finally:
        await store.aclose()


async def test_timeout(emulator: NotionEmulator) -> None:
    store = connect(emulator, settings=SETTINGS.model_copy(update={"timeout_seconds": 0.05}))
    emulator.latency = 0.3
    try:
        with pytest.raises(StoreError, match="Notion did not answer in time"):
            await store.list_projects()
    finally:
        await store.aclose()


async def test_unreachable(demo: dict[str, Any]) -> None:
    async with NotionEmulator(copy.deepcopy(demo)) as emu:
        store = connect(emu)
    try:  # the emulator has stopped: nothing listens on that port any more
        with pytest.raises(StoreError, match="could not reach Notion"):
            await store.list_users()
    finally:
        await store.aclose()


async def test_trashed_tasks_leave_queries(store: NotionTaskStore,
                                           emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    await store.client.pages.update(page_id=row["id"], in_trash=True)
    assert "Recruit judges" not in {t.title for t in await store.list_tasks(TaskQuery())}
    with pytest.raises(NotionStoreError, match="trash"):
        await store.get_task(row["id"])


# ---- the emulator's protocol, raw --------------------------------------------------------------


@pytest.fixture
async def raw(emulator: NotionEmulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {emulator.token}", "Notion-Version": "2025-09-03"}
    async with httpx.AsyncClient(base_url=f"{emulator.base_url}/v1", headers=headers) as client:
        yield client


async def test_protocol_headers_and_errors(raw: httpx.AsyncClient,
                                           emulator: NotionEmulator) -> None:
    ok = await raw.get("/users/me")
    assert ok.headers["Content-Type"] == "application/json; charset=utf-8"  # as Notion's
    assert ok.json()["type"] == "bot"
    unversioned = await raw.get("/users/me", headers={"Notion-Version": ""})
    assert (unversioned.status_code, unversioned.json()["code"]) == (400, "missing_version")
    anonymous = await raw.get("/users", headers={"Authorization": "Bearer nope"})
    assert anonymous.json() | {"request_id": None} == {
        "object": "error", "status": 401, "code": "unauthorized",
        "message": "API token is invalid.", "request_id": None}
    database = (await raw.get(f"/databases/{emulator.tasks_database_id}")).json()
    assert database["data_sources"] == [{"id": emulator.tasks_data_source_id, "name": "Tasks"}]
    source = (await raw.get(f"/data_sources/{emulator.tasks_data_source_id}")).json()
    status = source["properties"]["Status"]
    assert [g["name"] for g in status["status"]["groups"]] == ["To-do", "In progress", "Complete"]
    assert source["properties"]["Event/Project"]["relation"]["data_source_id"] == (
        emulator.projects_data_source_id)


@pytest.mark.parametrize(("properties", "message"), [
    ({"Owner": {"people": []}}, "Owner is not a property that exists."),
    ({"In Charge": {"people": [{"name": "Bob"}]}}, "[0].id should be defined"),
    ({"Due Dates": {"date": {"start": "next Friday"}}}, "valid ISO 8601 date"),
    ({"Status": {"status": {"name": "Finished"}}}, 'Status option "Finished" does not exist'),
    ({"Name": {"rich_text": []}}, "Name is expected to be title."),
    ({"Event/Project": {"relation": [{"id": "00000000-0000-4000-8000-000000001000"}]}},
     "does not exist"),
])
async def test_bad_property_values_are_validation_errors(
        raw: httpx.AsyncClient, emulator: NotionEmulator,
        properties: dict[str, Any], message: str) -> None:
    response = await raw.post("/pages", json={
        "parent": {"type": "data_source_id", "data_source_id": emulator.tasks_data_source_id},
        "properties": properties})
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "validation_error")
    assert message in body["message"]


async def test_query_filters_sorts_and_cursors(raw: httpx.AsyncClient,
                                               emulator: NotionEmulator) -> None:
    url = f"/data_sources/{emulator.tasks_data_source_id}/query"
    body: dict[str, Any] = {
        "page_size": 2,
        "filter": {"or": [{"property": "Name", "title": {"contains": "POSTER"}},
                          {"property": "Description", "rich_text": {"is_not_empty": True}}]},
        "sorts": [{"property": "Name", "direction": "descending"}],
    }
    titles: list[str] = []
    while True:
        page = (await raw.post(url, json=body)).json()
        assert (page["object"], page["type"]) == ("list", "page_or_data_source")
        titles += [p["properties"]["Name"]["title"][0]["plain_text"] for p in page["results"]]
        if not page["has_more"]:
            break
        body["start_cursor"] = page["next_cursor"]
    assert titles == ["Send out recruitment forms", "Order name badges for industry night",
                      "Order catering", "Design recruitment poster", "Design hackathon poster"]
    bad = await raw.post(url, json={"start_cursor": "not-a-cursor"})
    assert bad.json()["code"] == "validation_error"
    missing = await raw.post(f"/data_sources/{emulator.tasks_database_id}/query", json={})
    assert (missing.status_code, missing.json()["code"]) == (404, "object_not_found")


def test_seed_is_deterministic_and_checks_handles(demo: dict[str, Any]) -> None:
    first, second = workspace_state(demo), workspace_state(copy.deepcopy(demo))
    assert list(first.pages) == list(second.pages)
    assert first.tasks_data_source_id == second.tasks_data_source_id
    assert len(first.users) == len(demo["members"]) + 1  # plus the integration's bot
    broken = copy.deepcopy(demo)
    broken["tasks"][0]["in_charge"] = ["nobody"]
    with pytest.raises(ValueError, match="nobody"):
        workspace_state(broken)


async def test_bad_filter_date_is_a_validation_error(raw: httpx.AsyncClient,
                                                     emulator: NotionEmulator) -> None:
    response = await raw.post(f"/data_sources/{emulator.tasks_data_source_id}/query", json={
        "filter": {"property": "Due Dates", "date": {"on_or_before": "Friday"}}})
    assert response.json()["code"] == "validation_error"
    assert response.json()["message"] == (
        "body failed validation: body.filter.date.on_or_before should be a valid ISO 8601 date "
        'string, instead was `"Friday"`.')


async def test_a_comment_display_name_is_validated(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    body = {"parent": {"page_id": row["id"]}, "rich_text": [{"text": {"content": "hi"}}]}
    for bad in ({"type": "robot"}, {"type": "custom", "custom": {"name": ""}}, "Carol"):
        refused = await raw.post("/comments", json={**body, "display_name": bad})
        assert refused.status_code == 400 and refused.json()["code"] == "validation_error", bad
    named = {"type": "custom", "custom": {"name": "Eve"}}
    made = await raw.post("/comments", json={**body, "display_name": named})
    assert made.json()["display_name"] == {"type": "custom", "resolved_name": "Eve"}
    assert emulator.comment_names(row["id"]) == ["Eve"]

