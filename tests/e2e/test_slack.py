"""The Slack adapter end to end: the real bolt AsyncApp driven by signed requests (as Slack
sends them), its real AsyncWebClient talking to a Slack Web API emulator on 127.0.0.1, core
and the built-in Notion-compatible server behind. Tests assert what people see in Slack
(text, buttons, who sees it, no pings) and what landed in Notion."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import unused_port
from rigs.slack_rig import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Message,
    SlackEmulator,
    SlackUser,
    check_blocks,
    event_body,
    payload_body,
    pings,
    signed_headers,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.slack import render
from bot.slack.app import build_app, run_slack, serve_http
from core.config import ConfigError, SlackSettings
from core.messages import Choose, Command, Confirm, HandleRequest
from core.replies import Reply, TaskLine

CAROL, DAN, BOB, ZOE = "U00001002", "U00001003", "U00001001", "U0002001"
HIRO_NOTION = "00000000-0000-4000-8000-000000001007"
ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"
PENDING_ID = re.compile(r"[0-9a-f]{20}")


class RecordingBus:
    """The core bus, seen from the adapter: records each command; a test may hold them at a gate."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self.commands: list[Command] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def execute(self, command: Command) -> Any:
        self.commands.append(command)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        return await self.bus.execute(command)

    def requests(self) -> list[str]:
        return [c.text for c in self.commands if isinstance(c, HandleRequest)]


@dataclass
class Slack:
    emulator: SlackEmulator
    user: SlackUser
    bus: RecordingBus

    async def posted(self, count: int = 1) -> Message:
        """The message created by the `count`-th chat.postMessage."""
        call = await self.emulator.wait_for("chat.postMessage", count)
        ts = next(ts for ts, m in self.emulator.messages.items()
                  if m.channel == call.body["channel"] and m.text == call.body["text"] and not m.ephemeral_to
                  and m.blocks == call.body["blocks"])
        return self.emulator.messages[ts]

    async def updated(self, count: int = 1) -> Message:
        call = await self.emulator.wait_for("chat.update", count)
        return self.emulator.messages[call.body["ts"]]


@pytest.fixture
async def slack(app: App) -> AsyncIterator[Slack]:
    emulator = await SlackEmulator().start()
    bus = RecordingBus(app.bus)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.base_url)
    bolt = build_app(bus, signing_secret=SIGNING_SECRET, client=client)
    try:
        yield Slack(emulator, SlackUser(bolt, emulator), bus)
    finally:
        await emulator.close()


def titles(app: App) -> list[str]:
    return [t["title"] for t in app.emulator.tasks()]


def button(message: Message, ends_with: str) -> str:
    return next(label for label in message.buttons() if label.endswith(ends_with))


# ---- the four flows ---------------------------------------------------------------------------


async def test_view_lists_carols_hackathon_tasks_in_the_mention_thread(app: App, slack: Slack) -> None:
    event = slack.user.mention_event(CAROL, "show me Carol's tasks in Hackathon 2026")
    response = await slack.user.event(event)
    assert response.status == 200

    message = await slack.posted()
    call = slack.emulator.of("chat.postMessage")[0]
    assert call.token == BOT_TOKEN
    assert call.body["channel"] == "C0GENERAL" and call.body["thread_ts"] == event["ts"]
    shown = message.shown()
    assert "Carol Jensen's tasks in Hackathon 2026 (2)" in shown
    for expected in (
        "Confirm venue booking", "Recruit judges", "To Review", "In Progress", "Due Thu 19 Nov 2026",
    ):
        assert expected in shown
    assert "Order catering" not in shown  # Eve's, not Carol's
    assert [b["type"] for b in message.blocks] == ["section", "section", "context", "section", "context"]
    assert message.buttons() == []
    assert slack.bus.requests() == ["show me Carol's tasks in Hackathon 2026"]  # "@Darcy" taken off


async def test_assign_by_slash_command_asks_then_creates_exactly_one_page(app: App, slack: Slack) -> None:
    before = titles(app)
    assert (await slack.user.command(CAROL, ASSIGN)).status == 200
    hook = await slack.emulator.wait_for("response_url")
    assert hook.body["response_type"] == "in_channel" and hook.body["replace_original"] is False
    question = slack.emulator.in_channel("C0GENERAL")[0]
    assert ("I'm going to create Book photographer for Hiro Sato, due Fri 20 Nov 2026, in Industry Night"
            in question.shown())
    assert question.buttons() == ["Confirm", "Cancel"]
    confirm, cancel = question.elements()
    assert confirm["style"] == "primary" and confirm["action_id"] == "darcy_confirm"
    assert cancel["action_id"] == "darcy_cancel"
    assert PENDING_ID.fullmatch(confirm["value"])  # the value is only the pending id
    assert cancel["value"] == confirm["value"]
    assert titles(app) == before, "nothing may be written before the confirmation"

    assert (await slack.user.click(question, "Confirm", user=CAROL)).status == 200
    answer = await slack.updated()
    assert answer is question, "the answer replaces the question"
    assert "Done: created Book photographer" in answer.shown()
    assert answer.buttons() == []
    page = app.emulator.task_by_title("Book photographer")
    assert page["status"] == "Not Started" and page["due"] == "2026-11-20"
    assert page["assignee_ids"] == [HIRO_NOTION]
    assert titles(app).count("Book photographer") == 1


async def test_dan_picks_the_task_then_confirms_and_it_is_done(app: App, slack: Slack) -> None:
    await slack.user.mention(DAN, "I've finished sending out the forms")
    question = await slack.posted()
    shown = question.shown()
    assert "Send out recruitment forms" in shown and "Send out judge sign-up forms" in shown
    pick = question.elements()
    assert [e["action_id"] for e in pick][-1] == "darcy_cancel"
    pending = pick[-1]["value"]
    assert {e["value"] for e in pick[:-1]} == {f"{pending}:0", f"{pending}:1"}

    await slack.user.click(question, button(question, "Send out recruitment forms"), user=DAN)
    confirm = await slack.updated()
    assert "I'm going to mark Send out recruitment forms as Done" in confirm.shown()
    assert confirm.buttons() == ["Confirm", "Cancel"]
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"

    await slack.user.click(confirm, "Confirm", user=DAN)
    done = await slack.updated(2)
    assert "Done: updated Send out recruitment forms" in done.shown()
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "Done"
    assert app.emulator.task_by_title("Send out judge sign-up forms")["status"] == "Not Started"


async def test_zoe_is_linked_by_the_email_slack_vouches_for_with_no_question(app: App, slack: Slack) -> None:
    slack.emulator.add_user(ZOE, "Zoe Martin", "zoe", email="zoe.martin@club.example")
    await slack.user.mention(ZOE, "show me my tasks")
    answer = await slack.posted()
    assert "Linked by your Slack e-mail: you're Zoe Martin in Notion now." in answer.shown()
    assert "Zoe Martin's tasks: none right now." in answer.shown()  # the request, answered at once
    assert answer.buttons() == []
    assert slack.emulator.of("users.info")[0].body == {"user": ZOE}
    assert slack.bus.commands[0].verified_email == "zoe.martin@club.example"
    link = await app.db.identity.link_of("slack", ZOE)
    assert link is not None and link.via == "slack_email"

    await slack.user.mention(ZOE, "who am I?")
    assert "Zoe Martin" in (await slack.posted(2)).shown()


async def test_without_a_slack_email_the_modal_asks_an_admin_who_approves(app: App, slack: Slack) -> None:
    """users.info gives no e-mail (no users:read.email, or none matches): the e-mail typed in the
    modal proves nothing, so an admin is asked; once approved, Zoe is linked by the admin."""
    from core import linking

    await slack.user.mention(ZOE, "show me my tasks")
    question = await slack.posted()
    assert "What's the e-mail address of your Notion account?" in question.shown()
    assert question.buttons() == ["Link my Notion account"]

    await slack.user.click(question, "Link my Notion account", user=ZOE)
    opened = await slack.emulator.wait_for("views.open")
    view = slack.emulator.views[0]
    assert view["callback_id"] == "darcy_link_email"
    assert opened.body["trigger_id"] == slack.user.last_payload()["trigger_id"]
    assert json.loads(view["private_metadata"])["channel"] == "C0GENERAL"

    bad = await slack.user.submit(view, user=ZOE, values=_email("zoe at club"))
    assert bad.status == 200 and json.loads(bad.body)["response_action"] == "errors"  # the modal stays open
    assert slack.bus.requests() == ["show me my tasks"]

    ok = await slack.user.submit(view, user=ZOE, values=_email("zoe.martin@club.example"))
    assert ok.status == 200 and not ok.body  # closes the modal
    confirm = await slack.updated()
    assert confirm is question, "the link question is answered in place"
    assert slack.bus.commands[-1].text == "zoe.martin@club.example"
    assert slack.bus.commands[-1].verified_email is None
    expected = "ask an admin to approve linking this Slack account to the Notion account of zoe.martin@club"
    assert expected in confirm.shown()
    await slack.user.click(confirm, "Confirm", user=ZOE)
    asked = await slack.updated(2)
    assert "I've asked an admin to approve linking this Slack account to that address" in asked.shown()
    assert asked.buttons() == []
    assert await app.db.identity.lookup("slack", ZOE) is None

    [request] = await app.db.link_requests.pending()
    assert (request.platform, request.platform_user_id) == ("slack", ZOE)
    assert request.email == "zoe.martin@club.example"
    await linking.approve(app.db.identity, app.db.link_requests, request.id, app.clock())
    await slack.user.mention(ZOE, "who am I?")
    assert "You're linked to the Notion user Zoe Martin" in (await slack.posted(2)).shown()
    link = await app.db.identity.link_of("slack", ZOE)
    assert link is not None and link.via == "admin"


def _email(value: str) -> dict[str, Any]:
    return {"email": {"email_input": {"type": "email_text_input", "value": value}}}


# ---- nothing happens unless the requester confirms ---------------------------------------------


async def test_cancel_changes_nothing(app: App, slack: Slack) -> None:
    before = app.emulator.tasks()
    await slack.user.mention(CAROL, ASSIGN)
    question = await slack.posted()
    await slack.user.click(question, "Cancel", user=CAROL)
    answer = await slack.updated()
    assert "Cancelled. Nothing was changed." in answer.shown() and answer.buttons() == []
    assert app.emulator.tasks() == before


async def test_a_foreign_click_is_answered_privately_and_executes_nothing(app: App, slack: Slack) -> None:
    await slack.user.mention(CAROL, ASSIGN)
    question = await slack.posted()
    await slack.user.click(question, "Confirm", user=BOB)
    whisper = await slack.emulator.wait_for("chat.postEphemeral")
    assert whisper.body["user"] == BOB and whisper.body["channel"] == "C0GENERAL"
    assert whisper.body["thread_ts"] == question.thread_ts
    assert "Only Carol Jensen can answer this." in whisper.body["text"]
    assert slack.emulator.of("chat.update") == [], "the question stays for Carol"
    assert app.emulator.task_by_title("Book photographer") is None

    await slack.user.click(question, "Confirm", user=CAROL)  # still hers to answer
    assert "Done: created Book photographer" in (await slack.updated()).shown()


async def test_only_the_asker_can_open_the_link_form(app: App, slack: Slack) -> None:
    await slack.user.mention(ZOE, "what are my tasks?")
    question = await slack.posted()
    await slack.user.click(question, "Link my Notion account", user=BOB)
    whisper = await slack.emulator.wait_for("chat.postEphemeral")
    assert whisper.body["user"] == BOB and "Only the person who asked" in whisper.body["text"]
    assert slack.emulator.of("views.open") == []


# ---- Slack's protocol: signatures, retries, the ack deadline ------------------------------------


async def test_a_bad_signature_and_a_stale_timestamp_are_rejected(app: App, slack: Slack) -> None:
    event = slack.user.mention_event(CAROL, "show me my tasks")
    forged = await slack.user.event(event, secret="not-the-signing-secret")
    stale = await slack.user.event(event, timestamp=int(time.time()) - 6 * 60)
    assert (forged.status, stale.status) == (401, 401)
    fresh = await slack.user.event(event)  # the same request, properly signed, goes through
    assert fresh.status == 200
    await slack.posted()
    assert slack.bus.requests() == ["show me my tasks"]


async def test_a_retried_event_is_acknowledged_and_handled_once(app: App, slack: Slack) -> None:
    event = slack.user.mention_event(CAROL, "show me my tasks")
    assert (await slack.user.event(event, event_id="Ev0RETRY01")).status == 200
    await slack.posted()
    retry = await slack.user.event(event, event_id="Ev0RETRY01", retry=1)
    assert retry.status == 200
    await slack.user.mention(CAROL, "what's overdue?")  # a later event, to know the retry's turn has passed
    await slack.posted(2)
    assert slack.bus.requests() == ["show me my tasks", "what's overdue?"]
    assert len(slack.emulator.of("chat.postMessage")) == 2


async def test_the_ack_leaves_before_the_work(app: App, slack: Slack) -> None:
    slack.bus.gate = asyncio.Event()  # core is slow: nothing comes back until the gate opens
    response = await asyncio.wait_for(slack.user.command(CAROL, "show me my tasks"), timeout=1.0)
    assert response.status == 200
    await asyncio.wait_for(slack.bus.entered.wait(), timeout=1.0)
    assert slack.emulator.of("response_url") == [], "acked while the work is still running"
    slack.bus.gate.set()
    hook = await slack.emulator.wait_for("response_url")
    assert "Carol Jensen's tasks" in hook.body["text"]


async def test_http_mode_serves_signed_requests_on_slack_events(app: App, slack: Slack) -> None:
    runner = await serve_http(slack.user.bolt, port=0, host="127.0.0.1")
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    body = event_body(slack.user.mention_event(CAROL, "show me my tasks"), event_id="Ev0HTTP01")
    try:
        async with aiohttp.ClientSession() as http:
            forged = signed_headers(body, "application/json", secret="wrong")
            async with http.post(url, data=body, headers=forged) as response:
                assert response.status == 401
            signed = signed_headers(body, "application/json")
            async with http.post(url, data=body, headers=signed) as response:
                assert response.status == 200
            assert "Carol Jensen's tasks" in (await slack.posted()).shown()
    finally:
        await runner.cleanup()


async def test_run_slack_picks_http_mode_from_settings(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    port = unused_port()
    settings = app.settings.model_copy(update={"slack": SlackSettings(mode="http", port=port)})
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        await run_slack(app, settings)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        await run_slack(app, settings)
    socket = app.settings.model_copy(update={"slack": SlackSettings(mode="socket")})
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        await run_slack(app, socket)

    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    running = asyncio.create_task(run_slack(app, settings))
    body = event_body({"type": "app_mention", "user": CAROL, "text": "hi", "ts": "1.2", "channel": "C1"},
                      event_id="Ev0RUN01")
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # until it listens
                try:
                    forged = signed_headers(body, "application/json", secret="wrong")
                    async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body,
                                         headers=forged) as response:
                        assert response.status == 401  # verified with the configured secret
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.02)
            else:
                raise AssertionError("run_slack never listened on settings.slack.port")
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running


# ---- direct messages, threads, shortcuts, channels without the bot -----------------------------


async def test_direct_messages_are_answered_and_bot_messages_and_edits_ignored(
    app: App, slack: Slack,
) -> None:
    await slack.user.dm(CAROL, "hello", subtype="message_changed")
    await slack.user.dm(CAROL, "I'm a bot", bot_id="B0OTHER")
    await slack.user.dm(CAROL, "what are my tasks?")
    message = await slack.posted()
    assert message.channel == "D0DARCY" and message.thread_ts is None
    assert "Carol Jensen's tasks" in message.shown()
    assert slack.bus.requests() == ["what are my tasks?"]


async def test_a_mention_inside_a_thread_is_answered_in_that_thread(app: App, slack: Slack) -> None:
    await slack.user.mention(CAROL, "what are my tasks?", thread_ts="1763410000.000001")
    message = await slack.posted()
    assert message.thread_ts == "1763410000.000001"


async def test_the_message_shortcut_creates_a_task_from_the_first_line(app: App, slack: Slack) -> None:
    source = {"user": DAN, "ts": "1763418000.000300",
              "text": "Order 200 wristbands for the ball &amp; the afterparty\nWe need them by Friday"}
    assert (await slack.user.shortcut(CAROL, source)).status == 200
    question = await slack.posted()
    assert slack.bus.requests() == ["create a task 'Order 200 wristbands for the ball & the afterparty'"]
    assert question.thread_ts == source["ts"], "answered in the message's thread"
    expected = "I'm going to create Order 200 wristbands for the ball & the afterparty for Carol"
    assert expected in question.shown()
    await slack.user.click(question, "Confirm", user=CAROL)
    await slack.updated()
    assert app.emulator.task_by_title("Order 200 wristbands for the ball & the afterparty") is not None


async def test_a_long_first_line_is_cut_to_a_title(app: App, slack: Slack) -> None:
    source = {"user": DAN, "ts": "1763418000.000400", "text": "\n  " + "Plan the ball " * 12 + "\nmore"}
    await slack.user.shortcut(CAROL, source)
    await slack.posted()
    text = slack.bus.requests()[0]
    title = text.removeprefix("create a task '").removesuffix("'")
    assert len(title) <= 100 and title.startswith("Plan the ball Plan")


async def test_a_slash_command_where_the_bot_is_absent_answers_through_response_url(
    app: App, slack: Slack,
) -> None:
    slack.emulator.outside.add("D0CAROLBOB")  # a DM between Carol and Bob: the bot is no member
    await slack.user.command(CAROL, ASSIGN, channel="D0CAROLBOB")
    await slack.emulator.wait_for("response_url")
    question = slack.emulator.in_channel("D0CAROLBOB")[0]

    await slack.user.click(question, "Confirm", user=BOB)
    await slack.emulator.wait_for("response_url", 2)  # chat.postEphemeral refused → the click's response_url
    whisper = slack.emulator.of("response_url")[1].body
    assert whisper["response_type"] == "ephemeral" and whisper["replace_original"] is False
    assert "Only Carol Jensen can answer this." in whisper["text"]

    await slack.user.click(question, "Confirm", user=CAROL)
    replaced = await slack.emulator.wait_for("response_url", 3)  # chat.update refused → replace_original
    assert replaced.body["replace_original"] is True
    assert "Done: created Book photographer" in question.shown()
    assert app.emulator.task_by_title("Book photographer") is not None


# ---- escaping ---------------------------------------------------------------------------------


async def test_echoed_text_is_escaped_so_a_channel_is_never_pinged(app: App, slack: Slack) -> None:
    # Slack sends a typed "@channel" as <!channel> and "&" as &amp;.
    await slack.user.mention(CAROL, "create a task '<!channel> drinks &amp; snacks'")
    question = await slack.posted()
    call = slack.emulator.of("chat.postMessage")[0].body
    assert slack.bus.requests() == ["create a task '<!channel> drinks & snacks'"]
    assert "*&lt;!channel&gt; drinks &amp; snacks*" in question.blocks[0]["text"]["text"]  # **bold** → *bold*
    assert "&lt;!channel&gt; drinks &amp; snacks" in call["text"]  # the notification text too
    assert "<!channel> drinks & snacks" in question.shown()

    await slack.user.click(question, "Confirm", user=CAROL)
    assert "Done: created <!channel> drinks & snacks" in (await slack.updated()).shown()
    assert app.emulator.task_by_title("<!channel> drinks & snacks") is not None

    await slack.user.mention(CAROL, "show me my tasks")
    listing = await slack.posted(2)
    assert "<!channel> drinks & snacks" in listing.shown()
    assert slack.emulator.pings() == []


def test_rendering_escapes_links_and_names_in_every_part() -> None:
    reply = Reply(
        text="Tasks (1):", decision="execute",
        tasks=[TaskLine(title="<https://evil.example|Confirm> & <@U00001001>", status="To Review",
                        project="R&D <here>", people=["<!here>"], url="https://www.notion.so/abc")],
    )
    message = render.message(reply)
    assert pings(message) == []
    assert "<https://www.notion.so/abc|&lt;https://evil.example|Confirm&gt; &amp; &lt;@U00001001&gt;>" in (
        message["blocks"][1]["text"]["text"])
    assert message["blocks"][2]["elements"][0]["text"] == (
        "To Review · No due date · R&amp;D &lt;here&gt; · &lt;!here&gt;")


def test_many_options_become_a_select_menu_and_long_lists_fit_in_one_message() -> None:
    options = [f"Task number {n} " + "x" * 80 for n in range(1, 8)]
    choose = render.message(Reply(text="Which task do you mean?", decision="choose", pending_id="p" * 20,
                                  options=options))
    select, cancel = choose["blocks"][-1]["elements"]
    assert select["type"] == "static_select" and select["action_id"] == "darcy_choose"
    assert [o["value"] for o in select["options"]] == [f"{'p' * 20}:{n}" for n in range(7)]
    assert cancel["action_id"] == "darcy_cancel"
    check_blocks(choose["blocks"])  # labels clipped to 75, as Slack requires

    tasks = [TaskLine(title=f"Task {n}", status="Not Started") for n in range(20)]
    linked = Reply(text="Linked.", decision="executed",
                   follow_up=Reply(text="Tasks (30):", decision="execute", tasks=tasks, more=10))
    blocks = render.message(linked)["blocks"]
    check_blocks(blocks)
    assert "…and 10 more" in blocks[-1]["elements"][0]["text"]


async def test_a_pick_from_the_select_menu_reaches_core_as_a_choice(app: App, slack: Slack) -> None:
    options = [f"Task {n}" for n in range(7)]
    reply = Reply(text="Which one?", decision="choose", pending_id="a" * 20, options=options)
    message = render.message(reply)
    posted = await slack.user.bolt.client.chat_postMessage(channel="C0GENERAL", **message)
    menu = slack.emulator.messages[posted["ts"]]
    await slack.user.click(menu, "", user=DAN, option=5)
    await slack.emulator.wait_for("chat.postEphemeral")  # core no longer knows this pending id
    assert slack.bus.commands == [Choose(platform="slack", user_id=DAN, pending_id="a" * 20, option=5,
                                         id=slack.bus.commands[0].id, at=slack.bus.commands[0].at,
                                         correlation_id=slack.bus.commands[0].correlation_id)]


# ---- what real Slack does that the rig used not to (issue #18) ----------------------------------

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
LONG = "Book venue & catering for the Q&A night <industry> & alumni panel, part {}"  # 74 characters


def recorded(name: str) -> dict[str, Any]:
    """A payload recorded outside this project (its `_source` says where), without that note."""
    payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    payload.pop("_source")
    return payload


async def create(app: App, title: str, user: str = CAROL) -> None:
    request = HandleRequest(platform="slack", user_id=user, text=f"create a task '{title}'")
    asked = await app.bus.execute(request)
    done = await app.bus.execute(Confirm(platform="slack", user_id=user, pending_id=asked.pending_id))
    assert done.decision == "executed", done.text


async def test_long_titles_with_ampersands_still_get_their_which_task_buttons(app: App, slack: Slack) -> None:
    # Labels were clipped to 75 and escaped after: "&" became "&amp;", 87 characters, and Slack
    # (slack_sdk's ButtonElement, as sent) refused the whole message: the person got nothing.
    for part in ("one", "two"):
        await create(app, LONG.format(part))
    await slack.user.mention(CAROL, "I've booked the venue & catering for the Q&A night")
    question = await slack.posted()
    assert "Which task do you mean?" in question.shown()
    assert LONG.format("one") in question.shown() and LONG.format("two") in question.shown()  # in full
    first, second, cancel = question.buttons()
    for n, label in ((1, first), (2, second)):
        assert len(label) <= 75 and label.startswith(f"{n}) Book venue &amp; catering for the Q&amp;A")
        assert label.endswith("…") and not re.search(r"&[a-z]*…$", label), label  # no entity cut in half
    assert cancel == "Cancel"
    await slack.user.click(question, first, user=CAROL)
    assert f"I'm going to mark {LONG.format('one')} as" in (await slack.updated()).shown()


def test_clipping_never_cuts_an_entity_a_link_or_a_mention_and_long_text_continues() -> None:
    options = [("&" * 30) + f" option {n}" for n in range(7)] + ["<@U00001001> " * 10, "5 * 3 " * 20]
    choose = render.message(Reply(text="Which one?", decision="choose", pending_id="p" * 20, options=options))
    check_blocks(choose["blocks"])
    labels = [o["text"]["text"] for o in choose["blocks"][-1]["elements"][0]["options"]]
    for label in labels:
        assert len(label) <= 75 and re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", label), label
    assert labels[-1].startswith("9) 5 * 3") and labels[-1].endswith(" 5 *…")  # plain_text: no "*" added

    # Task details over one section: nothing silently cut, no link or entity split between sections.
    description = " ".join(f"Step {n}: R&D <https://example.org/{n}|doc {n}>." for n in range(120))
    details = render.message(Reply(text=f"**Recruit judges**\n{description}", decision="execute"))
    check_blocks(details["blocks"])
    sections = [b["text"]["text"] for b in details["blocks"] if b["type"] == "section"]
    assert len(sections) >= 2 and all(len(s) <= 3000 for s in sections)
    shown = Message("C0GENERAL", "1.0", details["text"], details["blocks"]).shown()
    assert "Step 0: R&D <https://example.org/0|doc 0>." in shown
    assert "Step 119: R&D <https://example.org/119|doc 119>." in shown
    for text in sections:
        assert not re.search(r"&[a-z]*$|<[^>]*$", text) and not re.match(r"^[a-z]*;|^[^<]*>", text), text


async def test_a_bulk_confirmation_of_long_titles_still_asks_shall_i_go_ahead(
    app: App, slack: Slack,
) -> None:
    # Core's wording for a bulk change; ten 500-character titles are over one section (3000).
    names = [f"**{chr(65 + n) * 500}**" for n in range(10)]
    text = f"I'm going to mark 10 tasks as Done: {', '.join(names[:-1])} and {names[-1]}. Shall I go ahead?"
    reply = Reply(text=text, decision="confirm", pending_id="b" * 20)
    posted = await slack.user.bolt.client.chat_postMessage(channel="C0GENERAL", **render.message(reply))
    message = slack.emulator.messages[posted["ts"]]
    shown = message.shown()
    assert shown.startswith("I'm going to mark 10 tasks as Done: AAAA") and "JJJJ" in shown
    assert shown.endswith("Shall I go ahead?\nConfirm\nCancel")  # the question, then its buttons
    assert message.buttons() == ["Confirm", "Cancel"]
    assert "Shall I go ahead?" in posted["message"]["text"]  # the notification too


async def test_a_list_of_long_titles_fits_in_one_message(app: App, slack: Slack) -> None:
    # 20 tasks with 500-character titles were 16.7k characters of block text: Slack refuses a
    # message over about 11k (msg_blocks_too_long), and the person got nothing.
    tasks = [TaskLine(title=f"Task {n} " + "x" * 500, status="Not Started", project="Hackathon 2026",
                      url=f"https://www.notion.so/{n:032x}") for n in range(20)]
    reply = Reply(text="Tasks (20):", decision="execute", tasks=tasks)
    posted = await slack.user.bolt.client.chat_postMessage(channel="C0GENERAL", **render.message(reply))
    shown = slack.emulator.messages[posted["ts"]].shown()
    assert "Tasks (20):" in shown and "Task 0 xxx" in shown
    assert "x" * 500 not in shown and "x…" in shown  # titles clipped in lists, as on Discord
    listed = len(re.findall(r"Task \d+ x", shown))
    assert listed == 20 or f"…and {20 - listed} more" in shown


async def test_a_429_is_retried_after_retry_after_and_the_reply_arrives(app: App, slack: Slack) -> None:
    slack.emulator.rate_limit("chat.postMessage", times=1, retry_after=1)
    await slack.user.mention(CAROL, "show me my tasks")
    first = await slack.emulator.wait_for("chat.postMessage")
    asked_at = time.monotonic()
    message = await slack.posted(2)  # the same message, sent again after Retry-After
    assert time.monotonic() - asked_at >= 0.9
    again = slack.emulator.of("chat.postMessage")[1].body
    assert (again["channel"], again["text"]) == (first.body["channel"], first.body["text"])
    assert "Carol Jensen's tasks" in message.shown()
    assert len(slack.emulator.in_channel("C0GENERAL")) == 1


async def test_another_apps_mention_is_not_answered_as_a_person(app: App, slack: Slack) -> None:
    # Recorded: another app's message carries its bot user in `user` and its `bot_id`. Changed
    # for Darcy: type app_mention, the text mentions Darcy, channel and team are the rig's.
    event = recorded("bot_message_event.json")["event"]
    event |= {"type": "app_mention", "text": "<@UDARCY> show me my tasks", "channel": "C0GENERAL",
              "team": "T0CLUB"}
    assert (await slack.user.event(event)).status == 200
    await slack.user.mention(CAROL, "what's overdue?")  # a person's, afterwards
    await slack.posted()
    assert slack.bus.requests() == ["what's overdue?"]
    assert len(slack.emulator.of("chat.postMessage")) == 1


async def test_a_shortcut_on_a_message_with_a_mention_titles_the_task_with_the_name(
    app: App, slack: Slack,
) -> None:
    # Recorded message shortcut (text "<@W222> test"). Changed for Darcy: callback_id, the
    # clicking user (Carol, a linked member), the channel and response_url (the rig's).
    payload = recorded("message_shortcut.json")
    slack.emulator.add_user("W222", "Egon Spengler", "egon")
    payload |= {"callback_id": "create_darcy_task", "user": {"id": CAROL, "name": "carol"},
                "channel": {"id": "C0GENERAL", "name": "general"},
                "response_url": slack.emulator.hook("C0GENERAL", CAROL)}
    await slack.user.dispatch(payload_body(payload), "application/x-www-form-urlencoded")
    question = await slack.posted()
    assert slack.bus.requests() == ["create a task '@egon test'"]
    assert "I'm going to create @egon test for Carol Jensen" in question.shown()
    assert slack.emulator.of("users.info")[0].body == {"user": "W222"}


async def test_a_shortcut_naming_someone_users_info_cannot_find_says_someone(app: App, slack: Slack) -> None:
    source = {"user": DAN, "ts": "1763418000.000500", "text": "Call <@U0NOBODY> about the venue"}
    await slack.user.shortcut(CAROL, source)
    await slack.posted()
    assert slack.bus.requests() == ["create a task 'Call @someone about the venue'"]
