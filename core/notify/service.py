"""A tick of the notification service: read the board, plan, claim, deliver, audit.

Exactly once: each notice is claimed in the database under its unique key before it is sent
(the pattern of pending actions), so two replicas ticking together, or a restart ticking again,
send nothing twice; a crash between the claim and the send loses that one notice rather than
repeating it. Delivery is never retried in a loop: a person who blocks direct messages (or left)
gets the notice as a mention in the project's channel when the config names one, else it is
dropped, and the audit log says which.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from core.config import NotificationSettings
from core.domain import Project, Task
from core.handlers.deps import Deps
from core.messages import ActionExecuted, NoticeClick, new_id
from core.notify import render
from core.notify.changes import BASELINE, BoardHistory, record_write
from core.notify.planner import Kind, Notice, Recipient, Rules, channel_digest_notices, plan
from core.notify.ports import Button, Delivery, NoticeLedger, NoticeRecord, Notifier, Outgoing
from core.notify.prefs import Prefs
from core.notify.schedule import at_local, local_day, outside_quiet
from core.pending import PendingAction, PendingKind, args_hash
from core.replies import Reply
from core.wording import day, em

log = structlog.get_logger("darcy.notify")
WRITES = ("create_task", "update_task", "update_tasks")
REMINDERS = (Kind.DUE, Kind.OVERDUE, Kind.SNOOZED)
KEEP = timedelta(days=30)  # notices kept this long: far beyond the catch-up window their keys guard


class NotificationService:
    def __init__(self, deps: Deps, ledger: NoticeLedger, notifiers: list[Notifier] | None = None) -> None:
        self.deps, self.ledger = deps, ledger
        self.history = BoardHistory(ledger)
        self.notifiers: dict[str, Notifier] = {n.platform: n for n in notifiers or []}

    def add_notifier(self, notifier: Notifier) -> None:
        self.notifiers[notifier.platform] = notifier

    @property
    def config(self) -> NotificationSettings:
        return self.deps.settings.notifications

    @property
    def rules(self) -> Rules:
        tasks = self.deps.settings.notion.tasks
        return Rules(
            catch_up=timedelta(hours=self.config.catch_up_hours),
            batch=timedelta(minutes=self.config.batch_minutes),
            finished=frozenset({tasks.done_status, tasks.archive_status}),
        )

    # ---- who ------------------------------------------------------------------------------

    async def prefs_of(self, person: str) -> Prefs:
        own = (await self.ledger.prefs()).get(person)
        return Prefs.effective(self.config, self.deps.settings.workspace.timezone, own)

    async def recipients(self, *, reachable: bool = True) -> dict[str, Recipient]:
        """Linked people, each at the first platform of the config's order they linked (and,
        when `reachable`, that has a notifier here). Nobody unlinked is ever a recipient."""
        chats: dict[str, dict[str, str]] = defaultdict(dict)
        for platform, chat_id, person in await self.ledger.linked():
            chats[person][platform] = chat_id
        stored = await self.ledger.prefs()
        zone = self.deps.settings.workspace.timezone
        found: dict[str, Recipient] = {}
        for member in await self.deps.directory.members():
            links = chats.get(member.notion_user_id, {})
            usable = [
                p for p in self.config.platforms if p in links and (p in self.notifiers or not reachable)
            ]
            if usable:
                prefs = Prefs.effective(self.config, zone, stored.get(member.notion_user_id))
                found[member.notion_user_id] = Recipient(member, prefs, usable[0], links[usable[0]])
        return found

    # ---- the tick -------------------------------------------------------------------------

    async def look(self) -> None:
        """At start: record the board as it is (only what changes after is news to anyone) and
        forget notices older than KEEP (the audit log keeps what happened to them)."""
        now = self.deps.clock()
        tasks = await self.deps.directory.tasks(max_age=0)
        await self.history.observe(tasks, now, self.rules.finished)
        if forgotten := await self.ledger.prune(now - KEEP):
            log.info("notices_forgotten", rows=forgotten)

    async def tick(self) -> list[Outgoing]:
        """What is due now, sent once; what this replica sent."""
        if not self.config.enabled or not self.notifiers:
            return []
        deps, now = self.deps, self.deps.clock()
        tasks = await deps.directory.tasks(max_age=0)
        seen = await self.history.observe(tasks, now, self.rules.finished)
        recipients = await self.recipients()
        context = await self._context()
        sent: list[Outgoing] = []
        known = await self.ledger.known(now - self.rules.catch_up - self.rules.batch)
        for notice in plan(tasks, recipients, seen, now, self.rules):
            if notice.key in known:  # claimed already (here, on another replica, before a restart)
                continue
            if (out := await self._deliver(notice, recipients[notice.person], now, context)) is not None:
                sent.append(out)
        sent += await self._channel_digests(tasks, now, known, context)
        by_id = {t.id: t for t in tasks}
        for record in await self.ledger.take_scheduled(now):
            who = recipients.get(record.person)
            task = by_id.get(record.payload.get("tasks", [""])[0])
            if who is None or task is None or task.status in self.rules.finished:
                await self.ledger.settle(record.id, "dropped")
                continue
            notice = Notice(record.key, Kind.SNOOZED, record.person, record.fire_at, [task])
            notice.late = now - record.fire_at > self.rules.catch_up
            if (out := await self._deliver(notice, who, now, context, claimed=record)) is not None:
                sent.append(out)
        return sent

    async def _context(self) -> tuple[dict[str, Project], dict[str, str]]:
        projects = {p.id: p for p in await self.deps.directory.projects()}
        names = {m.notion_user_id: m.name for m in await self.deps.directory.members()}
        return projects, names

    async def _deliver(
        self,
        notice: Notice,
        who: Recipient,
        now: datetime,
        context: tuple[dict[str, Project], dict[str, str]],
        claimed: NoticeRecord | None = None,
    ) -> Outgoing | None:
        if notice.kind is Kind.ASSIGNED:
            taken = set(await self.history.take_assignments(notice.person, [t.id for t in notice.tasks]))
            notice = replace(notice, tasks=[t for t in notice.tasks if t.id in taken])
            if not notice.tasks:
                return None  # told by another replica (or tick) a moment ago
        record = claimed or NoticeRecord(
            id=new_id(),
            key=notice.key,
            kind=notice.kind,
            person=notice.person,
            platform=who.platform,
            chat_id=who.chat_id,
            payload={"tasks": [t.id for t in notice.tasks]},
            state="claimed",
            fire_at=notice.fire_at,
        )
        if claimed is None and not await self.ledger.claim(record):
            return None
        if notice.late:  # its time passed while Darcy was down: not sent late, in a burst
            await self._settle(record, notice, "dropped", now, reason="too late after a restart")
            return None
        out = await self.compose(notice, who, record.id, now, context)
        delivery = await self.notifiers[who.platform].direct(who.chat_id, out)
        if delivery is Delivery.SENT:
            await self._settle(record, notice, "sent", now)
            return out
        channel = self._channel(notice.tasks, who.platform, context[0])
        if channel and await self.notifiers[who.platform].mention(channel, who.chat_id, out) is Delivery.SENT:
            await self._settle(
                record, notice, "fallback", now, reason=f"direct message {delivery}", channel=channel
            )
            return out
        await self._settle(record, notice, "dropped", now, reason=f"direct message {delivery}, no channel")
        return None

    async def _channel_digests(
        self,
        tasks: list[Task],
        now: datetime,
        known: set[str],
        context: tuple[dict[str, Project], dict[str, str]],
    ) -> list[Outgoing]:
        """Each project's weekly digest, in the channel a lead chose; claimed like any notice."""
        digests = await self.ledger.digests(self.deps.settings.workspace.timezone)
        if not digests:
            return []
        sent = []
        finished_at = await self.ledger.finished()
        for notice in channel_digest_notices(tasks, digests, finished_at, now, self.rules):
            where = notice.channel
            notifier = self.notifiers.get(where.platform) if where else None
            if where is None or notifier is None or notice.key in known:
                continue
            record = NoticeRecord(
                id=new_id(),
                key=notice.key,
                kind=notice.kind,
                person="",
                platform=where.platform,
                chat_id=where.channel_id,
                payload={"tasks": [t.id for t in notice.tasks], "project": where.project_id},
                state="claimed",
                fire_at=notice.fire_at,
            )
            if not await self.ledger.claim(record):
                continue
            today = local_day(now, ZoneInfo(where.timezone))
            out = Outgoing(notice_id=record.id, kind=notice.kind, text=render.text(notice, today, *context))
            delivery = await notifier.post(where.channel_id, out)
            await self._settle(record, notice, "sent" if delivery is Delivery.SENT else "dropped", now)
            if delivery is Delivery.SENT:
                sent.append(out)
        return sent

    def _channel(self, tasks: list[Task], platform: str, projects: dict[str, Project]) -> str | None:
        for task in tasks:
            for project_id in task.project_ids:
                if project_id in projects:
                    channel = self.config.channels.get(projects[project_id].name, {}).get(platform)
                    if channel:
                        return channel
        return None

    async def _settle(
        self, record: NoticeRecord, notice: Notice, state: str, now: datetime, **why: str
    ) -> None:
        await self.ledger.settle(record.id, state)
        await self.deps.audit.record(
            at=now,
            correlation_id=record.id,
            platform=record.platform,
            user_id=record.chat_id,
            notion_user_id=record.person,
            text=record.key,
            tool="notify",
            args={"kind": str(notice.kind), "tasks": [t.id for t in notice.tasks], **why},
            decision=f"notice_{state}",
            page_id=notice.tasks[0].id if notice.tasks else None,
        )
        log.info("notice", kind=str(notice.kind), state=state, platform=record.platform, **why)

    async def compose(
        self,
        notice: Notice,
        who: Recipient,
        notice_id: str,
        now: datetime,
        context: tuple[dict[str, Project], dict[str, str]],
        *,
        dry_run: bool = False,
    ) -> Outgoing:
        """The words and the buttons. Done is a pending action of that person's: its click takes
        the path of any confirmation (claim, re-check, permission, execute once, audit)."""
        today = local_day(now, who.prefs.tz)
        text = render.text(notice, today, *context)
        buttons: list[Button] = []
        first = notice.tasks[0]
        soon = first.due is not None and first.due <= today + timedelta(days=self.config.due_soon_days)
        if notice.kind in REMINDERS or (notice.kind is Kind.ASSIGNED and len(notice.tasks) == 1 and soon):
            pending = "preview" if dry_run else await self._done_action(first, who, now)
            buttons.append(Button(verb="done", label="Done", value=pending))
        if notice.kind in REMINDERS:
            buttons.append(Button(verb="snooze", label="Snooze 1 day", value=notice_id))
        if notice.kind is Kind.ASSIGNED:
            buttons.append(Button(verb="gotit", label="Got it", value=notice_id))
        if len(notice.tasks) == 1 and first.url:
            buttons.append(Button(verb="open", label="Open in Notion", value=first.url))
        return Outgoing(notice_id=notice_id, kind=str(notice.kind), text=text, buttons=buttons)

    async def _done_action(self, task: Task, who: Recipient, now: datetime) -> str:
        done = self.deps.settings.notion.tasks.done_status
        resolved = {"task_id": task.id, "changes": {"status": done}, "seen": {"status": task.status}}
        action = PendingAction(
            id=new_id(),
            kind=PendingKind.CONFIRM,
            platform=who.platform,
            user_id=who.chat_id,
            channel_id="notice",
            tool="update_task",
            resolved=resolved,
            summary=f"mark {em(task.title)} as {done}",
            text=f"Done (a reminder's button): {task.title}",
            args_hash=args_hash("update_task", resolved),
            created_at=now,
            expires_at=now + timedelta(days=self.config.done_button_days),
            correlation_id=new_id(),
        )
        await self.deps.pending.add(action)
        return action.id

    # ---- clicks and events ----------------------------------------------------------------

    async def click(self, cmd: NoticeClick) -> Reply:
        record = await self.ledger.get(cmd.notice_id)
        if record is None or record.platform != cmd.platform:
            return Reply(text="I can't find that message any more.", decision="error", private=True)
        if record.chat_id != cmd.user_id:
            owner = await self.deps.directory.member(record.person)
            return Reply(
                text=f"Only {owner.name if owner else 'the person it was for'} can answer this.",
                decision="error",
                private=True,
            )
        if cmd.verb != "snooze":
            return Reply(
                text="Got it. I won't mention it again until it's due.", decision="noted", private=True
            )
        now, prefs = self.deps.clock(), await self.prefs_of(record.person)
        again = outside_quiet(now + timedelta(days=1), prefs.quiet_start, prefs.quiet_end, prefs.tz)
        snooze = record.model_copy(
            update={
                "id": new_id(),
                "key": f"{Kind.SNOOZED}:{record.payload['tasks'][0]}:{record.person}:{record.id}",
                "kind": str(Kind.SNOOZED),
                "state": "scheduled",
                "fire_at": again,
            }
        )
        if not await self.ledger.claim(snooze):
            return Reply(text="That's snoozed already.", decision="noted", private=True)
        shown = again.astimezone(prefs.tz)
        return Reply(
            text=f"Snoozed: I'll remind you again {day(shown.date())} at {shown:%H:%M}.",
            decision="noted",
            private=True,  # the reminder stays as it was; only its reader sees this
        )

    async def on_executed(self, event: ActionExecuted) -> None:
        """Darcy's own write: its assignments are recorded with who made it (never told to them)."""
        if event.tool not in WRITES or not event.page_id:
            return
        try:
            actor = await self.deps.identity.lookup(event.platform, event.user_id)
            task = await self.deps.directory.known_task(event.page_id)  # the store indexed it just now
            if actor and task:
                await record_write(self.ledger, task, actor, self.deps.clock())
        except Exception:  # a notice is never worth failing a write's reply
            log.exception("notice_write_not_recorded", page_id=event.page_id)

    # ---- preview --------------------------------------------------------------------------

    async def preview(self, person: str, on: date) -> list[Outgoing]:
        """What that person would receive on that day (their local day), sending and claiming nothing."""
        who = (await self.recipients(reachable=False)).get(person)
        if who is None:
            return []
        tz = who.prefs.tz
        start, end = at_local(on, "00:00", tz), at_local(on + timedelta(days=1), "00:00", tz)
        tasks = await self.deps.directory.tasks(max_age=0)
        seen = {k: v for k, v in (await self.ledger.assignments()).items() if k != BASELINE}
        rules = replace(self.rules, catch_up=end - start)
        context = await self._context()
        notices = [n for n in plan(tasks, {person: who}, seen, end - timedelta(microseconds=1), rules)]
        notices.sort(key=lambda n: n.fire_at)
        return [await self.compose(n, who, "preview", n.fire_at, context, dry_run=True) for n in notices]


async def run_ticks(service: NotificationService, seconds: float) -> None:
    """`darcy run`: look at the board once, then tick every `seconds` until cancelled. A failed
    tick (Notion or the database down) is logged and the next one tries again: claims make a
    tick safe to repeat, and the catch-up window bounds how late anything is sent."""
    import asyncio

    try:
        await service.look()
    except Exception:
        log.exception("notice_first_look_failed")
    while True:
        await asyncio.sleep(seconds)
        try:
            await service.tick()
        except Exception:
            log.exception("notice_tick_failed")
