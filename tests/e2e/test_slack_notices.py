"""Notices in Slack: the real AsyncWebClient posting DMs to the Slack Web API emulator, the
real bolt app receiving the clicks on them; a member who left gets no retry storm."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from rigs.slack_rig import BOT_TOKEN, SIGNING_SECRET, Message, SlackEmulator, SlackUser
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.slack.app import build_app
from bot.slack.notify import SlackNotifier

CAROL, DAN = "U00001002", "U00001003"
FORMS = "Send out recruitment forms"


@dataclass
class Slack:
    emulator: SlackEmulator
    user: SlackUser

    def dms(self, user: str) -> list[Message]:
        return [m for m in self.emulator.messages.values() if m.channel == user and not m.ephemeral_to]


@pytest.fixture
async def slack(app: App) -> AsyncIterator[Slack]:
    emulator = await SlackEmulator().start()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.base_url)
    bolt = build_app(app.bus, signing_secret=SIGNING_SECRET, client=client)
    assert app.notifications is not None
    app.notifications.add_notifier(SlackNotifier(client))
    await app.notifications.look()
    try:
        yield Slack(emulator, SlackUser(bolt, emulator))
    finally:
        await emulator.close()


async def test_a_reminder_is_a_dm_with_buttons_and_done_works_only_for_its_person(
    app: App, slack: Slack
) -> None:
    await app.notifications.tick()  # Wed 10:00: Wednesday 08:00's reminders, caught up
    [dm] = slack.dms(DAN)
    assert dm.shown().splitlines() == [
        f"Reminder: {FORMS} — due tomorrow (Thu 19 Nov 2026), Recruitment Drive.",
        'Say "no more reminders" to stop these.',
        "Done",
        "Snooze 1 day",
        "Open in Notion",
    ]
    assert dm.buttons() == ["Done", "Snooze 1 day", "Open in Notion"]
    await slack.user.click(dm, "Done", user=CAROL)
    refused = await slack.emulator.wait_for("chat.postEphemeral")
    assert refused.body["text"] == "Only Dan Whitfield can answer this." and refused.body["user"] == CAROL
    assert app.emulator.task_by_title(FORMS)["status"] == "In Progress"
    await slack.user.click(dm, "Done", user=DAN)
    await slack.emulator.wait_for("chat.update")
    assert dm.shown().startswith(f"Done: updated {FORMS} (status → Done).")  # in place of the reminder
    assert dm.buttons() == []
    assert app.emulator.task_by_title(FORMS)["status"] == "Done"


async def test_snooze_from_slack(app: App, slack: Slack, clock) -> None:
    await app.notifications.tick()
    [dm] = slack.dms(DAN)
    await slack.user.click(dm, "Snooze 1 day", user=DAN)
    said = await slack.emulator.wait_for("chat.postEphemeral")
    assert (
        said.body["user"] == DAN
        and said.body["text"] == "Snoozed: I'll remind you again Thu 19 Nov 2026 at 10:00."
    )
    clock.advance(days=1)
    await app.notifications.tick()
    assert slack.dms(DAN)[-1].shown().startswith(f"Reminder: {FORMS} — due today (Thu 19 Nov 2026)")


async def test_a_member_who_left_gets_one_attempt_then_a_mention_in_the_projects_channel(
    app: App, slack: Slack
) -> None:
    slack.emulator.departed.add(DAN)
    app.settings.notifications.channels = {"Recruitment Drive": {"slack": "C0RECRUIT"}}
    await app.notifications.tick()
    attempts = [c for c in slack.emulator.of("chat.postMessage") if c.body["channel"] == DAN]
    assert len(attempts) == 1  # no retry storm
    [mention] = slack.emulator.in_channel("C0RECRUIT")
    assert mention.blocks[0]["text"]["text"].startswith(f"<@{DAN}> Reminder: *{FORMS}* — due tomorrow")
    assert mention.buttons() == ["Done", "Snooze 1 day", "Open in Notion"]  # still only Dan's to click
    rows = [r for r in await app.db.audit.rows() if r.tool == "notify" and r.user_id == DAN]
    assert [r.decision for r in rows] == ["notice_fallback"]
    assert '"channel": "C0RECRUIT"' in rows[0].args_json and "unreachable" in rows[0].args_json


async def test_without_a_channel_the_notice_is_dropped_and_the_audit_log_says_so(
    app: App, slack: Slack
) -> None:
    slack.emulator.departed.add(DAN)
    await app.notifications.tick()
    assert len([c for c in slack.emulator.of("chat.postMessage") if c.body["channel"] == DAN]) == 1
    rows = [r for r in await app.db.audit.rows() if r.tool == "notify" and r.user_id == DAN]
    assert [r.decision for r in rows] == ["notice_dropped"]
    await app.notifications.tick()  # and never again
    assert len([c for c in slack.emulator.of("chat.postMessage") if c.body["channel"] == DAN]) == 1


async def test_a_rate_limited_dm_waits_and_is_sent_once(app: App, slack: Slack) -> None:
    from bot.slack.app import with_retries

    app.notifications.add_notifier(
        SlackNotifier(with_retries(AsyncWebClient(token=BOT_TOKEN, base_url=slack.emulator.base_url)))
    )
    slack.emulator.rate_limit("chat.postMessage", times=1, retry_after=1)
    await app.notifications.tick()
    assert len(slack.dms(DAN)) == 1
    assert {r.decision for r in await app.db.audit.rows() if r.tool == "notify"} == {"notice_sent"}
