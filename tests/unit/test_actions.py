"""Each built-in tool's resolution, through the gate, against in-memory fakes (no Notion, no
database): the decision, what was resolved, and what the person is told."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fixtures import member, members, now, projects, task, tasks

from core.config import load_settings
from core.domain import Member, Project, Task
from core.gate import Decision, Gate, GateResult
from core.identity import Execution, Link
from core.registry import ToolRegistry
from core.tools import ToolCall

DAN = "00000000-0000-4000-8000-000000001003"


class FakeDirectory:
    """The demo workspace in memory, as the gate reads it."""

    def __init__(self) -> None:
        self._tasks = {t.id: t for t in tasks()}

    async def members(self) -> list[Member]:
        return members()

    async def member(self, notion_user_id: str) -> Member | None:
        return next((m for m in members() if m.notion_user_id == notion_user_id), None)

    async def projects(self) -> list[Project]:
        return projects()

    async def tasks(self, *, max_age: float | None = None) -> list[Task]:
        return list(self._tasks.values())

    async def task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def tasks_read_at(self) -> float:
        return float("inf")

    def refresh(self) -> None:
        pass


class FakeIdentity:
    def __init__(self, links: dict[tuple[str, str], str] | None = None) -> None:
        self.links = links or {}

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        return next((u for (p, u), n in self.links.items() if p == platform and n == notion_user_id), None)

    async def holding(self, platform: str, notion_user_id: str) -> Link | None:
        user = await self.holder(platform, notion_user_id)
        if user is None:
            return None
        return Link(platform=platform, platform_user_id=user, notion_user_id=notion_user_id, via="terminal")


class FakeAudit:
    def __init__(self, last: Execution | None = None) -> None:
        self.last = last

    async def last_execution(self, platform: str, user_id: str, since: datetime) -> Execution | None:
        return self.last if self.last is not None and self.last.at >= since else None

    async def executions_on(self, page_id: str) -> list[Execution]:
        return [self.last] if self.last is not None and self.last.page_id == page_id else []


def gate(identity: FakeIdentity | None = None, audit: FakeAudit | None = None) -> Gate:
    return Gate(
        FakeDirectory(),  # type: ignore[arg-type]
        load_settings(),
        identity or FakeIdentity(),  # type: ignore[arg-type]
        audit or FakeAudit(),  # type: ignore[arg-type]
        now,
        ToolRegistry(),
    )


async def assess(who: str | None, tool: str, g: Gate | None = None, **args: Any) -> GateResult:
    requester = member(who) if who else None
    return await (g or gate()).assess(
        ToolCall(tool=tool, args=args), requester, platform="terminal", chat_user_id=who or "stranger"
    )


@pytest.mark.parametrize(
    ("who", "tool", "args", "decision", "resolved"),
    [
        ("dan", "list_tasks", {"assignee": "me"}, Decision.EXECUTE, {"assignee_id": DAN}),
        ("dan", "list_tasks", {"status": "all"}, Decision.EXECUTE, {"statuses": None}),
        ("dan", "list_tasks", {"due_before": "friday"}, Decision.EXECUTE, {"due_before": "2026-11-20"}),
        ("dan", "list_projects", {"progress": "all"}, Decision.EXECUTE, {"progress": None}),
        ("dan", "show_task", {"task": "order catering"}, Decision.EXECUTE, {"task_id": "Order catering"}),
        ("dan", "whoami", {}, Decision.EXECUTE, {}),
    ],
)
async def test_reads_run_at_once_with_names_resolved(who, tool, args, decision, resolved) -> None:
    result = await assess(who, tool, **args)
    assert result.decision is decision
    assert resolved.items() <= result.resolved.items()


async def test_a_create_for_oneself_is_confirmed_with_every_detail() -> None:
    result = await assess("dan", "create_task", title="Print flyers", due="friday", project="Marketing")
    assert result.decision is Decision.CONFIRM
    assert result.resolved == {
        "title": "Print flyers",
        "due": "2026-11-20",
        "project_id": "Marketing",
        "status": "Not Started",
        "assignee_ids": [member("dan").notion_user_id],
    }
    assert result.summary == "create **Print flyers** for Dan Whitfield, due Fri 20 Nov 2026, in Marketing"


@pytest.mark.parametrize(
    ("args", "decision", "message"),
    [
        ({"title": ""}, Decision.CLARIFY, "What should the new task be called?"),
        ({"title": "X", "assignees": ["nobody"]}, Decision.CLARIFY, "I couldn't find anyone called"),
        ({"title": "X", "assignees": ["sam"]}, Decision.DENY, "Members can only create tasks for themselves"),
        ({"title": "X", "project": "Quidditch"}, Decision.CLARIFY, "I couldn't find a project called"),
        ({"title": "X", "due": "the 31st of Smarch"}, Decision.CLARIFY, "I couldn't work out the date"),
        ({"title": "X", "status": "Nearly"}, Decision.CLARIFY, "isn't a status here"),
    ],
)
async def test_a_create_asks_or_refuses_when_it_must(args, decision, message) -> None:
    result = await assess("dan", "create_task", **args)
    assert result.decision is decision and message in result.message


async def test_an_update_keeps_what_the_person_saw_for_the_click() -> None:
    result = await assess("dan", "update_task", task="recruitment forms", status="done")
    assert result.decision is Decision.CONFIRM
    assert result.resolved["changes"] == {"status": "Done"}
    assert result.resolved["seen"]["status"] == "In Progress"
    assert result.summary == "mark **Send out recruitment forms** as Done"


@pytest.mark.parametrize(
    ("who", "args", "decision", "message"),
    [
        ("dan", {"task": "forms", "status": "Done"}, Decision.CHOOSE, "Which task do you mean?"),
        ("dan", {"task": "order catering", "status": "Done"}, Decision.DENY, "can only edit their own tasks"),
        ("dan", {"task": "recruitment forms"}, Decision.CLARIFY, "What should I change on"),
        ("bob", {"task": "Design recruitment poster", "status": "Done"}, Decision.NONE, "already **Done**"),
        ("bob", {"task": "order catering", "status": "Archive"}, Decision.DENY, "projects they lead"),
    ],
)
async def test_an_update_picks_asks_or_refuses(who, args, decision, message) -> None:
    result = await assess(who, "update_task", **args)
    assert result.decision is decision and message in (result.message or result.summary)


async def test_adding_a_person_keeps_those_already_in_charge() -> None:
    title = "Write hackathon problem statements"
    result = await assess("carol", "update_task", task=title, add_assignees=["eve"])
    changed = result.resolved["changes"]["assignee_ids"]
    assert changed == [*task(title).assignee_ids, member("eve").notion_user_id]


async def test_bulk_lists_each_task_and_refuses_members() -> None:
    lead = await assess("carol", "update_tasks", project="Hackathon 2026", assignee="tom", status="Done")
    assert lead.decision is Decision.CONFIRM
    assert lead.resolved["task_ids"] == ["Write hackathon problem statements", "Set up Devpost page"]
    member_asks = await assess("dan", "update_tasks", assignee="me", status="Done")
    assert member_asks.decision is Decision.DENY and member_asks.rule == "member.bulk = false"


async def test_a_comment_is_signed_by_the_person_via_darcy() -> None:
    result = await assess("dan", "add_comment", task="order catering", text="vegan option?")
    assert result.decision is Decision.CONFIRM
    assert result.resolved["author"] == "Dan Whitfield via Darcy"


@pytest.mark.parametrize(
    ("who", "holders", "decision", "message"),
    [
        (None, {}, Decision.CONFIRM, ""),
        (None, {("terminal", "someone-else"): member("eve").notion_user_id}, Decision.DENY, "already linked"),
        ("eve", {}, Decision.NONE, "You're already linked"),
        ("dan", {}, Decision.DENY, "ask an admin to change it"),
    ],
)
async def test_linking_is_one_chat_account_per_notion_user(who, holders, decision, message) -> None:
    eve = member("eve")
    assert eve is not None and eve.email
    result = await assess(who, "link_account", gate(identity=FakeIdentity(holders)), email=eve.email)
    assert result.decision is decision and message in result.message


async def test_strangers_are_asked_to_verify_before_anything_else() -> None:
    assert (await assess(None, "list_tasks")).decision is Decision.VERIFY


@pytest.mark.parametrize(
    ("last", "decision", "message"),
    [
        (None, Decision.CLARIFY, "I can only undo a task you created or changed"),
        (("undo", "Update Linktree"), Decision.CLARIFY, "itself an undo"),
        (("add_comment", "Update Linktree"), Decision.CLARIFY, "can't be undone from here"),
        (("create_task", "Update Linktree"), Decision.CONFIRM, "it goes to Notion's trash"),
        (("update_task", "Gone from Notion"), Decision.CLARIFY, "already gone from Notion"),
    ],
)
async def test_undo_takes_back_the_last_create_or_update(last, decision, message) -> None:
    execution = None
    if last is not None:
        execution = Execution(id=1, tool=last[0], page_id=last[1], at=now() - timedelta(minutes=1))
    # Bob leads Marketing, where Update Linktree is: taking back its create (an archive) is his to do.
    result = await assess("bob", "undo", gate(audit=FakeAudit(execution)))
    assert result.decision is decision and message in (result.message or result.summary)


async def test_undo_of_an_update_puts_the_old_values_back() -> None:
    execution = Execution(
        id=7, tool="update_task", page_id="Update Linktree", at=now(),
        resolved={"changes": {"status": "Done"}}, before={"status": "Not Started"},
    )
    result = await assess("sam", "undo", gate(audit=FakeAudit(execution)))
    assert result.resolved["changes"] == {"status": "Not Started"} and result.resolved["undo_of"] == 7


@pytest.mark.parametrize(
    ("title", "shift", "due", "shown"),
    [
        ("Fix mobile navigation bug", "+7d", "2026-11-27", "due Fri 27 Nov 2026 (was Fri 20 Nov 2026)"),
        ("Fix mobile navigation bug", "-2d", "2026-11-18", "due Wed 18 Nov 2026 (was Fri 20 Nov 2026)"),
    ],
)
async def test_a_slip_moves_the_due_date_from_the_tasks_own(title, shift, due, shown) -> None:
    result = await assess("farid", "update_task", task=title, due=shift)
    assert result.decision is Decision.CONFIRM and result.resolved["changes"] == {"due": due}
    assert shown in result.summary


async def test_a_slip_of_a_task_without_a_due_date_asks_for_one() -> None:
    result = await assess("hiro", "update_task", task="Record workshop videos", due="+7d")
    assert result.decision is Decision.CLARIFY and "has no due date yet" in result.message


async def test_undo_is_refused_when_the_person_may_not_make_the_change_it_makes() -> None:
    created = Execution(id=1, tool="create_task", page_id="Update Linktree", at=now())
    result = await assess("sam", "undo", gate(audit=FakeAudit(created)))
    assert result.decision is Decision.DENY and "Members can't archive tasks" in result.message
