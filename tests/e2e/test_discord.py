"""The Discord adapter: the real discord.py client against a loopback Discord (tests/rigs/discord_rig.py),
over the real notion-client and the built-in Notion-compatible server.

Asserts what a person sees (embeds, buttons, ephemeral answers, no pings) and what lands in Notion.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path

import discord
import pytest
import structlog
from rigs.discord_rig import DEFER_MESSAGE, DEFER_UPDATE, EPHEMERAL, MESSAGE, MODAL, DiscordRig

from bot.bootstrap import App
from bot.discord import DarcyClient, build_client, invite_url, render, run_discord
from bot.discord.app import PERMISSIONS, SCOPES
from core.bus import MessageBus
from core.config import ConfigError, DiscordSettings, load_settings
from core.messages import ActionExecuted, DecisionMade
from core.replies import Reply, TaskLine

BOB, CAROL, DAN, ZOE = (f"71000000000000{n}" for n in ("1001", "1002", "1003", "2001"))
HIRO_NOTION_ID = "00000000-0000-4000-8000-000000001007"
ZOE_NOTION_ID = "00000000-0000-4000-8000-000000002001"
DAN_STRANGER = "719999999999999999"  # a Discord account linked to no one
ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"
Connect = Callable[..., Awaitable[DarcyClient]]


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordRig]:
    loopback = DiscordRig()
    monkeypatch.setattr(discord.http.Route, "BASE", await loopback.start())
    try:
        yield loopback
    finally:
        await loopback.stop()
    # Whatever a test did, no message Darcy sent may ping anyone, and nothing hit an unknown route.
    assert loopback.bodies_allowing_mentions() == []
    assert loopback.unknown == []
    assert loopback.deprecated == []


@pytest.fixture
async def connect(app: App, rig: DiscordRig) -> AsyncIterator[Connect]:
    """Log a fresh client in (a second call is Darcy after a restart): same bus, same database."""
    clients: list[DarcyClient] = []

    async def login(**discord: object) -> DarcyClient:
        settings = app.settings.model_copy(
            update={"discord": DiscordSettings(guild_id=rig.guild_id, **discord)})  # type: ignore[arg-type]
        client = build_client(app.bus, settings)
        clients.append(client)
        await client.login("rig-bot-token")
        return client

    yield login
    for client in clients:
        await client.close()


@pytest.fixture
async def bot(connect: Connect) -> DarcyClient:
    return await connect()


async def slash(rig: DiscordRig, bot: DarcyClient, user: str, text: str) -> dict:
    payload = rig.slash(user, text)
    await rig.send(bot, payload)
    assert rig.callback_types(payload["token"]) == [DEFER_MESSAGE], "acknowledged once, with a defer"
    return rig.original(payload["token"])


async def click(rig: DiscordRig, bot: DarcyClient, user: str, message: dict, label: str) -> str:
    """Click the button labelled `label`; returns the interaction token."""
    button = rig.buttons(message)[label]
    payload = rig.click(user, int(message["id"]), button["custom_id"])
    await rig.send(bot, payload)
    return payload["token"]


def seen(message: dict) -> str:
    return DiscordRig.text(message)


def enabled_buttons(rig: DiscordRig, message: dict) -> list[str]:
    return [c.get("label") or c.get("placeholder") for c in rig.components(message) if not c.get("disabled")]


def titles(app: App) -> list[str]:
    return [t["title"] for t in app.emulator.tasks()]


# ---- start-up ------------------------------------------------------------------------------


async def test_login_syncs_both_commands_to_the_configured_guild_and_logs_the_invite(
    connect: Connect, rig: DiscordRig,
) -> None:
    saved = structlog.get_config()
    # conftest logs warnings only; the invite is an info line
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as logs:
            await connect()
    finally:
        structlog.configure(**saved)
    assert list(rig.commands) == [rig.guild_id], "guild-scoped: no global sync"
    commands = {c["name"]: c for c in rig.commands[rig.guild_id]}
    assert commands["darcy"]["type"] == 1
    assert commands["darcy"]["options"][0] | {"name": "text", "type": 3, "required": True} == \
        commands["darcy"]["options"][0]
    assert commands["Create Darcy task"]["type"] == 3
    invite = next(e["url"] for e in logs if e["event"] == "discord invite")
    assert invite == invite_url(rig.app_id, rig.guild_id)
    assert "scope=bot+applications.commands" in invite
    permissions = discord.Permissions(int(re.search(r"permissions=(\d+)", invite).group(1)))
    assert permissions.send_messages and permissions.embed_links and not permissions.administrator


async def test_without_a_guild_the_commands_are_global(rig: DiscordRig) -> None:
    client = build_client(MessageBus(), load_settings())
    try:
        await client.login("rig-bot-token")
    finally:
        await client.close()
    assert list(rig.commands) == [None]


# ---- the four flows ------------------------------------------------------------------------


async def test_view_lists_carols_hackathon_tasks_in_an_embed(bot: DarcyClient, rig: DiscordRig) -> None:
    message = await slash(rig, bot, CAROL, "show me Carol's tasks in Hackathon 2026")
    text = seen(message)
    assert "Carol Jensen's tasks in Hackathon 2026 (2):" in text
    for expected in ("Confirm venue booking", "Recruit judges", "To Review", "In Progress",
                     "due Thu 19 Nov 2026", "Carol Jensen"):
        assert expected in text
    assert "Order catering" not in text
    assert message["components"] == []
    assert not message["flags"] & EPHEMERAL  # reads go to the channel unless configured otherwise


async def test_a_long_list_says_how_many_more(bot: DarcyClient, rig: DiscordRig) -> None:
    message = await slash(rig, bot, CAROL, "show me all tasks")
    text = seen(message)
    assert "Tasks (29):" in text
    assert text.count("\n• ") == 20
    assert text.rstrip().endswith("…and 9 more. Narrow it down, e.g. by project or person.")


async def test_assign_asks_with_buttons_then_creates_exactly_one_page(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    before = titles(app)
    message = await slash(rig, bot, CAROL, ASSIGN)
    assert ("I'm going to create **Book photographer** for Hiro Sato, due Fri 20 Nov 2026, in Industry Night"
            in seen(message))
    buttons = rig.buttons(message)
    assert set(buttons) == {"Confirm", "Cancel"}
    pending = re.fullmatch(r"darcy:confirm:(\w+)", buttons["Confirm"]["custom_id"])
    assert pending and buttons["Cancel"]["custom_id"] == f"darcy:cancel:{pending.group(1)}"
    assert all(len(b["custom_id"]) <= 100 for b in buttons.values())
    assert titles(app) == before, "nothing may be written before the confirmation"

    token = await click(rig, bot, CAROL, message, "Confirm")
    assert rig.callback_types(token) == [DEFER_UPDATE]
    message = rig.messages[int(message["id"])]
    page = app.emulator.task_by_title("Book photographer")
    assert page is not None
    assert page["status"] == "Not Started" and page["due"] == "2026-11-20"
    assert page["assignee_ids"] == [HIRO_NOTION_ID]
    assert "Done: created **Book photographer**." in seen(message)
    assert re.search(r"https?://\S+", seen(message).split("Done: created")[1]), "the result links to the page"
    assert "I'm going to create" in seen(message), "the question stays readable above the result"
    assert enabled_buttons(rig, message) == [], "an answered question cannot be clicked again"
    assert titles(app).count("Book photographer") == 1


async def test_cancel_changes_nothing(app: App, bot: DarcyClient, rig: DiscordRig) -> None:
    before = app.emulator.tasks()
    message = await slash(rig, bot, CAROL, ASSIGN)
    await click(rig, bot, CAROL, message, "Cancel")
    message = rig.messages[int(message["id"])]
    assert "Cancelled. Nothing was changed." in seen(message)
    assert enabled_buttons(rig, message) == []
    assert {c["label"] for c in rig.components(message)} == {"Confirm", "Cancel"}, "disabled, not gone"
    assert app.emulator.tasks() == before


async def test_update_picks_from_a_select_then_confirms(app: App, bot: DarcyClient, rig: DiscordRig) -> None:
    message = await slash(rig, bot, DAN, "I've finished sending out the forms")
    assert "Send out recruitment forms" in seen(message) and "Send out judge sign-up forms" in seen(message)
    select = next(c for c in rig.components(message) if c["type"] == 3)
    assert re.fullmatch(r"darcy:choose:\w+", select["custom_id"])
    labels = {o["label"] for o in select["options"]}
    assert labels >= {"Send out recruitment forms", "Send out judge sign-up forms"}
    assert len(select["options"]) <= 25

    payload = rig.pick(DAN, int(message["id"]), select["custom_id"], "Send out recruitment forms")
    await rig.send(bot, payload)
    message = rig.messages[int(message["id"])]
    assert "I'm going to mark **Send out recruitment forms** as Done" in seen(message)
    assert set(rig.buttons(message)) == {"Confirm", "Cancel"}
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"

    await click(rig, bot, DAN, message, "Confirm")
    assert "Done: updated **Send out recruitment forms**" in seen(rig.messages[int(message["id"])])
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "Done"
    assert app.emulator.task_by_title("Send out judge sign-up forms")["status"] == "Not Started"


async def test_verification_through_a_modal_and_a_code_in_notion_links_then_answers(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    message = await slash(rig, bot, ZOE, "show me my tasks")
    assert "What's the e-mail address of your Notion account?" in seen(message)
    link = rig.buttons(message)[render.LINK_LABEL]
    assert link["custom_id"] == f"darcy:link:{ZOE}"

    stranger = await click(rig, bot, CAROL, message, render.LINK_LABEL)  # not Zoe's button
    assert rig.callback_types(stranger) == [MESSAGE]
    notice = rig.original(stranger)
    assert notice["flags"] & EPHEMERAL and f"Only <@{ZOE}> can answer this." in notice["content"]
    assert rig.modals == []

    opened = await click(rig, bot, ZOE, message, render.LINK_LABEL)
    assert rig.callback_types(opened) == [MODAL]
    modal = rig.modals[-1]
    field = rig.components(modal)[0]
    assert field["type"] == 4 and modal["title"] == render.LINK_LABEL

    await rig.send(bot, rig.submit(ZOE, modal, {field["custom_id"]: "zoe.martin@club.example"}))
    message = rig.messages[int(message["id"])]
    assert ("send a sign-in code in Notion to the member whose e-mail is zoe.martin@club.example"
            in seen(message))
    assert set(rig.buttons(message)) == {"Confirm", "Cancel"}
    await click(rig, bot, ZOE, message, "Confirm")
    message = rig.messages[int(message["id"])]
    assert "they'll get a sign-in code from Darcy in Notion" in seen(message)
    assert enabled_buttons(rig, message) == []

    await app.deps.linking.settle()
    [sent] = app.emulator.notifications  # Notion notifies Zoe: a comment mentioning her
    assert sent["user_id"] == ZOE_NOTION_ID and sent["page_id"] == app.emulator.signin_page_id
    code = re.search(r"code is (\d{3}) (\d{3})", sent["text"])
    assert code is not None
    answer = await slash(rig, bot, ZOE, code[1] + code[2])
    assert "Linked: you're Zoe Martin in Notion now." in seen(answer)
    assert "Zoe Martin's tasks: none right now." in seen(answer), "the original request, answered"
    assert (await app.db.identity.link_of("discord", ZOE)).via == "notion_code"


async def test_an_email_no_one_has_gets_the_same_answer_and_no_code_is_sent(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    shown = []
    for user, email in ((ZOE, "nobody@nowhere.example"), (DAN_STRANGER, "zoe.martin@club.example")):
        message = await slash(rig, bot, user, "show me my tasks")
        await click(rig, bot, user, message, render.LINK_LABEL)
        modal = rig.modals[-1]
        await rig.send(bot, rig.submit(user, modal, {rig.components(modal)[0]["custom_id"]: email}))
        asked = seen(rig.messages[int(message["id"])]).replace(email, "EMAIL")
        await click(rig, bot, user, rig.messages[int(message["id"])], "Confirm")
        shown.append((asked, seen(rig.messages[int(message["id"])]).replace(email, "EMAIL")))
    assert shown[0] == shown[1], "whether the e-mail is anyone's doesn't show"
    await app.deps.linking.settle()
    assert [n["user_id"] for n in app.emulator.notifications] == [ZOE_NOTION_ID]  # the real one only


# ---- who may click, and when -----------------------------------------------------------------


async def test_a_click_by_someone_else_is_answered_privately_and_executes_nothing(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    message = await slash(rig, bot, CAROL, ASSIGN)
    before_edit = dict(rig.messages[int(message["id"])])
    token = await click(rig, bot, BOB, message, "Confirm")
    followups = [r for r in rig.requests_for(token) if r.method == "POST" and "/webhooks/" in r.path]
    assert len(followups) == 1
    assert followups[0].body["flags"] & EPHEMERAL
    assert "Only Carol Jensen can answer this." in followups[0].body["content"]
    assert not any(r.method == "PATCH" for r in rig.requests_for(token)), "Carol's message is untouched"
    assert rig.messages[int(message["id"])] == before_edit
    assert app.emulator.task_by_title("Book photographer") is None

    await click(rig, bot, CAROL, message, "Confirm")
    assert app.emulator.task_by_title("Book photographer") is not None


async def test_a_click_after_a_restart_executes_once(app: App, connect: Connect, rig: DiscordRig) -> None:
    first = await connect()
    message = await slash(rig, first, CAROL, ASSIGN)
    await first.close()

    second = await connect()  # a new process: only the custom_id says what the button is for
    custom_id = rig.buttons(message)["Confirm"]["custom_id"]
    double = [rig.click(CAROL, int(message["id"]), custom_id) for _ in range(2)]  # a double click
    await asyncio.gather(*(rig.send(second, payload) for payload in double))
    assert titles(app).count("Book photographer") == 1
    assert "Done: created **Book photographer**." in seen(rig.messages[int(message["id"])])
    late = [r for p in double for r in rig.requests_for(p["token"])
            if r.method == "POST" and "/webhooks/" in r.path]
    assert len(late) == 1, "one click executes, the other is told privately"
    assert late[0].body["flags"] & EPHEMERAL and "already" in late[0].body["content"]


async def test_run_discord_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        await run_discord(None, load_settings())  # type: ignore[arg-type] - fails before using the app


async def test_an_expired_confirmation_disables_the_buttons_and_writes_nothing(
    app: App, bot: DarcyClient, rig: DiscordRig, clock,
) -> None:
    message = await slash(rig, bot, CAROL, ASSIGN)
    clock.advance(minutes=11)
    await click(rig, bot, CAROL, message, "Confirm")
    message = rig.messages[int(message["id"])]
    assert "That request expired, so I did nothing." in seen(message)
    assert enabled_buttons(rig, message) == []
    assert app.emulator.task_by_title("Book photographer") is None


# ---- the deadline ----------------------------------------------------------------------------


async def test_the_ack_goes_out_before_a_slow_notion_is_asked(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    async def mark_decided(event: DecisionMade) -> None:
        rig.log.append("core:decided")

    async def mark_executed(event: ActionExecuted) -> None:
        rig.log.append("core:executed")

    app.bus.subscribe(DecisionMade, mark_decided)
    app.bus.subscribe(ActionExecuted, mark_executed)
    message = await slash(rig, bot, CAROL, ASSIGN)
    app.emulator.latency = 0.05  # every Notion call now takes a while
    rig.log.clear()
    await click(rig, bot, CAROL, message, "Confirm")
    assert rig.log == ["ack:6", "core:executed", "edit:@original"]

    rig.log.clear()
    await slash(rig, bot, CAROL, "show me Carol's tasks in Hackathon 2026")
    assert rig.log == ["ack:5", "core:decided", "edit:@original"]


async def test_reads_can_be_private_by_config(connect: Connect, rig: DiscordRig) -> None:
    bot = await connect(ephemeral_reads=True)
    message = await slash(rig, bot, CAROL, "show me Carol's tasks in Hackathon 2026")
    assert message["flags"] & EPHEMERAL
    assert "Confirm venue booking" in seen(message)


# ---- mentions, the message command, and no pings ------------------------------------------


async def test_a_mention_is_answered_in_the_channel_and_its_buttons_work(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    bot._connection.parse_message_create(rig.user_message(CAROL, "show me my tasks", mentions_bot=False))
    said = rig.user_message(CAROL, f"<@{rig.app_id}> {ASSIGN}")
    await rig.send(bot, said)  # handled after the first, which by now was ignored (or answered)
    reply = rig.reply_to(said)
    replies = [m for m in rig.messages.values() if m.get("message_reference")]
    assert replies == [reply], "a message without a mention gets no answer"
    assert rig.log.index("typing") < rig.log.index("channel:message")
    assert "I'm going to create **Book photographer**" in seen(reply)
    await click(rig, bot, CAROL, reply, "Confirm")
    assert "Done: created **Book photographer**." in seen(rig.messages[int(reply["id"])])
    assert app.emulator.task_by_title("Book photographer") is not None


async def test_the_message_command_creates_a_task_from_the_first_line(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    target = rig.user_message(DAN, "Order extra chairs for the hackathon\nwe're 40 people now",
                              mentions_bot=False)
    payload = rig.message_command(CAROL, target, "Create Darcy task")
    await rig.send(bot, payload)
    message = rig.original(payload["token"])
    assert "I'm going to create **Order extra chairs for the hackathon** for Carol Jensen" in seen(message)
    await click(rig, bot, CAROL, message, "Confirm")
    page = app.emulator.task_by_title("Order extra chairs for the hackathon")
    assert page is not None and page["assignee_ids"] == ["00000000-0000-4000-8000-000000001002"]


async def test_a_task_called_everyone_pings_nobody(app: App, bot: DarcyClient, rig: DiscordRig) -> None:
    target = rig.user_message(DAN, "@everyone <@&730000000000000009> bring snacks", mentions_bot=False)
    payload = rig.message_command(CAROL, target, "Create Darcy task")
    await rig.send(bot, payload)
    message = rig.original(payload["token"])
    await click(rig, bot, CAROL, message, "Confirm")
    assert app.emulator.task_by_title("@everyone <@&730000000000000009> bring snacks") is not None
    shown = seen(rig.messages[int(message["id"])])
    assert "Done: created" in shown
    assert "@everyone" not in shown and "<@&730000000000000009>" not in shown, "literal, not mentions"
    assert "@\u200beveryone" in shown
    bodies = rig.message_bodies()
    assert len(bodies) >= 2
    assert all(body["allowed_mentions"] == {"parse": []} for body in bodies)


# ---- rendering limits ------------------------------------------------------------------------


def test_a_list_too_long_for_one_embed_is_cut_and_says_how_many_more() -> None:
    tasks = [TaskLine(title=f"Task {n} " + "x" * 150, status="In Progress", due=date(2026, 11, 20),
                      people=["Carol Jensen"], url=f"https://www.notion.so/{n:032x}") for n in range(60)]
    reply = Reply(text="Tasks (75):", decision="execute", tasks=tasks, more=15)
    [embed] = render.embeds(reply)
    description = embed.description or ""
    assert len(description) <= render.MAX_DESCRIPTION
    shown = description.count("\n• ")
    assert 0 < shown < 60
    assert description.endswith(f"…and {75 - shown} more. Narrow it down, e.g. by project or person.")


def test_user_text_cannot_format_or_mention() -> None:
    assert render.markdown("create **a_b** for <@123456789012345678> @here") == \
        "create **a\\_b** for <@\u200b123456789012345678> @\u200bhere"


# ---- what real Discord does that the rig used not to (issue #18) ------------------------------

HIRO = "710000000000001007"


async def test_a_direct_message_is_answered_without_a_mention(bot: DarcyClient, rig: DiscordRig) -> None:
    # Discord sends a DM's content without the Message Content intent; it mentions no one.
    said = rig.direct_message(CAROL, "show me my tasks")
    await rig.send(bot, said, timeout=3)
    reply = rig.reply_to(said)
    assert int(reply["channel_id"]) == rig.dm_channel(CAROL)
    assert "Carol Jensen's tasks" in seen(reply)


async def test_a_mention_of_darcys_managed_role_is_answered(bot: DarcyClient, rig: DiscordRig) -> None:
    rig.deliver(bot, rig.guild_create())  # the server, where Darcy holds its managed role
    said = rig.role_mention(CAROL, "show me my tasks")
    assert said["content"].startswith(f"<@&{rig.role_id}>") and said["mentions"] == []
    await rig.send(bot, said, timeout=3)
    assert "Carol Jensen's tasks" in seen(rig.reply_to(said))


async def test_a_channel_darcy_may_not_post_in_gets_the_answer_by_dm_and_says_why(
    app: App, bot: DarcyClient, rig: DiscordRig,
) -> None:
    rig.forbidden.add(rig.channel_id)  # people may talk there; Darcy may not answer (403, 50013)
    with structlog.testing.capture_logs() as logs:
        rig.deliver(bot, rig.user_message(CAROL, f"<@{rig.app_id}> {ASSIGN}"))
        dm = rig.dm_channel(CAROL)
        await rig.wait_for(lambda: bool(rig.in_channel(dm)), 3, "no answer by DM")
    [answer] = rig.in_channel(dm)
    assert f"I can't post in <#{rig.channel_id}>" in answer["content"]
    assert "I'm going to create **Book photographer**" in seen(answer)
    warning = next(e for e in logs if e["event"].startswith("discord channel refused the answer"))
    assert warning["code"] == 50013 and warning["channel_id"] == rig.channel_id
    await click(rig, bot, CAROL, answer, "Confirm")  # the buttons work in the DM
    assert app.emulator.task_by_title("Book photographer") is not None


async def test_when_the_dm_is_refused_too_the_log_says_the_answer_was_lost(
    bot: DarcyClient, rig: DiscordRig,
) -> None:
    rig.forbidden.add(rig.channel_id)
    rig.closed_dms.add(CAROL)
    with structlog.testing.capture_logs() as logs:
        rig.deliver(bot, rig.user_message(CAROL, f"<@{rig.app_id}> show me my tasks"))
        await rig.wait_for(lambda: any(e["event"].startswith("discord answer lost") for e in logs), 3,
                           "no log of the lost answer")
    lost = next(e for e in logs if e["event"].startswith("discord answer lost"))
    assert lost["code"] == 50007 and lost["user_id"] == int(CAROL)
    assert rig.messages == {}


async def test_the_email_modal_wraps_its_input_in_a_label(bot: DarcyClient, rig: DiscordRig) -> None:
    # components/reference.mdx: a text input in an action row is deprecated in modals.
    asked = await slash(rig, bot, ZOE, "show me my tasks")
    await click(rig, bot, ZOE, asked, render.LINK_LABEL)
    [label] = rig.modals[-1]["components"]
    assert label["type"] == 18 and label["label"] == "Your Notion account's e-mail"
    assert label["component"]["type"] == 4 and label["component"]["max_length"] == 254
    assert rig.deprecated == []
    submitted = rig.submit(ZOE, rig.modals[-1], {label["component"]["custom_id"]: "zoe.martin@club.example"})
    await rig.send(bot, submitted)
    assert "send a sign-in code in Notion" in seen(rig.messages[int(asked["id"])])


async def test_the_message_command_names_the_people_a_message_mentions(
    bot: DarcyClient, rig: DiscordRig,
) -> None:
    target = rig.user_message(DAN, f"<@{HIRO}> call the venue about parking", mentions_bot=False)
    target["mentions"] = [rig.user(HIRO, "hiro")]
    payload = rig.message_command(CAROL, target, "Create Darcy task")
    await rig.send(bot, payload)
    shown = seen(rig.original(payload["token"]))
    assert "I'm going to create **@Hiro call the venue about parking** for Carol Jensen" in shown
    assert "<@" not in shown


def test_a_bulk_confirmation_of_long_titles_still_asks_shall_i_go_ahead() -> None:
    names = [f"**{chr(65 + n) * 500}**" for n in range(10)]
    text = f"I'm going to mark 10 tasks as Done: {', '.join(names[:-1])} and {names[-1]}. Shall I go ahead?"
    [embed] = render.embeds(Reply(text=text, decision="confirm", pending_id="b" * 20))
    description = embed.description or ""
    assert len(description) <= render.MAX_DESCRIPTION
    assert description.startswith("I'm going to mark 10 tasks as Done: **AAA") and "**JJJ" in description
    assert description.endswith("…**. Shall I go ahead?")
    assert description.count("**") % 2 == 0


def test_the_readme_says_which_permissions_and_intents_the_invite_needs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    text = readme[readme.index("\n## Discord setup\n"):].split("\n## ", 2)[1]
    labels = {"view_channel": "View Channels", "send_messages": "Send Messages",
              "send_messages_in_threads": "Send Messages in Threads", "embed_links": "Embed Links",
              "read_message_history": "Read Message History"}
    assert discord.Permissions(**dict.fromkeys(labels, True)) == PERMISSIONS  # those and no others
    assert f"permissions {PERMISSIONS.value}:" in text
    assert all(label in text for label in labels.values())
    assert SCOPES == ("bot", "applications.commands")
    assert "`bot`" in text and "`applications.commands`" in text
    intents = build_client(MessageBus(), load_settings()).intents
    assert not (intents.message_content or intents.members or intents.presences)
    assert "none privileged" in text.lower() and "DISCORD_TOKEN" in text
