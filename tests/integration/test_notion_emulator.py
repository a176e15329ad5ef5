"""The emulator answers like Notion: request validation, filters, cursors, errors, faults.

Raw HTTP (no notion-client), so what is asserted is the wire: status, error code, message,
headers and list shapes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.config import DEMO_WORKSPACE
from integrations.notion.server import NotionEmulator

CAROL = "00000000-0000-4000-8000-000000001002"


@pytest.fixture
async def emulator() -> AsyncIterator[NotionEmulator]:
    async with NotionEmulator(json.loads(DEMO_WORKSPACE.read_text(encoding="utf-8"))) as emu:
        yield emu


@pytest.fixture
async def raw(emulator: NotionEmulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {emulator.token}", "Notion-Version": "2025-09-03"}
    async with httpx.AsyncClient(base_url=f"{emulator.base_url}/v1", headers=headers) as client:
        yield client


async def create(raw: httpx.AsyncClient, emu: NotionEmulator, properties: dict[str, Any]) -> httpx.Response:
    return await raw.post("/pages", json={
        "parent": {"type": "data_source_id", "data_source_id": emu.tasks_data_source_id},
        "properties": {"Name": {"title": [{"text": {"content": "Probe"}}]}, **properties}})


async def query(raw: httpx.AsyncClient, emu: NotionEmulator, body: dict[str, Any]) -> httpx.Response:
    return await raw.post(f"/data_sources/{emu.tasks_data_source_id}/query", json=body)


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["object"] == "error" and body["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


@pytest.mark.parametrize(("properties", "message"), [
    ({"Event/Project": {"relation": {"contains": CAROL}}},  # filter syntax where a value is due
     f'body failed validation: body.properties.Event/Project.relation should be an array, '
     f'instead was `{{"contains": "{CAROL}"}}`.'),
    ({"Due Dates": {"date": {"start": {"year": 2026, "month": 11, "day": 20}}}},  # a date object
     'body failed validation: body.properties.Due Dates.date.start should be a valid ISO 8601 date '
     'string, instead was `{"year": 2026, "month": 11, "day": 20}`.'),
    ({"Due Dates": {"date": "2026-11-20"}},
     'body failed validation: body.properties.Due Dates.date should be an object or `null`, '
     'instead was `"2026-11-20"`.'),
    ({"In Charge": {"people": [CAROL]}},
     "body failed validation: body.properties.In Charge.people[0].id should be defined, "
     "instead was `undefined`."),
])
async def test_wrong_property_values_are_400_validation_errors(
        raw: httpx.AsyncClient, emulator: NotionEmulator, properties: dict[str, Any], message: str) -> None:
    assert error(await create(raw, emulator, properties)) == (400, "validation_error", message)
    assert emulator.task_by_title("Probe") is None  # nothing was written


async def test_unknown_body_keys_fail_validation(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    status, code, message = error(await query(raw, emulator, {"filters": {}}))
    assert (status, code) == (400, "validation_error")
    assert message == "body failed validation: body.filters should be not present, instead was `{}`."


async def test_filters_are_checked_against_the_schema(raw: httpx.AsyncClient,
                                                      emulator: NotionEmulator) -> None:
    wrong_kind = {"filter": {"property": "Status", "select": {"equals": "Done"}}}
    assert error(await query(raw, emulator, wrong_kind))[2] == (
        "database property status does not match filter select")
    deep = {"filter": {"and": [{"or": [{"and": [{"property": "Name", "title": {"is_not_empty": True}}]}]}]}}
    assert "nests compound filters more than 2 levels deep" in error(await query(raw, emulator, deep))[2]
    bad_people = {"filter": {"property": "In Charge", "people": {"contains": "carol"}}}
    assert "should be a valid uuid" in error(await query(raw, emulator, bad_people))[2]
    too_big = {"page_size": 101}
    assert "page_size should be a number between 1 and 100" in error(await query(raw, emulator, too_big))[2]


async def test_the_filters_darcy_uses(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    async def titles(flt: dict[str, Any]) -> set[str]:
        results = (await query(raw, emulator, {"filter": flt})).json()["results"]
        return {page["properties"]["Name"]["title"][0]["plain_text"] for page in results}

    carol_open = {"and": [{"property": "In Charge", "people": {"contains": CAROL}},
                          {"property": "Status", "status": {"does_not_equal": "Done"}},
                          {"property": "Due Dates", "date": {"on_or_after": "2026-11-01"}}]}
    demo = json.loads(DEMO_WORKSPACE.read_text(encoding="utf-8"))
    assert await titles(carol_open) == {
        t["title"] for t in demo["tasks"]
        if "carol" in t["in_charge"] and t["status"] != "Done" and (t["due"] or "") >= "2026-11-01"}
    # A date-time operand compares instants: 20 Nov 00:00 at +11:00 is still 19 Nov in UTC.
    instants = {"property": "Due Dates", "date": {"before": "2026-11-20T00:00:00+11:00"}}
    day = {"property": "Due Dates", "date": {"before": "2026-11-20"}}
    assert await titles(instants) == await titles(day)
    assert await titles({"timestamp": "created_time", "created_time": {"on_or_after": "2027-01-01"}}) == set()
    assert len(await titles({"timestamp": "created_time", "created_time": {"before": "2027-01-01"}})) == 35


async def test_cursors_page_through_users(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 5, **({"start_cursor": cursor} if cursor else {})}
        page = (await raw.get("/users", params=params)).json()
        assert (page["object"], page["type"], page["user"]) == ("list", "user", {})
        seen += [u["id"] for u in page["results"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert cursor is None
            break
    assert len(seen) == len(set(seen)) == len(emulator.state.users)


async def test_injected_429_carries_retry_after(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    emulator.rate_limit_storm(1, retry_after=2)
    response = await raw.get("/users/me")
    assert error(response)[:2] == (429, "rate_limited")
    assert response.headers["Retry-After"] == "2"
    assert (await raw.get("/users/me")).status_code == 200  # the storm was one request long


async def test_a_lost_answer_still_writes(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    emulator.lose_next_answer()
    assert error(await create(raw, emulator, {}))[:2] == (504, "gateway_timeout")
    assert emulator.task_by_title("Probe") is not None


async def test_unshared_and_restricted(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    page = emulator.task_by_title("Recruit judges")
    assert page is not None
    emulator.unshare(emulator.tasks_data_source_id)
    status, code, message = error(await raw.get(f"/pages/{page['id']}"))
    assert (status, code) == (404, "object_not_found")
    assert message.endswith('Make sure the relevant pages and databases are shared with your '
                            'integration "Darcy".')
    assert error(await query(raw, emulator, {}))[:2] == (404, "object_not_found")
    emulator.restrict("users")
    assert error(await raw.get("/users"))[:2] == (403, "restricted_resource")


async def test_comments_list_oldest_first(raw: httpx.AsyncClient, emulator: NotionEmulator) -> None:
    page = emulator.task_by_title("Recruit judges")
    assert page is not None
    for text in ("first", "second"):
        body = {"parent": {"page_id": page["id"]}, "rich_text": [{"text": {"content": text}}]}
        assert (await raw.post("/comments", json=body)).json()["object"] == "comment"
    listed = (await raw.get("/comments", params={"block_id": page["id"]})).json()
    assert (listed["object"], listed["type"]) == ("list", "comment")
    assert [c["rich_text"][0]["plain_text"] for c in listed["results"]] == ["first", "second"]
