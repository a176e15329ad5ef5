"""Each tool's permission rule, as a table: who may do what to which task (default roles)."""

from __future__ import annotations

import pytest
from fixtures import member, members, projects, task

from core.actions import BUILTINS
from core.config import default_roles
from core.permissions import Write, permit

ARCHIVE = "Archive"


def verdict(handle: str, tool: str, write: Write) -> tuple[bool, str]:
    requester = member(handle)
    assert requester is not None
    found = permit(BUILTINS[tool].permit, requester, write, default_roles(), projects(), members())
    return found.allowed, found.rule


def ids(*handles: str) -> list[str]:
    return [m.notion_user_id for h in handles if (m := member(h))]


@pytest.mark.parametrize(
    ("who", "for_whom", "allowed", "rule"),
    [
        ("dan", ["dan"], True, "member.create_for = self"),
        ("dan", ["dan", "eve"], False, "member.create_for = self"),
        ("carol", ["eve"], True, "lead.create_for = any"),
        ("alice", ["tom", "zoe"], True, "admin.create_for = any"),
    ],
)
def test_creating_for_others_is_for_leads_and_admins(who, for_whom, allowed, rule) -> None:
    assert verdict(who, "create_task", Write("create_task", assignee_ids=ids(*for_whom))) == (allowed, rule)


@pytest.mark.parametrize(
    ("who", "title", "fields", "allowed", "rule"),
    [
        ("dan", "Send out recruitment forms", {"status"}, True, "member.edit = own"),  # his own
        ("dan", "Order catering", {"status"}, False, "member.edit = own"),  # eve's
        ("dan", "Send out recruitment forms", {"assignees"}, False, "member.edit_fields"),
        ("dan", "Send out recruitment forms", {"project"}, False, "member.edit_fields"),
        ("bob", "Order catering", {"assignees", "due"}, True, "lead.edit = any"),
        ("alice", "Fix mobile navigation bug", {"title"}, True, "admin.edit = any"),
    ],
)
def test_editing_is_own_tasks_for_members_and_any_for_leads(who, title, fields, allowed, rule) -> None:
    write = Write("update_task", task=task(title), fields=fields)
    assert verdict(who, "update_task", write) == (allowed, rule)


@pytest.mark.parametrize(
    ("who", "title", "allowed", "rule"),
    [
        ("carol", "Order catering", True, "lead.archive = led"),  # Hackathon 2026: carol leads it
        ("bob", "Order catering", False, "lead.archive = led"),  # bob leads Marketing only
        ("bob", "Update Linktree", True, "lead.archive = led"),
        ("alice", "Update Linktree", True, "admin.archive = any"),
        ("eve", "Order catering", False, "member.archive = none"),  # even her own
    ],
)
def test_archiving_is_for_the_projects_a_lead_leads(who, title, allowed, rule) -> None:
    write = Write("update_task", task=task(title), fields={"status"}, archive=True)
    assert verdict(who, "update_task", write) == (allowed, rule)


@pytest.mark.parametrize(
    ("who", "allowed", "rule"), [("dan", False, "member.bulk = false"), ("carol", True, "lead.bulk = true")]
)
def test_bulk_changes_are_for_leads_and_admins(who, allowed, rule) -> None:
    assert verdict(who, "update_tasks", Write("update_tasks")) == (allowed, rule)


def test_members_comment_anywhere() -> None:
    assert verdict("dan", "add_comment", Write("add_comment", task=task("Order catering"))) == (
        True,
        "member.comment = any",
    )


def test_a_role_with_no_rules_is_refused_with_the_reason() -> None:
    stranger = member("dan")
    assert stranger is not None
    odd = stranger.model_copy(update={"role": "guest"})
    found = permit(BUILTINS["create_task"].permit, odd, Write("create_task"), default_roles(), [], [])
    assert not found.allowed and "your role (guest) has no rules" in found.reason


def test_a_refusal_names_whom_to_ask() -> None:
    dan = member("dan")
    assert dan is not None
    write = Write("update_task", task=task("Order catering"), fields={"status"})
    found = permit(BUILTINS["update_task"].permit, dan, write, default_roles(), projects(), members())
    assert found.reason == "Members can only edit their own tasks"
    assert found.instead == "ask Carol Jensen, or comment on the task instead"


def test_the_archive_status_makes_a_write_an_archive() -> None:
    assert Write.of_changes("update_task", None, {"status": ARCHIVE}, ARCHIVE).archive
    assert not Write.of_changes("update_task", None, {"status": "Done"}, ARCHIVE).archive
    assert Write.of_changes("update_task", None, {"assignee_ids": [], "due": "x"}, ARCHIVE).fields == {
        "assignees",
        "due",
    }
