"""The notification planner, pure: a board, people, what was seen and a clock → notices.
Times are the person's local wall-clock times, across Melbourne's daylight-saving changes
(2026: clocks go back on Sun 5 April, forward on Sun 4 October)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.config import NotificationSettings
from core.domain import Member, Project, Task
from core.notify import render
from core.notify.planner import Kind, Recipient, Rules, Seen, plan
from core.notify.prefs import Prefs
from core.notify.schedule import at_local, quiet_until

MEL = ZoneInfo("Australia/Melbourne")
RULES = Rules()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MEL)


def person(pid: str = "u1", **prefs: object) -> dict[str, Recipient]:
    member = Member(notion_user_id=pid, name=f"Person {pid}", handle=pid)
    settings = Prefs.effective(NotificationSettings(), "Australia/Melbourne", prefs)
    return {pid: Recipient(member, settings, "slack", f"U-{pid}")}


def task(
    due: date | None, *, tid: str = "t1", who: tuple[str, ...] = ("u1",), status: str = "Not Started"
) -> Task:
    return Task(
        id=tid, title=f"Task {tid}", status=status, assignee_ids=list(who), due=due, project_ids=["p1"]
    )


def kinds(tasks: list[Task], now: datetime, people=None, seen=None, rules: Rules = RULES) -> list[str]:
    return [n.key for n in plan(tasks, people or person(), seen or {}, now, rules)]


def test_the_reminder_comes_the_morning_before_and_the_nudge_the_morning_after() -> None:
    board = [task(date(2026, 11, 20))]
    assert kinds(board, local("2026-11-19T07:59")) == []
    assert kinds(board, local("2026-11-19T08:00")) == ["due:t1:u1:2026-11-20"]
    assert kinds(board, local("2026-11-19T13:59")) == ["due:t1:u1:2026-11-20"]  # the same key: claimed once
    assert kinds(board, local("2026-11-20T12:00")) == []  # due day: nothing new
    assert kinds(board, local("2026-11-21T08:00")) == ["overdue:t1:u1:2026-11-20"]
    assert kinds(board, local("2026-11-22T08:00")) == []  # one nudge, not one a day


def test_a_reminder_missed_by_more_than_the_catch_up_window_is_dropped_not_sent_late() -> None:
    board = [task(date(2026, 11, 20))]
    assert kinds(board, local("2026-11-19T08:00") + timedelta(hours=5, minutes=59)) == [
        "due:t1:u1:2026-11-20"
    ]
    assert kinds(board, local("2026-11-19T08:00") + timedelta(hours=6, minutes=1)) == []


def test_reminders_fire_at_local_morning_across_both_daylight_saving_changes() -> None:
    # October: Sun 4 Oct 2026 02:00 → 03:00. A task due Mon 5 Oct is reminded Sun 4 Oct 08:00 AEDT.
    october = [task(date(2026, 10, 5))]
    fire = plan(october, person(), {}, local("2026-10-04T08:00"), RULES)[0].fire_at
    assert fire == datetime(2026, 10, 3, 21, 0, tzinfo=UTC)  # UTC+11 now
    assert fire.astimezone(MEL).hour == 8
    assert kinds(october, local("2026-10-04T07:59")) == []
    # the day before the change, 08:00 is UTC+10
    before = plan([task(date(2026, 10, 4))], person(), {}, local("2026-10-03T08:00"), RULES)[0]
    assert before.fire_at == datetime(2026, 10, 2, 22, 0, tzinfo=UTC)
    # April: Sun 5 Apr 2026 03:00 → 02:00. Sunday 08:00 is UTC+10 again.
    april = plan([task(date(2026, 4, 6))], person(), {}, local("2026-04-05T08:00"), RULES)[0]
    assert april.fire_at == datetime(2026, 4, 4, 22, 0, tzinfo=UTC)
    assert kinds([task(date(2026, 4, 6))], local("2026-04-05T07:59")) == []


def test_a_local_time_skipped_by_daylight_saving_lands_just_after_the_jump() -> None:
    assert at_local(date(2026, 10, 4), "02:30", MEL).astimezone(MEL).strftime("%H:%M") == "03:30"
    # and the hour that happens twice (April) is its first
    assert at_local(date(2026, 4, 5), "02:30", MEL) == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)


def test_a_person_in_another_timezone_is_reminded_at_their_own_morning() -> None:
    london = person(timezone="Europe/London")
    board = [task(date(2026, 11, 20))]
    assert kinds(board, datetime(2026, 11, 19, 7, 59, tzinfo=UTC), london) == []
    assert kinds(board, datetime(2026, 11, 19, 8, 0, tzinfo=UTC), london) == ["due:t1:u1:2026-11-20"]


def test_quiet_hours_hold_a_reminder_until_they_end() -> None:
    early = person(morning="07:00", quiet_start="22:00", quiet_end="08:00")
    board = [task(date(2026, 11, 20))]
    assert kinds(board, local("2026-11-19T07:30"), early) == []
    assert kinds(board, local("2026-11-19T08:00"), early) == ["due:t1:u1:2026-11-20"]
    assert quiet_until(local("2026-11-19T23:00"), "22:00", "08:00", MEL) == local("2026-11-20T08:00")
    assert quiet_until(local("2026-11-19T12:00"), "22:00", "08:00", MEL) is None


def test_the_reminder_day_and_time_are_the_persons_choice() -> None:
    board = [task(date(2026, 11, 20))]
    chosen = person(morning="08:30", days_before=2)
    assert kinds(board, local("2026-11-18T08:29"), chosen) == []
    assert kinds(board, local("2026-11-18T08:30"), chosen) == ["due:t1:u1:2026-11-20"]


def test_nothing_for_finished_tasks_unlinked_people_or_who_turned_reminders_off() -> None:
    now = local("2026-11-19T08:00")
    assert kinds([task(date(2026, 11, 20), status="Done")], now) == []
    assert kinds([task(date(2026, 11, 20), who=("someone-else",))], now) == []
    assert kinds([task(date(2026, 11, 20))], now, person(reminders=False)) == []
    assert kinds([task(None)], now) == []


def seen(at: datetime, actor: str | None = None, notified: bool = False) -> Seen:
    return Seen(at, actor, notified)


def test_assignments_within_a_couple_of_minutes_arrive_as_one_message() -> None:
    board = [task(date(2026, 11, 27), tid="a"), task(date(2026, 11, 28), tid="b")]
    t0 = local("2026-11-18T10:00")
    rows = {("a", "u1"): seen(t0, "carol"), ("b", "u1"): seen(t0 + timedelta(minutes=1), "carol")}
    assert kinds(board, t0 + timedelta(minutes=2), seen=rows) == []  # the second one is a minute old
    notices = plan(board, person(), rows, t0 + timedelta(minutes=3), RULES)
    assert len(notices) == 1 and notices[0].kind is Kind.ASSIGNED
    assert [t.id for t in notices[0].tasks] == ["a", "b"] and notices[0].actors == ["carol"]


def test_never_for_your_own_actions_nor_twice() -> None:
    board = [task(date(2026, 11, 27))]
    t0 = local("2026-11-18T10:00")
    assert kinds(board, t0 + timedelta(minutes=5), seen={("t1", "u1"): seen(t0, actor="u1")}) == []
    assert kinds(board, t0 + timedelta(minutes=5), seen={("t1", "u1"): seen(t0, notified=True)}) == []
    # made in Notion directly (no actor): told
    assert kinds(board, t0 + timedelta(minutes=5), seen={("t1", "u1"): seen(t0)})[0].startswith(
        "assigned:u1:t1"
    )


def test_a_task_assigned_after_its_reminder_time_gets_no_separate_reminder() -> None:
    board = [task(date(2026, 11, 19))]
    now = local("2026-11-18T10:05")
    rows = {("t1", "u1"): seen(local("2026-11-18T10:00"), "carol")}
    assert [n.kind for n in plan(board, person(), rows, now, RULES)] == [Kind.ASSIGNED]


def test_the_morning_digest_skips_empty_days_and_lists_overdue_today_and_this_week() -> None:
    now = local("2026-11-19T08:00")
    on = person(digest=True, reminders=False)
    assert kinds([task(date(2026, 12, 20))], now, on) == []  # nothing within the week: no message
    board = [
        task(date(2026, 11, 17), tid="late"),
        task(date(2026, 11, 19), tid="today"),
        task(date(2026, 11, 24), tid="week"),
        task(date(2026, 12, 20), tid="later"),
    ]
    [digest] = plan(board, on, {}, now, RULES)
    assert digest.key == "digest:u1:2026-11-19"
    words = render.text(digest, date(2026, 11, 19), {"p1": Project(id="p1", name="Hackathon 2026")}, {})
    assert words.splitlines() == [
        "Good morning! Your tasks for Thu 19 Nov 2026:",
        "Overdue:",
        "• **Task late** — was due Tue 17 Nov 2026, Hackathon 2026",
        "Due today:",
        "• **Task today** — due today (Thu 19 Nov 2026), Hackathon 2026",
        "This week:",
        "• **Task week** — due Tue 24 Nov 2026, Hackathon 2026",
        'Say "no more digest" to stop it.',
    ]


def test_every_message_says_how_to_turn_it_off() -> None:
    board = [task(date(2026, 11, 20))]
    [reminder] = plan(board, person(), {}, local("2026-11-19T08:00"), RULES)
    words = render.text(reminder, date(2026, 11, 19), {}, {})
    assert (
        words
        == 'Reminder: **Task t1** — due tomorrow (Fri 20 Nov 2026).\nSay "no more reminders" to stop these.'
    )


def test_an_assignment_made_at_night_waits_for_the_end_of_quiet_hours() -> None:
    board = [task(date(2026, 11, 27))]
    night = person(quiet_start="22:00", quiet_end="08:00")
    rows = {("t1", "u1"): seen(local("2026-11-18T23:00"), "carol")}
    assert kinds(board, local("2026-11-19T07:59"), night, rows) == []
    [notice] = plan(board, night, rows, local("2026-11-19T08:00"), RULES)
    assert notice.kind is Kind.ASSIGNED and notice.fire_at == local("2026-11-19T08:00")
