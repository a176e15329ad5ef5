"""The notification planner: pure. The board, the people, what was seen and the clock → notices.

Every notice has a unique key — (kind, task, person, due window) — that the service claims in
the database before sending, so the planner may be asked again and again (each tick, each
replica, after a restart) and what it returns is sent once. It only returns notices whose time
came within the catch-up window: a reminder that fell due while Darcy was down is sent late
by at most that much, and an older one is dropped rather than sent in a burst.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.domain import Member, Task
from core.notify.prefs import Prefs
from core.notify.schedule import at_local, local_day, outside_quiet


class Kind(StrEnum):
    ASSIGNED = "assigned"
    DUE = "due"
    OVERDUE = "overdue"
    SNOOZED = "snoozed"
    DIGEST = "digest"
    CHANNEL_DIGEST = "channel_digest"


@dataclass(frozen=True)
class Recipient:
    """A linked person: who they are, their settings, and where a direct message reaches them."""

    member: Member
    prefs: Prefs
    platform: str
    chat_id: str


@dataclass(frozen=True)
class Seen:
    """An assignment (task, person) as the ledger knows it: when it was first seen, who made it
    (a Darcy write by someone; None when it was made in Notion directly) and whether it was told."""

    seen_at: datetime
    actor: str | None = None
    notified: bool = False


@dataclass(frozen=True)
class ChannelDigest:
    """A project's weekly digest in a channel, at a weekday and local time of the workspace."""

    id: str
    project_id: str
    project_name: str
    platform: str
    channel_id: str
    weekday: int  # 0 = Monday
    at: str
    timezone: str


@dataclass
class Notice:
    key: str
    kind: Kind
    person: str  # Notion user id
    fire_at: datetime
    tasks: list[Task]
    actors: list[str] = field(default_factory=list)  # who assigned (Notion user ids); empty: in Notion
    late: bool = False  # its time is past the catch-up window: to be dropped, not sent
    groups: list[tuple[str, list[Task]]] = field(default_factory=list)  # a channel digest's sections
    channel: ChannelDigest | None = None


@dataclass(frozen=True)
class Rules:
    """The admin's part of the plan (core.config.NotificationSettings)."""

    catch_up: timedelta = timedelta(hours=6)
    batch: timedelta = timedelta(minutes=2)
    finished: frozenset[str] = frozenset({"Done", "Archive"})


def plan(
    tasks: Iterable[Task],
    recipients: Mapping[str, Recipient],
    seen: Mapping[tuple[str, str], Seen],
    now: datetime,
    rules: Rules,
) -> list[Notice]:
    """Everything due to be sent at `now` (claims decide what actually is)."""
    tasks = list(tasks)
    return [
        *assignment_notices(tasks, recipients, seen, now, rules),
        *due_notices(tasks, recipients, seen, now, rules),
        *digest_notices(tasks, recipients, now, rules),
    ]


def due_notices(
    tasks: list[Task],
    recipients: Mapping[str, Recipient],
    seen: Mapping[tuple[str, str], Seen],
    now: datetime,
    rules: Rules,
) -> list[Notice]:
    """The reminder before the due day (at the person's morning time) and one overdue nudge (the
    morning after the due day), moved out of quiet hours, if their time came within the window."""
    notices: list[Notice] = []
    for task in tasks:
        if task.due is None or task.status in rules.finished:
            continue
        for person in task.assignee_ids:
            who = recipients.get(person)
            if who is None or not who.prefs.reminders:
                continue
            p = who.prefs
            for kind, day in (
                (Kind.DUE, task.due - timedelta(days=p.days_before)),
                (Kind.OVERDUE, task.due + timedelta(days=1)),
            ):
                fire = outside_quiet(at_local(day, p.morning, p.tz), p.quiet_start, p.quiet_end, p.tz)
                if not (now - rules.catch_up < fire <= now):
                    continue
                told = seen.get((task.id, person))
                if kind is Kind.DUE and told is not None and told.seen_at > fire:
                    continue  # assigned after the reminder's time: the assignment message said when
                key = f"{kind}:{task.id}:{person}:{task.due.isoformat()}"
                notices.append(Notice(key, kind, person, fire, [task]))
    return notices


def assignment_notices(
    tasks: list[Task],
    recipients: Mapping[str, Recipient],
    seen: Mapping[tuple[str, str], Seen],
    now: datetime,
    rules: Rules,
) -> list[Notice]:
    """One message per person for the assignments not yet told, once none came for `batch`
    (several changes within a couple of minutes arrive together); never for one's own."""
    by_id = {t.id: t for t in tasks}
    waiting: dict[str, list[tuple[Task, Seen]]] = defaultdict(list)
    for (task_id, person), row in seen.items():
        task = by_id.get(task_id)
        if row.notified or task is None or row.actor == person or task.status in rules.finished:
            continue
        who = recipients.get(person)
        if who is None or not who.prefs.assigned or person not in task.assignee_ids:
            continue
        waiting[person].append((task, row))
    notices = []
    for person, rows in waiting.items():
        p = recipients[person].prefs
        latest = max(row.seen_at for _, row in rows)
        fire = outside_quiet(latest + rules.batch, p.quiet_start, p.quiet_end, p.tz)
        if fire > now:
            continue
        rows.sort(key=lambda r: (r[1].seen_at, r[0].title))
        ids = ",".join(sorted(t.id for t, _ in rows))
        actors = list(dict.fromkeys(r.actor for _, r in rows if r.actor))
        notices.append(
            Notice(
                f"{Kind.ASSIGNED}:{person}:{ids}:{latest.isoformat()}",
                Kind.ASSIGNED,
                person,
                fire,
                [t for t, _ in rows],
                actors,
                late=now - fire > rules.catch_up,
            )
        )
    return notices


def digest_notices(
    tasks: list[Task], recipients: Mapping[str, Recipient], now: datetime, rules: Rules
) -> list[Notice]:
    """A morning digest for those who turned it on: overdue, due today, due this week (the next
    seven days). A day with nothing in it sends nothing."""
    notices = []
    for person, who in recipients.items():
        p = who.prefs
        if not p.digest:
            continue
        today = local_day(now, p.tz)
        fire = outside_quiet(at_local(today, p.morning, p.tz), p.quiet_start, p.quiet_end, p.tz)
        if not (now - rules.catch_up < fire <= now):
            continue
        mine = [
            t
            for t in tasks
            if person in t.assignee_ids
            and t.due is not None
            and t.status not in rules.finished
            and t.due <= today + timedelta(days=7)
        ]
        if mine:
            mine.sort(key=lambda t: (t.due, t.title))
            notices.append(
                Notice(f"{Kind.DIGEST}:{person}:{today.isoformat()}", Kind.DIGEST, person, fire, mine)
            )
    return notices


def channel_digest_notices(
    tasks: list[Task],
    digests: Iterable[ChannelDigest],
    finished_at: Mapping[str, datetime],
    now: datetime,
    rules: Rules,
) -> list[Notice]:
    """Each project's weekly channel digest on its day: what is overdue, what is due in the
    seven days from it, and what was finished in the seven days before. A week with none of
    these sends nothing."""
    notices = []
    for digest in digests:
        tz = ZoneInfo(digest.timezone)
        today = local_day(now, tz)
        day = today - timedelta(days=(today.weekday() - digest.weekday) % 7)
        fire = at_local(day, digest.at, tz)
        if not (now - rules.catch_up < fire <= now):
            continue
        mine = [t for t in tasks if digest.project_id in t.project_ids]
        open_ = [t for t in mine if t.status not in rules.finished and t.due is not None]
        overdue = sorted((t for t in open_ if t.due < day), key=lambda t: (t.due, t.title))  # type: ignore[operator]
        week = sorted(
            (t for t in open_ if day <= t.due < day + timedelta(days=7)),  # type: ignore[operator]
            key=lambda t: (t.due, t.title),
        )
        done = sorted(
            (
                t
                for t in mine
                if t.status in rules.finished
                and fire - timedelta(days=7) <= finished_at.get(t.id, fire) < fire
            ),
            key=lambda t: t.title,
        )
        groups = [
            (name, group)
            for name, group in (("Overdue", overdue), ("Due this week", week), ("Finished last week", done))
            if group
        ]
        if groups:
            notices.append(
                Notice(
                    f"{Kind.CHANNEL_DIGEST}:{digest.id}:{day.isoformat()}",
                    Kind.CHANNEL_DIGEST,
                    "",
                    fire,
                    [t for _, group in groups for t in group],
                    groups=groups,
                    channel=digest,
                )
            )
    return notices
