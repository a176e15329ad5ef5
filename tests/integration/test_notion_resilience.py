"""Notion is slow, rate-limited and sometimes loses answers: the store copes, and never
creates a task twice. Everything is asserted on what reached the emulator."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from core.config import NotionSettings
from core.domain import NewTask, TaskChanges, TaskQuery
from core.ports import StoreError
from integrations.notion.server import NotionEmulator
from integrations.notion.store import NotionTaskStore

# The production policy with short waits, and a limiter loose enough not to slow tests
# (the limiter tests set their own).
SETTINGS = NotionSettings(retry_initial_seconds=0.01, retry_max_seconds=0.05,
                          requests_per_second=200, burst=20)
CAROL = "00000000-0000-4000-8000-000000001002"



def connect(emu: NotionEmulator, settings: NotionSettings = SETTINGS, *,
            rate_limit: bool = True) -> NotionTaskStore:
    assert emu.base_url is not None
    return NotionTaskStore.connect(
        settings, base_url=emu.base_url, token=emu.token, rate_limit=rate_limit,
        tasks_data_source_id=emu.tasks_data_source_id,
        projects_data_source_id=emu.projects_data_source_id)


@pytest.fixture
async def store(emulator: NotionEmulator) -> AsyncIterator[NotionTaskStore]:
    store = connect(emulator)
    yield store
    await store.aclose()


def sent(emu: NotionEmulator, method: str, path: str) -> int:
    return sum(1 for m, p in emu.request_log if m == method and p.startswith(path))


def pages_titled(emu: NotionEmulator, title: str) -> int:
    return sum(1 for t in emu.tasks() if t["title"] == title and not t["in_trash"])


def task(title: str = "Book photographer", **extra: Any) -> NewTask:
    return NewTask(request_id="pending-1", title=title, assignee_ids=[CAROL], due=date(2026, 11, 20),
                   **extra)


# ---- 429s --------------------------------------------------------------------------------------


async def test_a_429_storm_ends_with_everything_done_once(store: NotionTaskStore,
                                                          emulator: NotionEmulator) -> None:
    target = emulator.task_by_title("Recruit judges")
    assert target is not None
    emulator.rate_limit_storm(SETTINGS.rate_limit_retries, retry_after=0.05)
    began = time.monotonic()
    created, tasks, users, _, comment = await asyncio.gather(
        store.create_task(task("Storm task")),
        store.list_tasks(TaskQuery(assignee_id=CAROL)),
        store.list_users(),
        store.update_task(target["id"], TaskChanges(status="Blocked")),
        store.add_comment(target["id"], "through the storm"),
    )
    assert time.monotonic() - began >= 0.05  # Retry-After was honoured
    assert len(emulator.faults.fired) == SETTINGS.rate_limit_retries  # the storm did happen
    assert pages_titled(emulator, "Storm task") == 1 and created.title == "Storm task"
    assert tasks and users and comment
    assert emulator.task_by_title("Recruit judges")["status"] == "Blocked"  # type: ignore[index]
    assert emulator.comments(target["id"]) == ["through the storm"]


async def test_a_rate_limit_that_never_ends_is_reported(store: NotionTaskStore,
                                                        emulator: NotionEmulator) -> None:
    emulator.rate_limit_storm(50, retry_after=0)
    with pytest.raises(StoreError, match="rate limiting"):
        await store.list_projects()
    assert len(emulator.request_log) == 1 + SETTINGS.rate_limit_retries  # bounded


async def test_a_429_pauses_every_caller_of_the_integration(emulator: NotionEmulator) -> None:
    one, two = connect(emulator), connect(emulator)  # same token: one shared limiter
    try:
        emulator.rate_limit_storm(1, retry_after=0.3, path="/v1/users")

        async def later() -> None:
            await asyncio.sleep(0.05)  # after the 429 has come back
            await two.list_projects()

        await asyncio.gather(one.list_users(), later())
        refused = emulator.requests[0]
        projects = next(r for r in emulator.requests if r.path.endswith("/query"))
        assert projects.at - refused.at >= 0.25  # waited for Retry-After though never refused
    finally:
        await one.aclose()
        await two.aclose()


# ---- the limiter -----------------------------------------------------------------------------


async def test_the_limiter_keeps_to_its_rate_across_stores(emulator: NotionEmulator) -> None:
    slow = NotionSettings(requests_per_second=20, burst=1, cache_seconds=0)
    one, two = connect(emulator, slow), connect(emulator, slow)
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    try:
        await asyncio.gather(*(store.get_task(row["id"]) for store in [one, two] * 5))
    finally:
        await one.aclose()
        await two.aclose()
    times = [r.at for r in emulator.requests]
    assert len(times) == 10
    assert times[-1] - times[0] >= 0.4  # 10 requests at 20/s, no burst: ≥ 9 intervals of 50 ms


# ---- creates that fail, or seem to -----------------------------------------------------------


async def test_a_5xx_on_create_is_checked_then_sent_again(store: NotionTaskStore,
                                                         emulator: NotionEmulator) -> None:
    emulator.fail_next(500, "internal_server_error", methods=["POST"], path="/v1/pages")
    created = await store.create_task(task())
    assert pages_titled(emulator, "Book photographer") == 1
    assert created.id == emulator.task_by_title("Book photographer")["id"]  # type: ignore[index]
    posts = [(m, p) for m, p in emulator.request_log if m == "POST"]
    assert posts[0] == ("POST", "/v1/pages")  # refused
    assert posts[1][1].endswith("/query")  # did it land? no
    assert posts[-1] == ("POST", "/v1/pages")  # then once more


@pytest.mark.parametrize("lost", [
    {"status": 504, "code": "gateway_timeout"},
    {"status": 500, "code": "internal_server_error"},
    {"drop": True},  # the connection ends without an answer
    {"delay": 0.4},  # the answer comes after the client gave up (timeout 0.2 s)
], ids=["504", "500", "dropped", "timeout"])
async def test_a_create_whose_answer_was_lost_is_found_not_repeated(
        emulator: NotionEmulator, lost: dict[str, Any]) -> None:
    store = connect(emulator, SETTINGS.model_copy(update={"timeout_seconds": 0.2}))
    emulator.lose_next_answer(**lost)
    try:
        created = await store.create_task(task())
    finally:
        await store.aclose()
    assert len(emulator.faults.fired) == 1  # the answer was lost
    assert pages_titled(emulator, "Book photographer") == 1
    assert sent(emulator, "POST", "/v1/pages") == 1  # never sent twice
    assert created.id == emulator.task_by_title("Book photographer")["id"]  # type: ignore[index]


async def test_a_create_someone_else_made_by_hand_is_not_taken_for_ours(
        store: NotionTaskStore, emulator: NotionEmulator) -> None:
    # A person created a same-titled task (different person in charge) in the same minute.
    await store.create_task(NewTask(title="Book photographer", assignee_ids=[]))
    emulator.fail_next(503, "service_unavailable", methods=["POST"], path="/v1/pages")
    await store.create_task(task())
    assert pages_titled(emulator, "Book photographer") == 2


async def test_a_lasting_5xx_on_create_gives_up_with_no_page(store: NotionTaskStore,
                                                              emulator: NotionEmulator) -> None:
    emulator.fail_next(503, "service_unavailable", times=10, methods=["POST"], path="/v1/pages")
    with pytest.raises(StoreError, match="Could not create the task: Notion is unavailable"):
        await store.create_task(task())
    assert pages_titled(emulator, "Book photographer") == 0
    assert sent(emulator, "POST", "/v1/pages") == SETTINGS.create_attempts  # bounded


async def test_a_lost_create_is_found_by_its_darcy_id_when_the_board_has_one(demo: dict[str, Any]) -> None:
    workspace = copy.deepcopy(demo)
    workspace["notion_schema"]["tasks_database"]["properties"]["Darcy ID"] = "rich_text"
    tasks = SETTINGS.tasks.model_copy(update={"darcy_id": "Darcy ID"})
    async with NotionEmulator(workspace) as emu:
        store = connect(emu, SETTINGS.model_copy(update={"tasks": tasks}))
        emu.lose_next_answer()
        try:
            created = await store.create_task(task())
        finally:
            await store.aclose()
        check = next(r for r in emu.requests if r.path.endswith("/query"))
        assert json.loads(check.body)["filter"] == {
            "property": "Darcy ID", "rich_text": {"equals": "pending-1"}}
        assert [r for r in emu.rows() if r["Name"] == "Book photographer"] == [
            {**emu.rows()[-1], "Darcy ID": "pending-1"}]
        assert created.id == emu.rows()[-1]["id"]


async def test_a_comment_whose_answer_was_lost_is_not_repeated(store: NotionTaskStore,
                                                               emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    emulator.lose_next_answer(path="/v1/comments")
    comment_id = await store.add_comment(row["id"], "Asked three alumni")
    assert emulator.comments(row["id"]) == ["Asked three alumni"]
    assert [c.id for c in await store.list_comments(row["id"])] == [comment_id]


# ---- reads -------------------------------------------------------------------------------------


async def test_a_read_that_times_out_is_retried(emulator: NotionEmulator) -> None:
    store = connect(emulator, SETTINGS.model_copy(update={"timeout_seconds": 0.2}))
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    emulator.lose_next_answer(methods=["GET"], path="/v1/pages/", status=200, code="ok", delay=0.4)
    try:
        assert (await store.get_task(row["id"])).title == "Recruit judges"
    finally:
        await store.aclose()
    assert sent(emulator, "GET", "/v1/pages/") == 2


async def test_an_update_is_retried_like_a_read(store: NotionTaskStore, emulator: NotionEmulator) -> None:
    row = emulator.task_by_title("Recruit judges")
    assert row is not None
    emulator.fail_next(502, "bad_gateway", methods=["PATCH"])
    await store.update_task(row["id"], TaskChanges(status="Done"))
    assert emulator.task_by_title("Recruit judges")["status"] == "Done"  # type: ignore[index]
    assert sent(emulator, "PATCH", "/v1/pages/") == 2  # setting a value twice is harmless


# ---- cache and call counting -------------------------------------------------------------------


async def test_users_and_projects_are_cached_and_counted(store: NotionTaskStore,
                                                         emulator: NotionEmulator) -> None:
    for _ in range(3):
        await store.list_users()
        await store.list_projects()
    assert store.calls == len(emulator.request_log) == 2
    store.invalidate()
    await store.list_users()
    assert store.calls == 3


async def test_the_cache_expires(emulator: NotionEmulator) -> None:
    store = connect(emulator, SETTINGS.model_copy(update={"cache_seconds": 0.05}))
    try:
        await store.list_projects()
        await store.list_projects()
        await asyncio.sleep(0.06)
        await store.list_projects()
    finally:
        await store.aclose()
    assert sent(emulator, "POST", f"/v1/data_sources/{emulator.projects_data_source_id}") == 2


# ---- pagination --------------------------------------------------------------------------------


async def test_users_and_comments_are_paginated(demo: dict[str, Any]) -> None:
    crowd = copy.deepcopy(demo)
    crowd["members"] += [{"handle": f"m{i}", "name": f"Member {i}", "email": f"m{i}@club.example"}
                         for i in range(230)]
    async with NotionEmulator(crowd) as emu:
        store = connect(emu)
        row = emu.task_by_title("Recruit judges")
        assert row is not None
        thread = emu.state.comments.setdefault(row["id"], [])
        for i in range(130):  # seeded directly: 130 comments would be 130 requests
            thread.append({"object": "comment", "id": f"c{i:03d}", "created_time": "2026-11-01T00:00:00.000Z",
                           "created_by": {"object": "user", "id": emu.state.bot_id},
                           "rich_text": [{"type": "text", "plain_text": f"note {i}"}]})
        try:
            assert len(await store.list_users()) == len(crowd["members"])
            comments = await store.list_comments(row["id"])
        finally:
            await store.aclose()
    assert sent(emu, "GET", "/v1/users") == 3  # 100 + 100 + 44 (with the bot)
    assert [c.text for c in comments] == [f"note {i}" for i in range(130)]
    assert sent(emu, "GET", "/v1/comments") == 2
