"""Slack's retries and Darcy's replicas: Slack sends an event again when its ack was late
(`X-Slack-Retry-Num`), and behind a load balancer the retry may reach another replica. Two
`run_slack` processes in HTTP mode, as `darcy run` starts them, share one database (a SQLite
file, and PostgreSQL when installed) and one Slack Web API rig; what people see is counted
in the rig."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import unused_port
from rigs.slack_rig import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackEmulator,
    event_body,
    mention_event,
    signed_headers,
)

from bot.bootstrap import App, bootstrap
from bot.slack.app import SeenEvents, run_slack
from core.config import SlackSettings, load_settings
from integrations.db.database import Database
from integrations.db.seen_events import SqlSeenEvents
from integrations.db.tables import SeenEventRow

CAROL = "U00001002"


async def listening(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.post(url, data=b"{}", headers={"content-type": "application/json"}):
                    return  # any answer (401: unsigned) means it listens
            await asyncio.sleep(0.02)
    raise AssertionError(f"nothing listens on {url}")


@pytest.fixture
async def replicas(
    database_url: str, clock, monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[SlackEmulator, list[str]]]:
    """Two replicas' /slack/events URLs, one database, one Slack."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    emulator = await SlackEmulator().start()
    settings = load_settings(database={"url": database_url})
    one = await bootstrap(settings, clock=clock)
    two = await bootstrap(settings, store=one.store, clock=clock)  # the same Notion workspace
    apps: list[App] = [one, two]
    running, urls = [], []
    for app in apps:
        port = unused_port()
        slack = SlackSettings(mode="http", port=port, api_url=emulator.base_url)
        running.append(asyncio.create_task(run_slack(app, app.settings.model_copy(update={"slack": slack}))))
        urls.append(f"http://127.0.0.1:{port}/slack/events")
    try:
        for url in urls:
            await listening(url)
        yield emulator, urls
    finally:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await two.aclose()
        await one.aclose()
        await emulator.close()


async def post(url: str, body: str, retry: int | None = None) -> int:
    async with aiohttp.ClientSession() as http:
        headers = signed_headers(body, "application/json", retry=retry)
        async with http.post(url, data=body, headers=headers) as response:
            return response.status


async def test_a_retry_reaching_the_other_replica_is_not_answered_twice(
    replicas: tuple[SlackEmulator, list[str]],
) -> None:
    emulator, (one, two) = replicas
    asked = mention_event("1763419001.000200", CAROL, "show me my tasks")
    body = event_body(asked, event_id="Ev0REPLICA1")
    assert await post(one, body) == 200
    first = await emulator.wait_for("chat.postMessage")
    assert first.body["thread_ts"] == asked["ts"]

    assert await post(two, body, retry=1) == 200  # Slack's retry, to the other replica
    later = mention_event("1763419002.000200", CAROL, "what's overdue?")
    assert await post(two, event_body(later, event_id="Ev0REPLICA2")) == 200
    second = await emulator.wait_for("chat.postMessage", 2)
    assert second.body["thread_ts"] == later["ts"], "the retry was answered a second time"
    await asyncio.sleep(0.2)
    assert len(emulator.of("chat.postMessage")) == 2


async def test_seen_event_ids_are_forgotten_after_a_short_while(db: Database) -> None:
    seen = SqlSeenEvents(db)
    assert await seen.first_time("slack:Ev1") is True
    assert await seen.first_time("slack:Ev1") is False
    async with db.sessions() as session:  # an id seen two hours ago
        old = SeenEventRow(event_id="slack:Ev0", seen_at=SeenEventRow().seen_at - timedelta(hours=2))
        session.add(old)
        await session.commit()
    assert await SqlSeenEvents(db).first_time("slack:Ev2") is True  # a new replica sweeps first
    async with db.sessions() as session:
        assert await session.get(SeenEventRow, "slack:Ev0") is None
        assert await session.get(SeenEventRow, "slack:Ev1") is not None


async def test_without_the_database_an_event_is_still_answered() -> None:
    class Down:
        async def first_time(self, event_id: str) -> bool:
            raise RuntimeError("the database is unavailable")

    seen = SeenEvents(shared=Down())
    assert await seen.first_time("Ev1") is True  # a second answer beats none
    assert await seen.first_time("Ev1") is False  # this process still remembers it


async def test_a_socket_mode_retry_on_the_other_replicas_connection_is_not_answered_twice(
    database_url: str, clock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    emulator = await SlackEmulator().start()
    settings = load_settings(database={"url": database_url})
    one = await bootstrap(settings, clock=clock)
    two = await bootstrap(settings, store=one.store, clock=clock)
    slack = SlackSettings(mode="socket", api_url=emulator.base_url)
    running = []
    try:
        for count, app in enumerate((one, two), 1):  # connection 1 is replica one's, 2 replica two's
            started = run_slack(app, app.settings.model_copy(update={"slack": slack}))
            running.append(asyncio.create_task(started))
            await emulator.connected(count)
        asked = mention_event("1763419101.000200", CAROL, "show me my tasks")
        payload = json.loads(event_body(asked, event_id="Ev0SOCKET1"))
        await emulator.ack_of(await emulator.push("events_api", payload, connection=1))
        await emulator.wait_for("chat.postMessage")
        retry = await emulator.push("events_api", payload, retry_attempt=1, retry_reason="timeout",
                                    connection=2)
        assert (await emulator.ack_of(retry)).connection == 2  # acknowledged by the other replica
        later = mention_event("1763419102.000200", CAROL, "what's overdue?")
        await emulator.push("events_api", json.loads(event_body(later, event_id="Ev0SOCKET2")), connection=2)
        second = await emulator.wait_for("chat.postMessage", 2)
        assert second.body["thread_ts"] == later["ts"], "the retry was answered a second time"
        await asyncio.sleep(0.2)
        assert len(emulator.of("chat.postMessage")) == 2
    finally:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await two.aclose()
        await one.aclose()
        await emulator.close()


async def test_a_follow_up_reaching_the_other_replica_amends_the_confirmation(
    replicas: tuple[SlackEmulator, list[str]],
) -> None:
    emulator, (one, two) = replicas
    text = "assign Book photographer to Hiro due Monday in Industry Night"
    asked = mention_event("1763419201.000200", CAROL, text)
    assert await post(one, event_body(asked, event_id="Ev0FOLLOW1")) == 200
    first = await emulator.wait_for("chat.postMessage")
    assert "Shall I go ahead?" in json.dumps(first.body), first.body
    amended = mention_event("1763419202.000200", CAROL, "actually make it Friday instead")
    assert await post(two, event_body(amended, event_id="Ev0FOLLOW2")) == 200
    second = await emulator.wait_for("chat.postMessage", 2)
    said = json.dumps(second.body)
    assert "due Fri 20 Nov 2026" in said and "Shall I go ahead?" in said, said
