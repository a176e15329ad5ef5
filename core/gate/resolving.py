"""The state of resolving one call: what is resolved so far, by name and by id.

Each tool's `resolve` (core/actions/) drives one `Resolving`: it turns the raw words into
members, projects, tasks, statuses and dates, asks (`NeedsAnswer`) when it cannot, and
checks permission on the write it describes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from core import resolve
from core.config import Settings
from core.dates import DateTooFar, resolve_date
from core.directory import Directory
from core.domain import Member, Project, Task
from core.gate.result import Decision, GateResult, NeedsAnswer, clarify
from core.identity import AuditLog, IdentityRepository
from core.observability import span
from core.permissions import Rule, Write, permit
from core.tools import ToolCall
from core.wording import day, join_names

T = TypeVar("T")
PICKED = "id:"  # a raw argument the person picked from a list: resolve by id, never by name
SHOWN_CHARS = 200  # of a long text (a description, a comment, a title) in a confirmation's summary
DETAILS_NOTE = "text cut short with “…”: the full text is under “Details”"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SHIFT = re.compile(r"^([+-])(\d{1,3})d$")  # "+7d": a week later than the date it moves


def shift_days(raw: object) -> int | None:
    """The days in a relative due date ("+7d" → 7, "-2d" → -2); None for any other form."""
    found = SHIFT.match(str(raw).strip())
    return None if found is None else int(found[2]) * (-1 if found[1] == "-" else 1)


class Resolving:
    def __init__(
        self,
        call: ToolCall,
        requester: Member | None,
        *,
        platform: str,
        chat_user_id: str,
        directory: Directory,
        settings: Settings,
        identity: IdentityRepository,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self.call, self.raw, self.requester = call, call.args, requester
        self.platform, self.chat_user_id = platform, chat_user_id
        self.directory, self.settings, self.identity, self.audit, self.clock = (
            directory,
            settings,
            identity,
            audit,
            clock,
        )
        self.statuses = settings.notion.tasks
        self.args: dict[str, Any] = {}
        self.resolved: dict[str, Any] = {}
        self.rule: str | None = None
        self.details: list[tuple[str, str]] = []  # (label, full text) of what the summary cut
        self._members: list[Member] | None = None
        self._projects: list[Project] | None = None
        self.began = time.monotonic()

    @property
    def member(self) -> Member:
        """The requester, who is linked: the gate asks everyone else to verify first."""
        assert self.requester is not None
        return self.requester

    async def steps(self, *steps: Callable[[], Awaitable[None]] | None) -> None:
        """Run every resolution step, so that whatever can be resolved is, even when
        another step cannot; then stop on the first that needs a question (a missing
        or unknown thing before an ambiguous one: a pick would not fix the former)."""
        stops: list[NeedsAnswer] = []
        with span("gate.resolve") as current:
            for step in steps:
                if step is None:
                    continue
                try:
                    await step()
                except NeedsAnswer as stop:
                    stops.append(stop)
            current.set_attribute("gate.unresolved", len(stops))
        if stops:
            stops.sort(key=lambda s: s.result.decision != Decision.CLARIFY)
            raise stops[0]

    def forget_members(self) -> None:
        self._members = None

    async def members(self) -> list[Member]:
        if self._members is None:
            self._members = await self.directory.members()
        return self._members

    async def projects(self) -> list[Project]:
        if self._projects is None:
            self._projects = await self.directory.projects()
        return self._projects

    async def person(self, raw: str, arg: str) -> Member:
        members = await self.members()
        if raw.startswith(PICKED):
            return _by_id(members, raw, lambda m: m.notion_user_id)
        found = resolve.resolve_person(raw, members, self.requester, self.platform)
        if found.value is not None:
            return found.value
        if found.candidates:
            raise _choose(
                arg,
                raw,
                [(m.notion_user_id, m.name) for m in found.candidates],
                f"Who do you mean by “{raw}”?",
            )
        raise clarify(_unknown("anyone called", raw, found.suggestions))

    async def project(self, raw: str) -> Project:
        projects = await self.projects()
        if raw.startswith(PICKED):
            return _by_id(projects, raw, lambda p: p.id)
        found = resolve.resolve_project(raw, projects)
        if found.value is not None:
            return found.value
        if found.candidates:
            raise _choose(
                "project",
                raw,
                [(p.id, p.name) for p in found.candidates],
                f"Which project do you mean by “{raw}”?",
            )
        raise clarify(_unknown("a project called", raw, found.suggestions))

    async def task(self, raw: str | None, ask: str) -> Task:
        if not raw:
            raise clarify(ask)
        if raw.startswith(PICKED):  # picked from a list: that task, not a search of every task
            picked = await self.directory.known_task(raw.removeprefix(PICKED))
            if picked is None:
                raise clarify("That task no longer exists in Notion.")
            return picked
        directory = self.directory
        found = resolve.resolve_task(
            raw, await directory.tasks(), self.requester, await self.projects(), members=await self.members()
        )
        if found.value is None and not found.candidates and directory.tasks_read_at() < self.began:
            # Matches nothing in a list read before this request: perhaps made since. Look again.
            fresh = await directory.tasks(max_age=time.monotonic() - self.began)
            found = resolve.resolve_task(
                raw, fresh, self.requester, await self.projects(), members=await self.members()
            )
        if found.value is not None:
            return found.value
        if found.candidates:
            options = await self._told_apart(found.candidates[:5])
            raise _choose("task", raw, options, "Which task do you mean?")
        raise clarify(_unknown("a task matching", raw, found.suggestions))

    async def _told_apart(self, tasks: list[Task]) -> list[tuple[str, str]]:
        """(id, label) per task; tasks with the same title are told apart by project, people and
        due date (a decoy renamed to look like someone else's task), else by their place."""
        titles = [t.title.casefold() for t in tasks]
        if len(set(titles)) == len(titles):
            return [(t.id, t.title) for t in tasks]
        projects = {p.id: p.name for p in await self.projects()}
        people = {m.notion_user_id: m.name for m in await self.members()}
        labels = []
        for task in tasks:
            if titles.count(task.title.casefold()) == 1:
                labels.append(task.title)
                continue
            facts = [
                ", ".join(projects.get(p, "another project") for p in task.project_ids) or "no project",
                join_names([people.get(i, "someone") for i in task.assignee_ids]),
                f"due {day(task.due)}" if task.due else "no due date",
            ]
            labels.append(f"{task.title} ({' · '.join(facts)})")
        return [(t.id, f"{label} #{n}" if labels.count(label) > 1 else label)
                for n, (t, label) in enumerate(zip(tasks, labels, strict=True), 1)]

    def status(self, raw: str) -> str:
        options = self.statuses.status_options
        hit = {o.casefold(): o for o in options}.get(str(raw).strip().casefold())
        if hit is None:
            raise clarify(f"“{raw}” isn't a status here. The statuses are: {', '.join(options)}.")
        return hit

    def date(self, raw: str) -> date:
        text = str(raw).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        if (days := shift_days(text)) is not None:  # from today, where there is no date to move
            return self.clock().date() + timedelta(days=days)
        try:
            found = resolve_date(text, self.clock())
        except DateTooFar:
            raise clarify(
                f"“{text}” is further away than any date I can set. Try e.g. “Friday” or “27/11”."
            ) from None
        if found is None:
            raise clarify(f"I couldn't work out the date “{text}”. Try e.g. “Friday” or “27/11”.")
        return found

    def is_archive(self, changes: dict[str, Any]) -> bool:
        return changes.get("status") == self.statuses.archive_status

    def write_of(self, task: Task | None, changes: dict[str, Any]) -> Write:
        """An update of `task` by `changes`, as a permission rule sees it."""
        return Write.of_changes(self.call.tool or "", task, changes, self.statuses.archive_status)

    async def permit(self, rule: Rule, write: Write) -> GateResult | None:
        """None when the requester may make this write (the rule is kept for the audit);
        otherwise the refusal, with the reason and what they could do instead."""
        projects, members = await self.projects(), await self.members()
        if write.archive and write.task is not None:
            write.moved_from = await self.moved_from(write.task)
        with span("gate.permit", {"gate.action": write.tool}) as current:
            verdict = permit(rule, self.member, write, self.settings.roles, projects, members)
            current.set_attributes({"gate.allowed": verdict.allowed, "gate.rule": verdict.rule or ""})
        if verdict.allowed:
            self.rule = verdict.rule
            return None
        message = f"Sorry, I can't do that: {verdict.reason}."
        if verdict.instead:
            message += f" You could {verdict.instead}."
        return self.result(Decision.DENY, message=message, rule=verdict.rule)

    async def moved_from(self, task: Task) -> list[str]:
        """The projects `task` left through the requester's own moves (the audit log), so that a
        rule on where a task is cannot be met by moving it first."""
        left: list[str] = []
        for done in await self.audit.executions_on(task.id):
            if done.notion_user_id == self.member.notion_user_id and "project_id" in done.resolved.get(
                "changes", {}
            ):
                left += [p for p in (done.before or {}).get("project_ids", []) if p not in left]
        return [p for p in left if p not in task.project_ids]

    def result(self, decision: Decision, **fields: Any) -> GateResult:
        """A decision on this call, carrying what is resolved so far."""
        values: dict[str, Any] = {"tool": self.call.tool, "args": self.args, "resolved": self.resolved}
        return GateResult(decision=decision, **{**values, **fields})

    def execute(self) -> GateResult:
        return self.result(Decision.EXECUTE, rule=self.rule)

    def clarify(self, message: str) -> GateResult:
        return GateResult(decision=Decision.CLARIFY, tool=self.call.tool, args=self.args, message=message)

    def shown(self, label: str, text: str) -> str:
        """Long text as the summary shows it: cut with "…", kept in full under "Details", so no
        platform's limit can push a change that follows it out of sight."""
        if len(text) <= SHOWN_CHARS:
            return text
        self.details.append((label, text))
        return text[:SHOWN_CHARS].rstrip() + "…"

    def confirm(self, summary: str) -> GateResult:
        details = ""
        if self.details:
            summary += f" ({DETAILS_NOTE})"
            details = "\n\n".join(f"{label}:\n{text}" for label, text in self.details)
        return self.result(Decision.CONFIRM, summary=summary, details=details, rule=self.rule)


def _choose(arg: str, raw: str, options: list[tuple[str, str]], question: str) -> NeedsAnswer:
    return NeedsAnswer(
        GateResult(
            decision=Decision.CHOOSE,
            choose_field=arg,
            choose_raw=raw,
            options=[(f"{PICKED}{key}", label) for key, label in options],
            message=question,
        )
    )


def _by_id(items: list[T], raw: str, key: Callable[[T], str]) -> T:
    wanted = raw.removeprefix(PICKED)
    for item in items:
        if key(item) == wanted:
            return item
    raise clarify("That option no longer exists in Notion.")


def _unknown(what: str, raw: str, suggestions: list[str]) -> str:
    message = f"I couldn't find {what} “{raw}”."
    if suggestions:
        message += f" Did you mean {join_names(suggestions[:3], 'or')}?"
    return message
