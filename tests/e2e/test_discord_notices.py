"""Notices in Discord: the real discord.py client opening DMs on the loopback Discord rig, the
clicks on them through its dynamic items; a person who accepts no DMs (50007) gets one attempt,
then a mention in the project's channel, or nothing, and the audit log says which."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from rigs.discord_rig import DiscordRig

from bot.bootstrap import App
from bot.discord import DarcyClient, build_client
from bot.discord.notify import DiscordNotifier
from core.config import DiscordSettings

CAROL, DAN = "710000000000001002", "710000000000001003"
FORMS = "Send out recruitment forms"


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordRig]:
    loopback = DiscordRig()
    monkeypatch.setattr(discord.http.Route, "BASE", await loopback.start())
    try:
        yield loopback
    finally:
        await loopback.stop()
    assert loopback.unknown == []


@pytest.fixture
async def bot(app: App, rig: DiscordRig) -> AsyncIterator[DarcyClient]:
    settings = app.settings.model_copy(update={"discord": DiscordSettings(guild_id=rig.guild_id)})
    client = build_client(app.bus, settings)
    await client.login("rig-bot-token")
    assert app.notifications is not None
    app.notifications.add_notifier(DiscordNotifier(client))
    await app.notifications.look()
    yield client
    await client.close()


async def click(rig: DiscordRig, bot: DarcyClient, user: str, message: dict, label: str) -> str:
    payload = rig.click(user, int(message["id"]), rig.buttons(message)[label]["custom_id"])
    await rig.send(bot, payload)
    return payload["token"]


async def test_a_reminder_is_a_dm_and_done_is_the_persons_own(
    app: App, rig: DiscordRig, bot: DarcyClient
) -> None:
    await app.notifications.tick()
    [dm] = rig.in_channel(rig.dm_channels[DAN])
    assert DiscordRig.text(dm).splitlines() == [
        f"Reminder: **{FORMS}** — due tomorrow (Thu 19 Nov 2026), Recruitment Drive.",
        'Say "no more reminders" to stop these.',
    ]
    assert list(rig.buttons(dm)) == ["Done", "Snooze 1 day", "Open in Notion"]
    assert rig.bodies_allowing_mentions() == []  # a DM pings nobody
    token = await click(rig, bot, CAROL, dm, "Done")
    [refusal] = [r.body for r in rig.requests_for(token) if r.method == "POST" and "/webhooks/" in r.path]
    assert refusal["content"] == "Only Dan Whitfield can answer this." and refusal["flags"] == 64
    assert app.emulator.task_by_title(FORMS)["status"] == "In Progress"
    await click(rig, bot, DAN, dm, "Done")
    assert app.emulator.task_by_title(FORMS)["status"] == "Done"
    assert (
        DiscordRig.text(rig.messages[int(dm["id"])])
        .splitlines()[-1]
        .startswith(f"Done: updated **{FORMS}** (status → Done).")
    )


async def test_snooze_from_discord(app: App, rig: DiscordRig, bot: DarcyClient) -> None:
    await app.notifications.tick()
    [dm] = rig.in_channel(rig.dm_channels[DAN])
    token = await click(rig, bot, DAN, dm, "Snooze 1 day")
    [said] = [r.body for r in rig.requests_for(token) if r.method == "POST" and "/webhooks/" in r.path]
    assert said["content"] == "Snoozed: I'll remind you again Thu 19 Nov 2026 at 10:00."


async def test_closed_dms_fall_back_to_a_mention_of_that_person_only(
    app: App, rig: DiscordRig, bot: DarcyClient
) -> None:
    rig.closed_dms.add(DAN)
    app.settings.notifications.channels = {"Recruitment Drive": {"discord": str(rig.channel_id)}}
    await app.notifications.tick()
    assert rig.in_channel(rig.dm_channels[DAN]) == []
    [mention] = [m for m in rig.in_channel(rig.channel_id) if FORMS in DiscordRig.text(m)]
    assert mention["content"] == f"<@{DAN}>"
    [pinging] = rig.bodies_allowing_mentions()
    assert pinging["allowed_mentions"]["users"] == [int(DAN)] and pinging["allowed_mentions"]["parse"] == []
    rows = [r for r in await app.db.audit.rows() if r.tool == "notify" and r.user_id == DAN]
    assert [r.decision for r in rows] == ["notice_fallback"]


async def test_closed_dms_without_a_channel_drop_the_notice_once(
    app: App, rig: DiscordRig, bot: DarcyClient
) -> None:
    rig.closed_dms.add(DAN)
    await app.notifications.tick()
    await app.notifications.tick()
    dm_posts = [r for r in rig.requests if r.path.endswith(f"/channels/{rig.dm_channels[DAN]}/messages")]
    assert len(dm_posts) == 1  # no retry storm
    rows = [r for r in await app.db.audit.rows() if r.tool == "notify" and r.user_id == DAN]
    assert [r.decision for r in rows] == ["notice_dropped"]
    assert "unreachable" in rows[0].args_json
