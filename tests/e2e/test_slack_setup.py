"""README "Slack setup", followed step by step against the Slack rig, in both modes.

Step 1 creates the app from config/slack-manifest.yaml: it must be a manifest Slack takes (Slack's
own JSON schema, tests/fixtures/slack), and the rig grants the bot token exactly its scopes, so a
Web API method the code calls without its scope fails as on Slack (`missing_scope`). Steps 2–3
set the variables the README names and the `[slack]` table it shows; step 4 is `run_slack`, as
`darcy run` starts it; step 5 is what people do: a DM, a mention, `/darcy`, the shortcut on a
message naming someone, a click by someone else and by the asker. Every event the walk-through
needs is subscribed in the manifest, every subscription is used, and the manifest's scopes are
exactly those the events, the command and the methods called need.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import textwrap
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import jsonschema
import pytest
import yaml
from aiohttp.test_utils import unused_port
from rigs.slack_rig import (
    APP_TOKEN,
    BOT_TOKEN,
    METHOD_SCOPES,
    SIGNING_SECRET,
    TEAM,
    Message,
    SlackEmulator,
    block_actions,
    command_body,
    event_body,
    mention_event,
    payload_body,
    signed_headers,
)

from bot.bootstrap import App
from bot.slack.app import COMMAND, SHORTCUT, run_slack
from core.config import SlackSettings

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "config" / "slack-manifest.yaml"
SCHEMA = ROOT / "tests" / "fixtures" / "slack" / "manifest.schema.1.0.0.json"
CAROL, BOB = "U00001002", "U00001001"
# The subscription that delivers an event, and the scope it needs (Slack's events reference).
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.im": "im:history"}

Send = Callable[[str, dict[str, Any]], Awaitable[None]]  # (envelope type, payload)


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def code_blocks(text: str, language: str) -> list[str]:
    found = re.findall(rf"^([ \t]*)```{language}\n(.*?)^\1```", text, re.M | re.S)
    return [textwrap.dedent(body) for _, body in found]


def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def merged(base: Any, change: Any) -> Any:
    """The manifest after an edit: mappings merged, list items matched by their name."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for key, value in change.items():
            out[key] = merged(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(change, list):
        out = copy.deepcopy(base)
        for item in change:
            key = next(k for k in ("command", "callback_id") if k in item)
            place = next(i for i, old in enumerate(out) if old.get(key) == item[key])
            out[place] = merged(out[place], item)
        return out
    return change


def slack_table(mode: str) -> dict[str, Any]:
    """The `[slack]` table step 3 shows for `mode`, with the rig's workspace as its team_id
    (the README shows where to read yours)."""
    for block in code_blocks(readme_section("Slack setup"), "toml"):
        table = tomllib.loads(block)["slack"]
        if table["mode"] == mode:
            assert re.fullmatch(r"T[A-Z0-9]+", table.get("team_id", "")), "the README sets [slack] team_id"
            return {**table, "team_id": TEAM}
    raise AssertionError(f"README's Slack setup shows no [slack] table for mode {mode!r}")


# ---- step 1: the manifest ------------------------------------------------------------------------


def test_the_manifest_is_one_slack_takes_and_names_what_the_code_listens_to() -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    app = manifest()
    assert [e.message for e in validator.iter_errors(app)] == []
    assert [c["command"] for c in app["features"]["slash_commands"]] == [COMMAND]
    [shortcut] = app["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", SHORTCUT)
    home = app["features"]["app_home"]
    assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"], "DMs need it"
    settings = app["settings"]
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(EVENT_SCOPES)

    # HTTP mode: the README's edit keeps a manifest Slack takes, and every URL is Darcy's path.
    [edit] = code_blocks(readme_section("Slack setup"), "yaml")
    http = merged(app, yaml.safe_load(edit))
    assert [e.message for e in validator.iter_errors(http)] == []
    assert http["settings"]["socket_mode_enabled"] is False
    urls = [http["settings"]["event_subscriptions"]["request_url"],
            http["settings"]["interactivity"]["request_url"], http["features"]["slash_commands"][0]["url"]]
    assert [urlsplit(u).path for u in urls] == ["/slack/events"] * 3  # serve_http's path


def test_the_readme_names_the_scopes_variables_and_token_the_code_uses() -> None:
    text = readme_section("Slack setup")
    assert "config/slack-manifest.yaml" in text
    for scope in manifest()["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in text
    for event in EVENT_SCOPES:
        assert f"`{event}`" in text
    assert "`connections:write`" in text  # the app-level token Socket Mode opens its connection with
    defaults = SlackSettings()
    assert set(re.findall(r"`(SLACK_[A-Z_]+)`", text)) == {
        defaults.bot_token_env, defaults.app_token_env, defaults.signing_secret_env}
    assert {slack_table("socket")["mode"], slack_table("http")["mode"]} == {"socket", "http"}


# ---- steps 2–5, in each mode ---------------------------------------------------------------------


async def walk_through(emulator: SlackEmulator, send: Send) -> set[str]:
    """What people do once Darcy runs; returns the subscriptions the events came through."""
    emulator.add_user("W222", "Egon Spengler", "egon")
    ts = iter(f"17634190{n:02d}.000100" for n in range(1, 99))
    events = iter(f"Ev9{n:08d}" for n in range(1, 99))

    async def event(body: dict[str, Any]) -> None:
        await send("events_api", json.loads(event_body(body, event_id=next(events))))

    at = next(ts)  # a direct message: Messages tab, message.im, im:history
    await event({"type": "message", "channel": "D0CAROL", "channel_type": "im", "user": CAROL,
                 "text": "help", "ts": at, "event_ts": at, "team": "T0CLUB"})
    await emulator.wait_for("chat.postMessage", 1)
    await event(mention_event(next(ts), CAROL, "show me my tasks"))  # app_mention
    await emulator.wait_for("chat.postMessage", 2)
    hook = emulator.hook("C0GENERAL", CAROL)  # /darcy
    await send("slash_commands", dict(parse_qsl(command_body(user=CAROL, channel="C0GENERAL",
                                                             text="what's overdue?", response_url=hook))))
    await emulator.wait_for("response_url", 1)

    at = next(ts)  # the shortcut on a message naming someone: users.info
    await send("interactive", {
        "type": "message_action", "callback_id": SHORTCUT, "trigger_id": "1.2.3", "team": {"id": "T0CLUB"},
        "user": {"id": CAROL, "name": "carol"}, "channel": {"id": "C0GENERAL", "name": "general"},
        "message_ts": at,
        "message": {"type": "message", "user": BOB, "ts": at, "text": "<@W222> book the bus"},
        "response_url": emulator.hook("C0GENERAL", CAROL), "action_ts": "1.2", "token": "t",
    })
    call = await emulator.wait_for("chat.postMessage", 3)
    question = next(m for m in emulator.messages.values() if m.text == call.body["text"])
    assert "create @egon book the bus" in question.shown()

    async def click(message: Message, user: str) -> None:
        [confirm] = [e for e in message.elements() if e.get("text", {}).get("text") == "Confirm"]
        hook = emulator.hook(message.channel, user, message.ts)
        await send("interactive", block_actions(message, confirm, user=user, response_url=hook))

    await click(question, BOB)  # someone else: answered to Bob alone
    whisper = await emulator.wait_for("chat.postEphemeral")
    assert whisper.body["user"] == BOB and "Only Carol Jensen can answer this." in whisper.body["text"]
    await click(question, CAROL)
    await emulator.wait_for("chat.update")
    assert "Done: created @egon book the bus" in question.shown()

    # A newcomer whose Slack e-mail is a Notion member's: linked at once (users:read.email).
    emulator.add_user("U0002001", "Zoe Martin", "zoe", email="zoe.martin@club.example")
    at = next(ts)
    await event({"type": "message", "channel": "D0ZOE", "channel_type": "im", "user": "U0002001",
                 "text": "what are my tasks?", "ts": at, "event_ts": at, "team": TEAM})
    call = await emulator.wait_for("chat.postMessage", 4)
    assert "Linked by your Slack e-mail: you're Zoe Martin in Notion now." in call.body["text"]

    # Someone of another organisation in a Slack Connect channel: refused, to them alone.
    outsider = mention_event(next(ts), "UOTHER01", "what are my tasks?")
    outsider["team"] = "TOTHERORG"
    await event(outsider)
    refusal = await emulator.wait_for("chat.postEphemeral", 2)
    assert refusal.body["user"] == "UOTHER01" and "only work with people of the club" in refusal.body["text"]
    return {"message.im", "app_mention"}


def scopes_needed(emulator: SlackEmulator, subscriptions: set[str]) -> set[str]:
    methods = {c.method for c in emulator.calls} - {"apps.connections.open", "response_url"}
    unknown = methods - METHOD_SCOPES.keys()
    assert not unknown, f"the rig doesn't know the scope of {unknown}"
    used = ({METHOD_SCOPES[m] for m in methods} | emulator.scopes_used) - {None}
    return used | {EVENT_SCOPES[s] for s in subscriptions} | {"commands"}  # commands: /darcy, the shortcut


@pytest.fixture
async def slack_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Step 1 and 2: the app exists with the manifest's scopes; its bot token is in the environment."""
    emulator = await SlackEmulator().start()
    emulator.scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    try:
        yield emulator
    finally:
        await emulator.close()


async def running(task: asyncio.Task[None], ready: Awaitable[Any]) -> None:
    waiting = asyncio.ensure_future(ready)
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # run_slack's error, if it stopped
    await waiting


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_following_the_readme_in_socket_mode(
    app: App, slack_app: SlackEmulator, monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = slack_app
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)  # step 3: the xapp- token
    slack = SlackSettings(**slack_table("socket"), api_url=emulator.base_url)
    task = asyncio.create_task(run_slack(app, app.settings.model_copy(update={"slack": slack})))
    await running(task, emulator.connected())

    async def push(kind: str, payload: dict[str, Any]) -> None:
        envelope = await emulator.push(kind, payload)
        assert (await emulator.ack_of(envelope)).delay < 3.0

    try:
        subscriptions = await walk_through(emulator, push)
    finally:
        await stop(task)
    assert subscriptions == set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert scopes_needed(emulator, subscriptions) == emulator.scopes


async def test_following_the_readme_in_http_mode(
    app: App, slack_app: SlackEmulator, monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = slack_app
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)  # step 3: the signing secret
    table = slack_table("http") | {"port": unused_port()}  # the README's port, wherever one is free here
    slack = SlackSettings(**table, api_url=emulator.base_url)
    task = asyncio.create_task(run_slack(app, app.settings.model_copy(update={"slack": slack})))
    url = f"http://127.0.0.1:{table['port']}/slack/events"

    async def post(kind: str, payload: dict[str, Any]) -> None:
        if kind == "events_api":
            body, content_type = json.dumps(payload), "application/json"
        elif kind == "slash_commands":
            body, content_type = command_body(
                user=payload["user_id"], channel=payload["channel_id"], text=payload["text"],
                response_url=payload["response_url"]), "application/x-www-form-urlencoded"
        else:
            body, content_type = payload_body(payload), "application/x-www-form-urlencoded"
        async with aiohttp.ClientSession() as http, http.post(
            url, data=body, headers=signed_headers(body, content_type)
        ) as response:
            assert response.status == 200, await response.text()

    async def listening() -> None:
        while True:
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with aiohttp.ClientSession() as http, http.post(url, data=b"{}"):
                    return
            await asyncio.sleep(0.02)

    try:
        await running(task, asyncio.wait_for(listening(), 5))
        subscriptions = await walk_through(emulator, post)
    finally:
        await stop(task)
    assert subscriptions == set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert scopes_needed(emulator, subscriptions) == emulator.scopes


async def test_a_scope_missing_from_the_app_shows_as_slack_shows_it(
    app: App, slack_app: SlackEmulator, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rig is faithful: without chat:write, Slack refuses every answer (the test above can fail)."""
    emulator = slack_app
    emulator.scopes = set(manifest()["oauth_config"]["scopes"]["bot"]) - {"chat:write"}
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    slack = SlackSettings(**slack_table("socket"), api_url=emulator.base_url)
    task = asyncio.create_task(run_slack(app, app.settings.model_copy(update={"slack": slack})))
    await running(task, emulator.connected())
    try:
        await emulator.push("events_api", json.loads(event_body(
            mention_event("1763419000.000100", CAROL, "show me my tasks"), event_id="Ev9MISSING")))
        await emulator.wait_for("chat.postMessage")
        await asyncio.sleep(0.1)
    finally:
        await stop(task)
    assert emulator.in_channel("C0GENERAL") == []
