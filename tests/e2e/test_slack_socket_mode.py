"""Socket Mode end to end: `run_slack` as `darcy run` starts it (mode "socket", tokens from the
environment), slack-bolt's real AsyncSocketModeHandler and slack_sdk's aiohttp socket client,
against the Slack emulator on 127.0.0.1 speaking Slack's protocol: apps.connections.open with
the app-level token, a WebSocket that says hello, envelopes in, acks out within 3 s, and a
`disconnect` that sends the client to a fresh URL. Replies go through the Web API as in HTTP
mode; tests assert what people see in Slack and what landed in Notion."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from rigs.slack_rig import APP_TOKEN, BOT_TOKEN, Message, SlackEmulator, SocketModeUser

from bot.bootstrap import App
from bot.slack.app import run_slack
from core.config import ConfigError, SlackSettings

CAROL = "U00001002"  # a lead (config/demo-workspace.json)
HIRO_NOTION = "00000000-0000-4000-8000-000000001007"
ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"
ACK_DEADLINE = 3.0  # seconds: Slack's, for every envelope


@dataclass
class Socket:
    emulator: SlackEmulator
    user: SocketModeUser
    running: asyncio.Task[None]  # run_slack

    async def posted(self, count: int = 1) -> Message:
        """The message created by the `count`-th chat.postMessage."""
        call = await self.emulator.wait_for("chat.postMessage", count)
        return next(m for m in self.emulator.messages.values()
                    if m.channel == call.body["channel"] and m.text == call.body["text"]
                    and m.blocks == call.body["blocks"] and not m.ephemeral_to)

    async def updated(self, count: int = 1) -> Message:
        call = await self.emulator.wait_for("chat.update", count)
        return self.emulator.messages[call.body["ts"]]

    async def acked(self, envelope_id: str) -> None:
        ack = await self.emulator.ack_of(envelope_id, timeout=ACK_DEADLINE)
        assert ack.delay < ACK_DEADLINE

    async def started(self) -> None:
        """Until the client has its hello; if run_slack gives up first, its error."""
        connected = asyncio.ensure_future(self.emulator.connected())
        await asyncio.wait({self.running, connected}, return_when=asyncio.FIRST_COMPLETED)
        if not connected.done():
            connected.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connected
            self.running.result()
        await connected

    async def stop(self) -> None:
        """Cancel run_slack as `darcy run` does on SIGTERM; it must end by the cancellation."""
        self.running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.running


@pytest.fixture
async def socket(app: App, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Socket]:
    emulator = await SlackEmulator().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)  # Socket Mode needs no signing secret
    settings = app.settings.model_copy(
        update={"slack": SlackSettings(mode="socket", api_url=emulator.base_url)}
    )
    socket = Socket(emulator, SocketModeUser(emulator), asyncio.create_task(run_slack(app, settings)))
    try:
        await socket.started()
        yield socket
    finally:
        await socket.stop()
        await emulator.close()


def titles(app: App) -> list[str]:
    return [t["title"] for t in app.emulator.tasks()]


async def test_a_mention_is_acked_in_time_and_answered_in_its_thread(app: App, socket: Socket) -> None:
    opened = socket.emulator.of("apps.connections.open")
    # Once to check the token at start, once by the socket client for its URL: with the xapp- token.
    assert [call.token for call in opened] == [APP_TOKEN, APP_TOKEN]

    event = socket.user.mention_event(CAROL, "show me Carol's tasks in Hackathon 2026")
    envelope = await socket.user.event(event)
    ack = await socket.emulator.ack_of(envelope, timeout=ACK_DEADLINE)
    assert ack.delay < ACK_DEADLINE and ack.payload is None  # events take no response payload

    message = await socket.posted()
    call = socket.emulator.of("chat.postMessage")[0]
    assert call.token == BOT_TOKEN  # the Web API with the bot token, at the configured api_url
    assert call.body["channel"] == "C0GENERAL" and call.body["thread_ts"] == event["ts"]
    shown = message.shown()
    assert "Carol Jensen's tasks in Hackathon 2026 (2)" in shown
    for expected in ("Confirm venue booking", "Recruit judges", "Due Thu 19 Nov 2026"):
        assert expected in shown
    assert "Order catering" not in shown  # Eve's, not Carol's


async def test_a_slash_command_is_acked_and_answered_in_the_channel(app: App, socket: Socket) -> None:
    envelope = await socket.user.command(CAROL, "show me my tasks")
    await socket.acked(envelope)
    hook = await socket.emulator.wait_for("response_url")
    assert hook.body["response_type"] == "in_channel"  # everyone in the channel sees the answer
    [answer] = socket.emulator.in_channel("C0GENERAL")
    assert answer.ephemeral_to is None
    assert "Carol Jensen's tasks" in answer.shown() and "Confirm venue booking" in answer.shown()


async def test_a_confirmation_creates_exactly_one_page_though_slack_delivers_twice(
    app: App, socket: Socket,
) -> None:
    before = titles(app)
    event = socket.user.mention_event(CAROL, ASSIGN)
    await socket.acked(await socket.user.event(event, event_id="Ev1ASSIGN01"))
    question = await socket.posted()
    assert ("I'm going to create Book photographer for Hiro Sato, due Fri 20 Nov 2026, in Industry Night"
            in question.shown())
    assert question.buttons() == ["Confirm", "Cancel"]
    assert titles(app) == before, "nothing may be written before the confirmation"

    # Slack redelivers the event (same event_id, retry_attempt 1): acked, not asked again.
    await socket.acked(await socket.user.event(event, event_id="Ev1ASSIGN01", retry_attempt=1))

    click = socket.user.click_payload(question, "Confirm", user=CAROL)
    await socket.acked(await socket.user.push("interactive", click))
    answer = await socket.updated()
    assert answer is question, "the answer replaces the question"
    assert "Done: created Book photographer" in answer.shown() and answer.buttons() == []
    page = app.emulator.task_by_title("Book photographer")
    assert page["status"] == "Not Started" and page["due"] == "2026-11-20"
    assert page["assignee_ids"] == [HIRO_NOTION]

    # The same click delivered again: acked, answered to Carol alone, nothing written twice.
    await socket.acked(await socket.user.push("interactive", click))
    whisper = await socket.emulator.wait_for("chat.postEphemeral")
    assert whisper.body["user"] == CAROL and "That's already done." in whisper.body["text"]
    assert titles(app).count("Book photographer") == 1
    assert len(titles(app)) == len(before) + 1
    assert len(socket.emulator.of("chat.postMessage")) == 1, "the redelivered mention asked nothing"
    assert "Done: created Book photographer" in question.shown(), "the answer stays"


async def test_after_a_refresh_requested_disconnect_the_client_reconnects_and_is_answered(
    app: App, socket: Socket,
) -> None:
    await socket.acked(await socket.user.mention(CAROL, "show me my tasks"))
    assert "Carol Jensen's tasks" in (await socket.posted()).shown()

    await socket.emulator.disconnect("refresh_requested")
    await socket.emulator.connected(2)  # a new hello, on a new URL
    opened = socket.emulator.of("apps.connections.open")
    assert [call.token for call in opened] == [APP_TOKEN] * 3  # the start's check, then one per connection
    first, second = socket.emulator.sockets
    assert first.closed and not second.closed, "the client left the old connection"

    event = socket.user.mention_event(CAROL, "what's overdue?")
    ack = await socket.emulator.ack_of(await socket.user.event(event), timeout=ACK_DEADLINE)
    assert ack.connection == 2 and ack.delay < ACK_DEADLINE  # pushed and acked on the new connection
    later = await socket.posted(2)
    assert later.thread_ts == event["ts"]
    assert "Tasks due by Tue 17 Nov 2026 (2)" in later.shown() and "Update Linktree" in later.shown()


async def test_cancelling_run_slack_closes_the_socket(app: App, socket: Socket) -> None:
    await socket.acked(await socket.user.mention(CAROL, "show me my tasks"))
    await socket.posted()
    await socket.stop()
    assert socket.running.cancelled()
    [connection] = socket.emulator.sockets
    assert connection.closed and connection.close_code == 1000, "a normal closure from the client"


async def test_an_event_darcy_does_not_handle_is_still_acked(app: App, socket: Socket) -> None:
    """Unacknowledged, Slack would deliver it again and again."""
    reaction = {"type": "reaction_added", "user": CAROL, "reaction": "tada", "event_ts": "1.0",
                "item": {"type": "message", "channel": "C0GENERAL", "ts": "1.0"}}
    await socket.acked(await socket.user.event(reaction))
    assert socket.emulator.of("chat.postMessage") == []


async def test_an_app_token_slack_refuses_stops_the_start_with_its_name(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = await SlackEmulator().start()
    try:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-not-the-right-one")
        settings = app.settings.model_copy(
            update={"slack": SlackSettings(mode="socket", api_url=emulator.base_url)}
        )
        refused = r"Slack refused SLACK_APP_TOKEN for Socket Mode \(invalid_auth\)"
        with pytest.raises(ConfigError, match=refused):
            await asyncio.wait_for(run_slack(app, settings), timeout=10)
    finally:
        await emulator.close()
