"""Darcy speaks first, on the emulated Notion workspace, with the clock driven through a week:
assignments from chat and from Notion directly, reminders before and after the due day,
snooze, Done from a reminder, a restart in the middle, two replicas on PostgreSQL. Notices go
through the terminal adapter's notifier: what a person would read, and the buttons they'd have."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from bot.bootstrap import App, bootstrap
from bot.terminal import TerminalChat
from bot.terminal_notify import TerminalNotifier, attach
from core.config import load_settings
from core.domain import TaskChanges
from core.messages import Confirm, NoticeClick
from core.notify.ports import Outgoing

Clock = Any  # tests/conftest.py's Clock (the `clock` fixture): advance(**delta), called for now
HIRO, EVE = "00000000-0000-4000-8000-000000001007", "00000000-0000-4000-8000-000000001004"


class Inbox:
    """Every notice a notifier printed, with the (demo) time it was sent."""

    def __init__(self, app: App, clock: Clock, notifier: TerminalNotifier) -> None:
        self.app, self.clock, self.notifier = app, clock, notifier
        self.log: list[tuple[datetime, str, Outgoing]] = []

    async def tick(self) -> list[tuple[str, str]]:
        before = len(self.notifier.sent)
        assert self.app.notifications is not None
        await self.app.notifications.tick()
        new = self.notifier.sent[before:]
        self.log += [(self.clock(), who, out) for who, out in new]
        return [(who, out.text) for who, out in new]

    async def run(self, hours: int) -> None:
        for _ in range(hours):
            self.clock.advance(hours=1)
            await self.tick()

    def to(self, who: str, about: str = "") -> list[tuple[str, str]]:
        """(local time sent, first line) of what `who` received about a task."""
        return [
            (f"{at:%a %H:%M}", out.text.splitlines()[0])
            for at, whom, out in self.log
            if whom == who and about in out.text
        ]

    def last(self, who: str, about: str) -> Outgoing:
        return [out for _, whom, out in self.log if whom == who and about in out.text][-1]


async def inbox_for(app: App, clock: Clock) -> Inbox:
    assert app.notifications is not None
    notifier = attach(TerminalChat(app.bus, "carol", Console(record=True)), app.notifications, clock)
    await app.notifications.look()
    return Inbox(app, clock, notifier)


@pytest.fixture
async def inbox(app: App, clock: Clock) -> Inbox:
    return await inbox_for(app, clock)


def button(out: Outgoing, verb: str) -> str:
    return next(b.value for b in out.buttons if b.verb == verb)


async def test_an_assignment_from_chat_then_a_week_of_reminders(
    app: App, clock: Clock, inbox: Inbox, chat
) -> None:
    carol = chat("carol")
    await carol.say("assign Book photographer to Hiro due Friday in Industry Night")
    assert "Done: created Book photographer" in await carol.say("y")
    clock.advance(minutes=1)
    await inbox.tick()
    assert inbox.to("hiro") == []  # held a couple of minutes, in case more follows
    clock.advance(minutes=2)
    await inbox.tick()
    [(_, _, message)] = [e for e in inbox.log if e[1] == "hiro"]
    assert message.text == (
        "Carol Jensen gave you a task: **Book photographer** — due Fri 20 Nov 2026, Industry Night.\n"
        'Say "no more assignment messages" to stop these.'
    )
    assert [b.label for b in message.buttons] == ["Done", "Got it", "Open in Notion"]
    await inbox.run(hours=24 * 4)  # to Sun 22 Nov
    assert inbox.to("hiro", "Book photographer") == [
        (
            "Wed 10:03",
            "Carol Jensen gave you a task: **Book photographer** — due Fri 20 Nov 2026, Industry Night.",
        ),
        ("Thu 08:03", "Reminder: **Book photographer** — due tomorrow (Fri 20 Nov 2026), Industry Night."),
        (
            "Sat 08:03",
            "Overdue: **Book photographer** — was due Fri 20 Nov 2026, Industry Night, "
            "and it isn't done yet.",
        ),
    ]
    assert inbox.to("carol", "Book photographer") == []  # never for your own actions
    assert inbox.to("zoe") == []  # not linked: nothing, ever
    keys = [out.notice_id for _, _, out in inbox.log]
    assert len(keys) == len(set(keys))
    rows = [r for r in await app.db.audit.rows() if r.tool == "notify"]
    assert len(rows) == len(inbox.log) and {r.decision for r in rows} == {"notice_sent"}


async def test_an_assignment_made_in_notion_directly_is_seen_at_the_next_look(
    app: App, clock: Clock, inbox: Inbox
) -> None:
    task = app.emulator.task_by_title("Order catering")
    await app.store.update_task(task["id"], TaskChanges(assignee_ids=[EVE, HIRO]))
    clock.advance(minutes=1)
    await inbox.tick()  # seen now; told once nothing more came for a couple of minutes
    clock.advance(minutes=3)
    await inbox.tick()
    assert inbox.to("hiro") == [
        (
            "Wed 10:04",
            "Someone in Notion gave you a task: **Order catering** — due Thu 26 Nov 2026, Hackathon 2026.",
        )
    ]
    assert inbox.to("eve", "Order catering") == []  # eve had it already


async def test_done_from_a_reminder_goes_through_the_gate_and_only_for_its_person(
    app: App, clock: Clock, inbox: Inbox
) -> None:
    await inbox.tick()  # Wed 10:00: Wednesday 08:00's reminders, caught up
    reminder = inbox.last("dan", "Send out recruitment forms")
    assert reminder.text.startswith(
        "Reminder: **Send out recruitment forms** — due tomorrow (Thu 19 Nov 2026)"
    )
    assert [b.label for b in reminder.buttons] == ["Done", "Snooze 1 day", "Open in Notion"]
    pending = button(reminder, "done")
    stolen = await app.bus.execute(Confirm(platform="terminal", user_id="carol", pending_id=pending))
    assert stolen.text == "Only Dan Whitfield can answer this."
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"
    done = await app.bus.execute(Confirm(platform="terminal", user_id="dan", pending_id=pending))
    assert done.text.startswith("Done: updated **Send out recruitment forms** (status → Done).")
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "Done"
    again = await app.bus.execute(Confirm(platform="terminal", user_id="dan", pending_id=pending))
    assert again.text == "That's already done."
    executed = [r for r in await app.db.audit.rows() if r.decision == "executed"]
    assert [(r.user_id, r.tool) for r in executed] == [("dan", "update_task")]
    await inbox.run(hours=48)
    assert inbox.to("dan", "Send out recruitment forms") == [
        (
            "Wed 10:00",
            "Reminder: **Send out recruitment forms** — due tomorrow (Thu 19 Nov 2026), Recruitment Drive.",
        )
    ]  # done: no overdue nudge


async def test_snooze_brings_the_reminder_back_a_day_later(app: App, clock: Clock, inbox: Inbox) -> None:
    await inbox.tick()
    reminder = inbox.last("dan", "Send out recruitment forms")
    notice = button(reminder, "snooze")
    other = await app.bus.execute(
        NoticeClick(platform="terminal", user_id="carol", notice_id=notice, verb="snooze")
    )
    assert other.text == "Only Dan Whitfield can answer this."
    snoozed = await app.bus.execute(
        NoticeClick(platform="terminal", user_id="dan", notice_id=notice, verb="snooze")
    )
    assert snoozed.text == "Snoozed: I'll remind you again Thu 19 Nov 2026 at 10:00."
    twice = await app.bus.execute(
        NoticeClick(platform="terminal", user_id="dan", notice_id=notice, verb="snooze")
    )
    assert twice.text == "That's snoozed already."
    await inbox.run(hours=23)
    assert len(inbox.to("dan", "Send out recruitment forms")) == 1
    await inbox.run(hours=1)
    assert inbox.to("dan", "Send out recruitment forms")[1] == (
        "Thu 10:00",
        "Reminder: **Send out recruitment forms** — due today (Thu 19 Nov 2026), Recruitment Drive.",
    )


async def test_several_assignments_in_a_couple_of_minutes_arrive_as_one_message(
    app: App, clock: Clock, inbox: Inbox, chat
) -> None:
    carol = chat("carol")
    for title in ("Book photographer", "Print programmes"):
        await carol.say(f"assign {title} to Hiro due next Friday in Industry Night")
        await carol.say("y")
        clock.advance(minutes=1)
        await inbox.tick()
    clock.advance(minutes=2)
    await inbox.tick()
    [(_, _, message)] = [e for e in inbox.log if e[1] == "hiro"]
    assert message.text.splitlines()[:3] == [
        "Carol Jensen gave you 2 tasks:",
        "• **Book photographer** — due Fri 27 Nov 2026, Industry Night",
        "• **Print programmes** — due Fri 27 Nov 2026, Industry Night",
    ]
    assert [b.label for b in message.buttons] == ["Got it"]


async def two_apps_on(url: str, clock: Clock, store=None) -> App:
    return await bootstrap(load_settings(database={"url": url}), clock=clock, store=store)


async def test_a_restart_catches_up_within_the_window_and_repeats_nothing(
    tmp_path: Path, clock: Clock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/darcy.db"
    first = await two_apps_on(url, clock)
    inbox = await inbox_for(first, clock)
    await inbox.tick()  # Wed 10:00
    before = inbox.to("dan")
    assert before and inbox.to("samantha") == []
    await first.aclose()
    clock.advance(hours=23)  # down through Thursday 08:00; back at 09:00
    second = await two_apps_on(url, clock)
    try:
        again = await inbox_for(second, clock)
        await again.tick()
        assert again.to("dan", "Send out recruitment forms") == []  # sent before the restart
        assert again.to("samantha") == [
            (
                "Thu 09:00",
                "Reminder: **Design hackathon poster** — due tomorrow (Fri 20 Nov 2026), Marketing.",
            )
        ]
    finally:
        await second.aclose()


async def test_what_fell_due_long_before_a_restart_is_dropped_not_sent_late(
    tmp_path: Path, clock: Clock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/darcy.db"
    first = await two_apps_on(url, clock)
    await (await inbox_for(first, clock)).tick()
    await first.aclose()
    clock.advance(hours=29)  # back Thu 15:00: 08:00's reminders are seven hours old
    second = await two_apps_on(url, clock)
    try:
        inbox = await inbox_for(second, clock)
        await inbox.tick()
        assert inbox.to("samantha") == []
    finally:
        await second.aclose()


@pytest.fixture
async def replicas(postgres_url: str, clock: Clock) -> AsyncIterator[tuple[App, App]]:
    one = await two_apps_on(postgres_url, clock)
    two = await two_apps_on(postgres_url, clock, store=one.store)  # one Notion workspace
    try:
        yield one, two
    finally:
        await two.aclose()
        await one.aclose()


async def test_two_replicas_on_postgresql_send_each_notice_once(
    replicas: tuple[App, App], clock: Clock, chat
) -> None:
    one, two = replicas
    inboxes = [await inbox_for(one, clock), await inbox_for(two, clock)]
    carol = TerminalChat(one.bus, "carol", Console(record=True))
    await carol.send("assign Book photographer to Hiro due Friday in Industry Night")
    await carol.send("y")
    for _ in range(30):  # Wed 10:00 → Thu 16:00, both replicas ticking at once
        clock.advance(hours=1)
        await asyncio.gather(*(inbox.tick() for inbox in inboxes))
    sent = [(who, out.text) for inbox in inboxes for _, who, out in inbox.log]
    assert len(sent) == len(set(sent)) and len(sent) > 5
    about = sorted(
        text.splitlines()[0] for who, text in sent if who == "hiro" and "Book photographer" in text
    )
    assert about == [
        "Carol Jensen gave you a task: **Book photographer** — due Fri 20 Nov 2026, Industry Night.",
        "Reminder: **Book photographer** — due tomorrow (Fri 20 Nov 2026), Industry Night.",
    ]


async def test_settings_said_in_chat_move_and_stop_the_reminders(app: App, clock: Clock, chat) -> None:
    dan = chat("dan")
    assert (await dan.say("remind me at 8:30")).strip() == "I'll send your reminders at 08:30."
    inbox = await inbox_for(app, clock)
    clock.advance(hours=22)  # Thu 08:00: a reminder for Friday's tasks would be due for 08:00 people
    task = app.emulator.task_by_title("Send out judge sign-up forms")  # Dan's, due Mon 23 Nov
    await app.store.update_task(task["id"], TaskChanges(due=date(2026, 11, 20)))
    await inbox.tick()
    assert inbox.to("dan", "judge") == []
    clock.advance(minutes=30)
    await inbox.tick()
    assert inbox.to("dan", "judge") == [
        (
            "Thu 08:30",
            "Reminder: **Send out judge sign-up forms** — due tomorrow (Fri 20 Nov 2026), Hackathon 2026.",
        )
    ]
    stop = await dan.say("no more reminders")
    assert stop.strip() == "No more reminders. Say “turn on reminders” to have them back."
    await inbox.run(hours=48)  # Saturday 08:30 would have been the overdue nudge
    assert len(inbox.to("dan", "judge")) == 1
    shown = await dan.say("what do you send me?")
    assert "• due reminders: off (1 day(s) before, at 08:30) and one nudge when overdue" in shown
    audit = [r for r in await app.db.audit.rows() if r.tool == "notify_settings"]
    assert [r.text for r in audit] == ["remind me at 8:30", "no more reminders"]


async def test_a_person_not_yet_linked_is_told_nothing_is_sent_before_linking(app: App, chat) -> None:
    screen = await chat("zoe").say("no more reminders")
    assert " ".join(screen.split()) == (
        "I send nothing to anyone until they've linked their Notion account, so there's nothing to change. "
        'Ask me about your tasks ("show me my tasks") to link it.'
    )


async def test_the_morning_digest_on_a_full_day_and_nothing_on_an_empty_one(
    app: App, clock: Clock, chat
) -> None:
    dan = chat("dan")
    assert (await dan.say("turn on the morning digest")).strip() == "Done: the morning digest is on."
    inbox = await inbox_for(app, clock)
    clock.advance(hours=22)  # Thu 08:00
    await inbox.tick()
    [digest] = [out for _, who, out in inbox.log if who == "dan" and out.kind == "digest"]
    assert digest.text.splitlines() == [
        "Good morning! Your tasks for Thu 19 Nov 2026:",
        "Due today:",
        "• **Send out recruitment forms** — due today (Thu 19 Nov 2026), Recruitment Drive",
        "This week:",
        "• **Send out judge sign-up forms** — due Mon 23 Nov 2026, Hackathon 2026",
        'Say "no more digest" to stop it.',
    ]
    assert digest.buttons == []
    for title in ("Send out recruitment forms", "Send out judge sign-up forms"):
        await app.store.update_task(app.emulator.task_by_title(title)["id"], TaskChanges(status="Done"))
    await inbox.run(hours=24 * 3)  # Fri, Sat, Sun mornings: nothing left, so nothing sent
    digests = [f"{at:%a %H:%M}" for at, who, out in inbox.log if who == "dan" and out.kind == "digest"]
    assert digests == ["Thu 08:00"]


async def test_a_restart_inside_the_window_sends_nothing_again(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/darcy.db"
    first = await two_apps_on(url, clock)
    inbox = await inbox_for(first, clock)
    await inbox.tick()  # Wed 10:00: Wednesday 08:00's reminders
    assert [who for _, who, _ in inbox.log].count("dan") == 1
    await first.aclose()
    clock.advance(hours=1)  # back at 11:00: those reminders are still inside the catch-up window
    second = await two_apps_on(url, clock)
    try:
        again = await inbox_for(second, clock)
        await again.tick()
        assert again.log == []
    finally:
        await second.aclose()


async def test_a_leads_weekly_channel_digest_on_a_full_and_an_empty_week(
    app: App, clock: Clock, chat
) -> None:
    refused = await chat("dan").say("digest Hackathon 2026 weekly on Monday 9am here")
    assert refused.strip() == "Only Hackathon 2026's lead (Carol Jensen) or an admin can set its digest."
    carol, alice = chat("carol"), chat("alice")
    assert (await carol.say("digest Hackathon 2026 weekly on Monday 9am here")).startswith(
        "Every Monday at 09:00 I'll post Hackathon 2026's week here"
    )
    await alice.say("digest O-Week 2026 weekly on Monday 9am here")  # everything long finished
    inbox = await inbox_for(app, clock)
    await inbox.tick()
    judges = app.emulator.task_by_title("Recruit judges")
    await app.store.update_task(judges["id"], TaskChanges(status="Done"))  # finished on Wednesday
    await inbox.run(hours=24 * 5)  # to Mon 23 Nov 10:00
    posts = [(at, where, out) for at, where, out in inbox.log if out.kind == "channel_digest"]
    assert [(f"{at:%a %H:%M}", where) for at, where, _ in posts] == [("Mon 09:00", "terminal:carol")]
    assert posts[0][2].text.splitlines() == [
        "**Hackathon 2026**, the week from Mon 23 Nov 2026:",
        "Overdue:",
        "• **Confirm venue booking** — was due Thu 19 Nov 2026 (Carol Jensen)",
        "• **Set up Devpost page** — was due Sun 22 Nov 2026 (Tom Becker)",
        "Due this week:",
        "• **Send out judge sign-up forms** — due today (Mon 23 Nov 2026) (Dan Whitfield)",
        "• **Order catering** — due Thu 26 Nov 2026 (Eve Rossi)",
        "• **Print name badges** — due Fri 27 Nov 2026 (Hiro Sato)",
        "• **Write hackathon problem statements** — due Sat 28 Nov 2026 (Farid Haddad and Tom Becker)",
        "Finished last week:",
        "• **Recruit judges** (Carol Jensen)",
        'Say "no more digest for Hackathon 2026 here" to stop it.',
    ]
    assert (
        await carol.say("no more digest for Hackathon 2026 here")
    ).strip() == "No more Hackathon 2026 digest here."
    await inbox.run(hours=24 * 7)
    assert len([1 for *_, out in inbox.log if out.kind == "channel_digest"]) == 1


async def test_across_octobers_daylight_saving_change_reminders_keep_the_local_morning(
    app: App, clock: Clock
) -> None:
    from core.domain import NewTask

    clock.now = datetime.fromisoformat("2026-10-02T10:00:00+10:00")  # Fri; clocks go forward Sun 4 Oct 02:00
    inbox = await inbox_for(app, clock)
    projects = {p.name: p.id for p in await app.store.list_projects()}
    await app.store.create_task(
        NewTask(
            title="Book DST party",
            assignee_ids=[HIRO],
            project_id=projects["Workshops"],
            due=date(2026, 10, 5),
        )
    )  # made in Notion directly
    await inbox.run(hours=24 * 4)  # to Tue 6 Oct 10:00 (AEDT)
    melbourne = ZoneInfo("Australia/Melbourne")
    sent = [
        (at.astimezone(melbourne).isoformat(), out.text.splitlines()[0])
        for at, who, out in inbox.log
        if who == "hiro"
    ]
    assert sent == [
        (
            "2026-10-02T12:00:00+10:00",
            "Someone in Notion gave you a task: **Book DST party** — due Mon 5 Oct 2026, Workshops.",
        ),
        (
            "2026-10-04T08:00:00+11:00",
            "Reminder: **Book DST party** — due tomorrow (Mon 5 Oct 2026), Workshops.",
        ),
        (
            "2026-10-06T08:00:00+11:00",
            "Overdue: **Book DST party** — was due Mon 5 Oct 2026, Workshops, and it isn't done yet.",
        ),
    ]


async def test_notices_a_month_old_are_forgotten_at_start(app: App, clock: Clock) -> None:
    inbox = await inbox_for(app, clock)
    await inbox.tick()
    ledger = app.notifications.ledger
    assert len(await ledger.known(clock() - timedelta(days=2))) == len(inbox.log) > 0
    clock.advance(days=29)
    await app.notifications.look()
    assert len(await ledger.known(clock() - timedelta(days=40))) == len(inbox.log)  # kept: under 30 days
    clock.advance(days=2)
    await app.notifications.look()
    assert await ledger.known(clock() - timedelta(days=40)) == set()


async def test_a_tick_on_a_built_index_asks_notion_one_query_and_the_notice_still_arrives(
    app: App, clock: Clock, inbox: Inbox
) -> None:
    await inbox.tick()  # Wed 10:00: the index built, the users and projects read (the store's caches)
    task = app.emulator.task_by_title("Order catering")
    await app.store.update_task(task["id"], TaskChanges(assignee_ids=[EVE, HIRO]))  # in Notion directly
    asked = []
    for minutes in (1, 3):  # seen; then told, once nothing more came for a couple of minutes
        clock.advance(minutes=minutes)
        before = len(app.emulator.request_log)
        await inbox.tick()
        asked.append(app.emulator.request_log[before:])
    assert [len(requests) for requests in asked] == [1, 1]
    assert all(path.endswith("/query") for requests in asked for _, path in requests)  # edited since
    assert inbox.to("hiro", "Order catering") == [
        (
            "Wed 10:04",
            "Someone in Notion gave you a task: **Order catering** — due Thu 26 Nov 2026, Hackathon 2026.",
        )
    ]


async def test_a_tick_reads_the_boards_history_only_for_what_changed(
    app: App, clock: Clock, inbox: Inbox
) -> None:
    from sqlalchemy import event

    await inbox.tick()
    statements: list[str] = []
    engine = app.db.engine.sync_engine

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        clock.advance(minutes=1)
        await inbox.tick()  # nothing changed on the board
        quiet = [s for s in statements if "notice_assignment" in s or "notice_finished" in s]
        task = app.emulator.task_by_title("Order catering")
        await app.store.update_task(task["id"], TaskChanges(assignee_ids=[EVE, HIRO]))
        statements.clear()
        clock.advance(minutes=1)
        await inbox.tick()  # one assignment appeared: written, and read back by its key
        changed = [s for s in statements if "notice_assignment" in s]
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert quiet == []
    assert len(changed) == 2 and changed[0].startswith("INSERT") and "WHERE" in changed[1]
