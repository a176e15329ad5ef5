"""The gate: validate → resolve → permit → assess. Nothing reaches Notion without it.

It turns a planner's raw `ToolCall` into a `GateResult`: a decision from the
eval vocabulary, the resolved arguments (names → Notion ids, words → dates),
and what to say. It never writes; `core.service` acts on its decision.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from core import resolve
from core.config import Settings
from core.dates import resolve_date
from core.directory import Directory
from core.domain import Member, Project, Task
from core.identity import AuditLog, IdentityRepository
from core.observability import span
from core.permissions import Action, changed_fields, permit, permit_tool
from core.registry import ToolRegistry
from core.tools import ToolCall, ToolSpec, validate_args
from core.wording import day, em, join_names

T = TypeVar("T")
PICKED = "id:"  # a raw argument the person picked from a list: resolve by id, never by name
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Decision(StrEnum):
    EXECUTE = "execute"
    CONFIRM = "confirm"
    CHOOSE = "choose"
    CLARIFY = "clarify"
    DENY = "deny"
    VERIFY = "verify"
    NONE = "none"


class GateResult(BaseModel):
    decision: Decision
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)  # resolved, by name: what the eval scores
    plan: dict[str, Any] = Field(default_factory=dict)  # resolved, by id: what will run
    options: list[tuple[str, str]] = Field(default_factory=list)  # choose: (id, label)
    choose_field: str | None = None
    choose_raw: str | None = None  # the ambiguous words the options stand for
    message: str = ""
    summary: str = ""  # confirm: the one line the person confirms
    rule: str | None = None  # the permission rule that decided


class Stop(Exception):
    """Resolution cannot go on: carries the decision to return (clarify or choose)."""

    def __init__(self, result: GateResult) -> None:
        self.result = result


class Gate:
    def __init__(
        self,
        directory: Directory,
        settings: Settings,
        identity: IdentityRepository,
        audit: AuditLog,
        clock: Callable[[], datetime],
        registry: ToolRegistry | None = None,
    ) -> None:
        self.registry = registry or ToolRegistry()
        self.audit = audit
        self.directory = directory
        self.settings = settings
        self.identity = identity
        self.clock = clock
        self.statuses = settings.notion.tasks

    async def assess(
        self,
        call: ToolCall,
        requester: Member | None,
        *,
        platform: str,
        chat_user_id: str,
    ) -> GateResult:
        if call.tool is None:
            return GateResult(decision=Decision.NONE, message=call.say or "")
        if call.tool not in self.registry.specs:
            return GateResult(decision=Decision.CLARIFY, message="I don't know how to do that yet.")
        if requester is None and call.tool != "link_account":
            return GateResult(decision=Decision.VERIFY, tool=call.tool)
        with span("gate.validate"):
            try:
                validate_args(call, self.registry.specs)
            except ValidationError as exc:
                return GateResult(decision=Decision.CLARIFY, tool=call.tool, message=_validation_message(exc))
        work = _Resolution(self, call, requester, platform=platform, chat_user_id=chat_user_id)
        extension = self.registry.extension(call.tool)
        try:
            if extension is not None:
                return await self._extension(work, extension.spec)
            return await getattr(self, f"_{call.tool}")(work)
        except Stop as stop:
            stop.result.tool = call.tool
            stop.result.args = {**work.args, **stop.result.args}
            return stop.result

    # ---- reads ------------------------------------------------------------------

    async def _list_tasks(self, w: _Resolution) -> GateResult:
        raw = w.call.args

        async def assignee() -> None:
            member = await w.person(raw["assignee"], "assignee")
            w.args["assignee"], w.plan["assignee_id"] = member.handle, member.notion_user_id

        async def project() -> None:
            found = await w.project(raw["project"])
            w.args["project"], w.plan["project_id"] = found.name, found.id

        async def status() -> None:
            value = raw.get("status", "active")
            if value == "active":
                w.plan["statuses"] = list(self.statuses.active_statuses)
            elif value == "all":
                w.args["status"], w.plan["statuses"] = "all", None
            else:
                chosen = [w.status(s) for s in (value if isinstance(value, list) else [value])]
                w.args["status"] = w.plan["statuses"] = chosen

        async def bounds() -> None:
            for bound in ("due_before", "due_after"):
                if raw.get(bound):
                    w.args[bound] = w.plan[bound] = w.date(raw[bound]).isoformat()

        await w.steps(
            assignee if raw.get("assignee") else None, project if raw.get("project") else None, status, bounds
        )
        return GateResult(decision=Decision.EXECUTE, tool="list_tasks", args=w.args, plan=w.plan)

    async def _list_projects(self, w: _Resolution) -> GateResult:
        progress = w.call.args.get("progress", "active")
        if progress != "active":
            w.args["progress"] = progress
        options = self.settings.notion.projects
        w.plan["progress"] = (
            options.active_progress if progress == "active" else None if progress == "all" else progress
        )
        return GateResult(decision=Decision.EXECUTE, tool="list_projects", args=w.args, plan=w.plan)

    async def _show_task(self, w: _Resolution) -> GateResult:
        task = await w.task(w.call.args.get("task"), "Which task should I show you?")
        w.args["task"], w.plan["task_id"] = task.title, task.id
        return GateResult(decision=Decision.EXECUTE, tool="show_task", args=w.args, plan=w.plan)

    async def _whoami(self, w: _Resolution) -> GateResult:
        return GateResult(decision=Decision.EXECUTE, tool="whoami")

    # ---- writes -------------------------------------------------------------------

    async def _create_task(self, w: _Resolution) -> GateResult:
        raw = w.call.args
        people: list[Member] = []
        project: list[Project] = []

        async def title() -> None:
            text = (raw.get("title") or "").strip()
            if not text:
                raise Stop(
                    GateResult(decision=Decision.CLARIFY, message="What should the new task be called?")
                )
            w.args["title"] = w.plan["title"] = text

        async def assignees() -> None:
            found = [await w.person(p, "assignees") for p in raw.get("assignees") or ["me"]]
            people.extend({m.notion_user_id: m for m in found}.values())
            w.args["assignees"] = [m.handle for m in people]
            w.plan["assignee_ids"] = [m.notion_user_id for m in people]

        async def in_project() -> None:
            project.append(await w.project(raw["project"]))
            w.args["project"], w.plan["project_id"] = project[0].name, project[0].id

        async def details() -> None:
            if raw.get("due"):
                w.args["due"] = w.plan["due"] = w.date(raw["due"]).isoformat()
            if raw.get("description"):
                w.args["description"] = w.plan["description"] = raw["description"]
            status = w.status(raw["status"]) if raw.get("status") else self.statuses.default_status
            if status != self.statuses.default_status:
                w.args["status"] = status
            w.plan["status"] = status

        await w.steps(title, in_project if raw.get("project") else None, details, assignees)
        denied = await w.permit(Action("create_task", assignee_ids=w.plan["assignee_ids"]))
        if denied:
            return denied
        summary = f"create {em(w.plan['title'])} for {join_names([m.name for m in people])}"
        if w.plan.get("due"):
            summary += f", due {day(date.fromisoformat(w.plan['due']))}"
        if project:
            summary += f", in {project[0].name}"
        if w.plan["status"] != self.statuses.default_status:
            summary += f", status {w.plan['status']}"
        if w.plan.get("description"):
            summary += f", described as “{w.plan['description']}”"
        return w.confirm(summary)

    async def _update_task(self, w: _Resolution) -> GateResult:
        raw = w.call.args
        changes: dict[str, Any] = {}
        words: list[str] = []
        named: list[Member] = []
        added: list[Member] = []
        found: list[Task] = []

        async def simple() -> None:
            if raw.get("status"):
                changes["status"] = w.args["status"] = w.status(raw["status"])
            if raw.get("due"):
                due = w.date(raw["due"])
                changes["due"] = w.args["due"] = due.isoformat()
                words.append(f"due {day(due)}")
            if raw.get("title"):
                changes["title"] = w.args["title"] = raw["title"]
                words.append(f"renamed to {em(raw['title'])}")
            if raw.get("description"):
                changes["description"] = w.args["description"] = raw["description"]
                words.append(f"description “{raw['description']}”")

        async def project() -> None:
            target = await w.project(raw["project"])
            w.args["project"], changes["project_id"] = target.name, target.id
            words.append(f"moved to {target.name}")

        async def people() -> None:
            named.extend([await w.person(p, "assignees") for p in raw.get("assignees") or []])
            added.extend([await w.person(p, "add_assignees") for p in raw.get("add_assignees") or []])

        async def task() -> None:
            found.append(await w.task(raw.get("task"), "Which task do you mean?"))
            w.args["task"] = found[0].title

        await w.steps(simple, project if raw.get("project") else None, people, task)
        target = found[0]
        if named or added:
            members = {m.notion_user_id: m for m in await w.members()}
            ids = [m.notion_user_id for m in named] or list(target.assignee_ids)
            ids += [m.notion_user_id for m in added if m.notion_user_id not in ids]
            changes["assignee_ids"] = ids
            new_people = [members[i] for i in ids if i in members]
            w.args["assignees"] = [m.handle for m in new_people]
            words.append(f"people in charge {join_names([m.name for m in new_people])}")
        if not changes:
            return GateResult(
                decision=Decision.CLARIFY,
                tool="update_task",
                args=w.args,
                message=f"What should I change on {em(target.title)}?",
            )
        archive = changes.get("status") == self.statuses.archive_status
        if changes == {"status": target.status}:  # "sent the forms out", when they were marked sent
            state = "archived" if archive else em(target.status)
            return GateResult(
                decision=Decision.NONE,
                tool="update_task",
                args=w.args,
                message=f"{em(target.title)} is already {state}, so there's nothing to change.",
            )
        w.plan.update(task_id=target.id, changes=changes, seen=snapshot(target))
        fields = changed_fields(changes)
        denied = await w.permit(Action("update_task", task=target, fields=fields, archive=archive))
        if denied:
            return denied
        if archive:
            head = f"archive {em(target.title)}"
        elif "status" in changes:
            head = f"mark {em(target.title)} as {changes['status']}"
        else:
            return w.confirm(f"change {em(target.title)}: {', '.join(words)}")
        return w.confirm(head + (f" ({', '.join(words)})" if words else ""))

    async def _update_tasks(self, w: _Resolution) -> GateResult:
        """Several tasks in one confirmation: capped, each listed, each permitted on its own."""
        raw = w.call.args
        changes: dict[str, Any] = {}
        scope: dict[str, str] = {}

        async def simple() -> None:
            if raw.get("status"):
                changes["status"] = w.args["status"] = w.status(raw["status"])
            if raw.get("due"):
                changes["due"] = w.args["due"] = w.date(raw["due"]).isoformat()

        async def assignee() -> None:
            member = await w.person(raw["assignee"], "assignee")
            w.args["assignee"], scope["assignee"] = member.handle, member.notion_user_id

        async def project() -> None:
            found = await w.project(raw["project"])
            w.args["project"], scope["project"] = found.name, found.id

        await w.steps(
            simple, assignee if raw.get("assignee") else None, project if raw.get("project") else None
        )
        if not scope:
            return w.clarify("Which tasks? Say whose or which project, e.g. “all my Hackathon 2026 tasks”.")
        if not changes:
            return w.clarify("What should I change on those tasks: their status or their due date?")
        denied = await w.permit(Action("update_tasks"))
        if denied:
            return denied
        active = self.statuses.active_statuses
        tasks = [
            t
            for t in await self.directory.tasks(max_age=0)  # each one is listed: read them now
            if t.status in active
            and changes.get("status") != t.status
            and ("assignee" not in scope or scope["assignee"] in t.assignee_ids)
            and ("project" not in scope or scope["project"] in t.project_ids)
        ]
        if not tasks:
            return w.clarify("No open tasks match, so there's nothing to change.")
        if len(tasks) > BULK_CAP:
            return w.clarify(
                f"That's {len(tasks)} tasks; I change at most {BULK_CAP} at once. "
                "Narrow it down by person or project."
            )
        archive = changes.get("status") == self.statuses.archive_status
        for task in tasks:
            verdict = await w.permit(
                Action("update_task", task=task, fields=changed_fields(changes), archive=archive)
            )
            if verdict:
                verdict.message = verdict.message.replace(
                    "Sorry, I can't do that:", f"Sorry, I can't change {em(task.title)}:"
                )
                return verdict
        w.plan.update(
            task_ids=[t.id for t in tasks], changes=changes, seen={t.id: snapshot(t) for t in tasks}
        )
        names = join_names([f"{em(t.title)}" for t in tasks])
        if "status" in changes:
            what = f"mark {len(tasks)} tasks as {changes['status']}"
            if "due" in changes:
                what += f", due {day(date.fromisoformat(changes['due']))}"
        else:
            what = f"move {len(tasks)} tasks to {day(date.fromisoformat(changes['due']))}"
        return w.confirm(f"{what}: {names}")

    async def _add_comment(self, w: _Resolution) -> GateResult:
        raw = w.call.args
        text = (raw.get("text") or "").strip()
        if text:
            w.args["text"] = text
        task = await w.task(raw.get("task"), "Which task should I comment on?")
        w.args["task"] = task.title
        if not text:
            return GateResult(
                decision=Decision.CLARIFY,
                tool="add_comment",
                args=w.args,
                message=f"What should the comment on {em(task.title)} say?",
            )
        assert w.requester is not None  # unlinked people were asked to verify
        # Shown in Notion as the person, through Darcy: the integration posts every comment.
        w.plan.update(task_id=task.id, text=text, author=f"{w.requester.name} via Darcy")
        denied = await w.permit(Action("add_comment", task=task))
        if denied:
            return denied
        return w.confirm(f"comment on {em(task.title)}: “{text}”")

    async def _undo(self, w: _Resolution) -> GateResult:
        """Take back the person's last create or update, if nobody changed the task since."""
        window = self.settings.pending.undo_minutes
        last = await self.audit.last_execution(
            w.platform, w.chat_user_id, self.clock() - timedelta(minutes=window)
        )
        if last is None or last.tool not in ("create_task", "update_task") or not last.page_id:
            why = (
                "Your last change was itself an undo."
                if last is not None and last.tool == "undo"
                else f"I can only undo a task you created or changed in the last {window:g} minutes, "
                "and I see none."
                if last is None or last.tool in ("create_task", "update_task")
                else "Your last change can't be undone from here (comments and links stay); "
                "change it in Notion directly."
            )
            raise Stop(GateResult(decision=Decision.CLARIFY, message=why))
        task = await self.directory.task(last.page_id)
        if task is None:
            raise Stop(
                GateResult(decision=Decision.CLARIFY, message="That task is already gone from Notion.")
            )
        w.args["task"] = task.title
        w.plan.update(undo_of=last.id, task_id=task.id, seen=snapshot(task))
        if last.tool == "create_task":
            w.plan["archive"] = True
            return w.confirm(f"undo creating {em(task.title)}: it goes to Notion's trash")
        before = last.before or {}
        changes = {key: before.get(key) for key in last.plan.get("changes", {})}
        w.plan["changes"] = changes
        shown = ", ".join(f"{FIELD_WORDS.get(k, k)} back to {_shown(v)}" for k, v in changes.items())
        return w.confirm(f"undo your change to {em(task.title)}: {shown}")

    async def _member_by_email(self, w: _Resolution, email: str) -> Member | None:
        """The Notion user with that e-mail; a miss looks again past the cache, since a
        newcomer is often added to Notion minutes before they first talk to Darcy."""
        for attempt in range(2):
            members = await w.members()
            found = next((m for m in members if (m.email or "").casefold() == email.casefold()), None)
            if found is not None or attempt:
                return found
            self.directory.refresh()
            w.forget_members()
        return None

    async def _extension(self, w: _Resolution, spec: ToolSpec) -> GateResult:
        """A plugin's or an MCP server's tool: validated, permitted by its config rule, and
        run at once (read) or confirmed first (write, destructive) — like every other tool."""
        assert w.requester is not None  # unlinked people were asked to verify
        args = spec.args_model.model_validate(w.call.args).model_dump(mode="json", exclude_none=True)
        w.args, w.plan = dict(args), {"args": args}
        with span("gate.permit", {"gate.action": spec.name}) as current:
            verdict = permit_tool(w.requester, spec.name, self.settings.tools.get(spec.name))
            current.set_attributes({"gate.allowed": verdict.allowed, "gate.rule": verdict.rule or ""})
        if not verdict.allowed:
            message = f"Sorry, I can't do that: {verdict.reason}. You could {verdict.instead}."
            return GateResult(
                decision=Decision.DENY, tool=spec.name, args=args, message=message, rule=verdict.rule
            )
        w.rule = verdict.rule
        if spec.impact == "read":
            return GateResult(decision=Decision.EXECUTE, tool=spec.name, args=args, plan=w.plan, rule=w.rule)
        shown = ", ".join(f"{key} “{value}”" for key, value in args.items()) or "no arguments"
        warning = " This can't be undone." if spec.impact == "destructive" else ""
        return w.confirm(f"use {em(spec.name)} ({spec.source}) with {shown}.{warning}".rstrip("."))

    async def _link_account(self, w: _Resolution) -> GateResult:
        email = (w.call.args.get("email") or "").strip().strip("<>").removeprefix("mailto:")
        email = email.split("|")[0]
        if not EMAIL.match(email):
            raise Stop(
                GateResult(
                    decision=Decision.CLARIFY,
                    message="What's the e-mail address of your Notion account? (e.g. name@club.example)",
                )
            )
        w.args["email"] = email
        member = await self._member_by_email(w, email)
        if member is None:
            raise Stop(
                GateResult(
                    decision=Decision.CLARIFY,
                    message=f"No one in the Notion workspace has the e-mail {email}. "
                    "Check the address your Notion account uses and send it again.",
                )
            )
        holder = await self.identity.holder(w.platform, member.notion_user_id)
        if holder is not None and holder != w.chat_user_id:
            return GateResult(
                decision=Decision.DENY,
                tool="link_account",
                args=w.args,
                rule="one chat account per Notion user",
                message=f"That Notion account is already linked to another {w.platform} user. "
                "If it's yours, ask an admin to unlink it.",
            )
        if w.requester is not None and w.requester.notion_user_id == member.notion_user_id:
            return GateResult(
                decision=Decision.NONE,
                tool="link_account",
                args=w.args,
                message=f"You're already linked to {member.name} ({email}).",
            )
        if w.requester is not None:  # linked already, to someone else: only an admin changes that
            return GateResult(
                decision=Decision.DENY,
                tool="link_account",
                args=w.args,
                rule="a linked account is changed by an admin",
                message=f"Sorry, I can't do that: this {w.platform} account is already linked to "
                f"{w.requester.name}. If that's wrong, ask an admin to change it.",
            )
        w.plan.update(notion_user_id=member.notion_user_id, email=email)
        return w.confirm(f"link your {w.platform} account to the Notion user {member.name} ({email})")


BULK_CAP = 10  # one confirmation a person can still read, item by item
FIELD_WORDS = {"assignee_ids": "people in charge", "project_id": "project", "due": "due date"}


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "empty"
    if isinstance(value, list):
        return f"{len(value)} people" if len(value) != 1 else "1 person"
    return str(value)


def snapshot(task: Task) -> dict[str, Any]:
    """The task as the person saw it when asked to confirm: re-compared at the click."""
    return task.model_dump(mode="json", include={"title", "status", "assignee_ids", "project_ids", "due"})


class _Resolution:
    """The state of resolving one call: what is resolved so far, by name and by id."""

    def __init__(
        self,
        gate: Gate,
        call: ToolCall,
        requester: Member | None,
        *,
        platform: str,
        chat_user_id: str,
    ) -> None:
        self.gate, self.call, self.requester = gate, call, requester
        self.platform, self.chat_user_id = platform, chat_user_id
        self.args: dict[str, Any] = {}
        self.plan: dict[str, Any] = {}
        self.rule: str | None = None
        self._members: list[Member] | None = None
        self._projects: list[Project] | None = None
        self.began = time.monotonic()

    async def steps(self, *steps: Callable[[], Awaitable[None]] | None) -> None:
        """Run every resolution step, so that whatever can be resolved is, even when
        another step cannot; then stop on the first that needs a question (a missing
        or unknown thing before an ambiguous one: a pick would not fix the former)."""
        stops: list[Stop] = []
        with span("gate.resolve") as current:
            for step in steps:
                if step is None:
                    continue
                try:
                    await step()
                except Stop as stop:
                    stops.append(stop)
            current.set_attribute("gate.unresolved", len(stops))
        if stops:
            stops.sort(key=lambda s: s.result.decision != Decision.CLARIFY)
            raise stops[0]

    def forget_members(self) -> None:
        self._members = None

    async def members(self) -> list[Member]:
        if self._members is None:
            self._members = await self.gate.directory.members()
        return self._members

    async def projects(self) -> list[Project]:
        if self._projects is None:
            self._projects = await self.gate.directory.projects()
        return self._projects

    async def person(self, raw: str, arg: str) -> Member:
        members = await self.members()
        if raw.startswith(PICKED):
            return _by_id(members, raw, lambda m: m.notion_user_id)
        found = resolve.resolve_person(raw, members, self.requester, self.platform)
        if found.value is not None:
            return found.value
        if found.candidates:
            raise Stop(
                GateResult(
                    decision=Decision.CHOOSE,
                    choose_field=arg,
                    choose_raw=raw,
                    options=[(f"{PICKED}{m.notion_user_id}", m.name) for m in found.candidates],
                    message=f"Who do you mean by “{raw}”?",
                )
            )
        raise Stop(
            GateResult(decision=Decision.CLARIFY, message=_unknown("anyone called", raw, found.suggestions))
        )

    async def project(self, raw: str) -> Project:
        projects = await self.projects()
        if raw.startswith(PICKED):
            return _by_id(projects, raw, lambda p: p.id)
        found = resolve.resolve_project(raw, projects)
        if found.value is not None:
            return found.value
        if found.candidates:
            raise Stop(
                GateResult(
                    decision=Decision.CHOOSE,
                    choose_field="project",
                    choose_raw=raw,
                    options=[(f"{PICKED}{p.id}", p.name) for p in found.candidates],
                    message=f"Which project do you mean by “{raw}”?",
                )
            )
        raise Stop(
            GateResult(
                decision=Decision.CLARIFY, message=_unknown("a project called", raw, found.suggestions)
            )
        )

    async def task(self, raw: str | None, ask: str) -> Task:
        if not raw:
            raise Stop(GateResult(decision=Decision.CLARIFY, message=ask))
        if raw.startswith(PICKED):  # picked from a list: one read of that page, not of every task
            picked = await self.gate.directory.task(raw.removeprefix(PICKED))
            if picked is None:
                raise Stop(
                    GateResult(decision=Decision.CLARIFY, message="That task no longer exists in Notion.")
                )
            return picked
        directory = self.gate.directory
        found = resolve.resolve_task(raw, await directory.tasks(), self.requester, await self.projects())
        if found.value is None and not found.candidates and directory.tasks_read_at() < self.began:
            # Matches nothing in a list read before this request: perhaps made since. Look again.
            fresh = await directory.tasks(max_age=time.monotonic() - self.began)
            found = resolve.resolve_task(raw, fresh, self.requester, await self.projects())
        if found.value is not None:
            return found.value
        if found.candidates:
            raise Stop(
                GateResult(
                    decision=Decision.CHOOSE,
                    choose_field="task",
                    choose_raw=raw,
                    options=[(f"{PICKED}{t.id}", t.title) for t in found.candidates[:5]],
                    message="Which task do you mean?",
                )
            )
        raise Stop(
            GateResult(decision=Decision.CLARIFY, message=_unknown("a task matching", raw, found.suggestions))
        )

    def status(self, raw: str) -> str:
        options = self.gate.statuses.status_options
        folded = {o.casefold(): o for o in options}
        hit = folded.get(str(raw).strip().casefold())
        if hit is None:
            raise Stop(
                GateResult(
                    decision=Decision.CLARIFY,
                    message=f"“{raw}” isn't a status here. The statuses are: {', '.join(options)}.",
                )
            )
        return hit

    def date(self, raw: str) -> date:
        text = str(raw).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        found = resolve_date(text, self.gate.clock())
        if found is None:
            raise Stop(
                GateResult(
                    decision=Decision.CLARIFY,
                    message=f"I couldn't work out the date “{text}”. Try e.g. “Friday” or “27/11”.",
                )
            )
        return found

    async def permit(self, action: Action) -> GateResult | None:
        assert self.requester is not None  # the gate asks unlinked users to verify first
        projects, members = await self.projects(), await self.members()
        with span("gate.permit", {"gate.action": action.tool}) as current:
            verdict = permit(self.requester, action, self.gate.settings.roles, projects, members)
            current.set_attributes({"gate.allowed": verdict.allowed, "gate.rule": verdict.rule or ""})
        if verdict.allowed:
            self.rule = verdict.rule
            return None
        message = f"Sorry, I can't do that: {verdict.reason}."
        if verdict.instead:
            message += f" You could {verdict.instead}."
        return GateResult(
            decision=Decision.DENY,
            tool=self.call.tool,
            args=self.args,
            plan=self.plan,
            message=message,
            rule=verdict.rule,
        )

    def clarify(self, message: str) -> GateResult:
        return GateResult(decision=Decision.CLARIFY, tool=self.call.tool, args=self.args, message=message)

    def confirm(self, summary: str) -> GateResult:
        return GateResult(
            decision=Decision.CONFIRM,
            tool=self.call.tool,
            args=self.args,
            plan=self.plan,
            summary=summary,
            rule=self.rule,
        )


def _by_id(items: list[T], raw: str, key: Callable[[T], str]) -> T:
    wanted = raw.removeprefix(PICKED)
    for item in items:
        if key(item) == wanted:
            return item
    raise Stop(GateResult(decision=Decision.CLARIFY, message="That option no longer exists in Notion."))


def _unknown(what: str, raw: str, suggestions: list[str]) -> str:
    message = f"I couldn't find {what} “{raw}”."
    if suggestions:
        message += f" Did you mean {join_names(suggestions[:3], 'or')}?"
    return message


def _validation_message(exc: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return f"I couldn't make sense of that request ({problems}). Could you rephrase it?"
