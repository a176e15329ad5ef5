"""Who may do what: the role policies of the admin config, applied in one place.

Both the gate (before asking for a confirmation) and the executor (again, at
the click) call `permit`, so a rule can never be checked in one and forgotten
in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import RolePolicy, ToolRule
from core.domain import Member, Project, Task


@dataclass(frozen=True)
class Permission:
    allowed: bool
    rule: str  # which rule decided, for `explain` and the audit log
    reason: str = ""  # for people, when denied
    instead: str = ""  # what they may do instead


ALLOW = Permission(True, "allowed")
_FIELD_OF = {"project_id": "project", "assignee_ids": "assignees"}


def changed_fields(changes: dict[str, object]) -> set[str]:
    """The policy's names for the fields an update writes (`assignee_ids` → "assignees")."""
    return {_FIELD_OF.get(key, key) for key in changes}


@dataclass
class Action:
    """A write, described by what it touches."""

    tool: str
    task: Task | None = None
    fields: set[str] = field(default_factory=set)  # update_task: the fields changed
    archive: bool = False
    assignee_ids: list[str] = field(default_factory=list)  # create_task


def permit(
    requester: Member,
    action: Action,
    policies: dict[str, RolePolicy],
    projects: list[Project],
    members: list[Member],
) -> Permission:
    policy = policies.get(requester.role)
    if policy is None:
        return Permission(
            False,
            f"role {requester.role!r} is not configured",
            f"your role ({requester.role}) has no rules in Darcy's config",
        )
    role = requester.role
    if action.tool in ("link_account",):
        return ALLOW
    if action.tool == "create_task":
        others = [i for i in action.assignee_ids if i != requester.notion_user_id]
        if policy.create_for == "none":
            return Permission(False, f"{role}.create_for = none", f"{_plural(role)} can't create tasks")
        if others and policy.create_for != "any":
            return Permission(
                False,
                f"{role}.create_for = self",
                f"{_plural(role)} can only create tasks for themselves",
                "create it for yourself, or ask a lead to assign it",
            )
        return Permission(True, f"{role}.create_for = {policy.create_for}")
    if action.tool == "update_tasks":
        if not policy.bulk:
            return Permission(
                False,
                f"{role}.bulk = false",
                f"{_plural(role)} change one task at a time",
                "name the task you mean, e.g. “mark Order catering as done”",
            )
        return Permission(True, f"{role}.bulk = true")
    task = action.task
    own = task is not None and requester.notion_user_id in task.assignee_ids
    if action.tool == "add_comment":
        if policy.comment == "any" or (policy.comment == "own" and own):
            return Permission(True, f"{role}.comment = {policy.comment}")
        return Permission(
            False, f"{role}.comment = {policy.comment}", f"{_plural(role)} can't comment on this task"
        )
    if action.tool == "update_task" and task is not None:
        leads = _lead_names(task, projects, members)
        ask = f"ask {leads}" if leads else "ask a lead"
        if action.archive:
            led = any(requester.notion_user_id in p.lead_ids for p in projects if p.id in task.project_ids)
            scope = policy.archive
            if scope == "any" or (scope == "led" and led) or (scope == "own" and own):
                return Permission(True, f"{role}.archive = {scope}")
            why = {
                "led": f"{_plural(role)} can only archive tasks in projects they lead",
                "own": f"{_plural(role)} can only archive their own tasks",
            }.get(scope, f"{_plural(role)} can't archive tasks")
            return Permission(False, f"{role}.archive = {scope}", why, f"{ask} (the project's lead)")
        if policy.edit == "none" or (policy.edit == "own" and not own):
            return Permission(
                False,
                f"{role}.edit = {policy.edit}",
                f"{_plural(role)} can only edit their own tasks"
                if policy.edit == "own"
                else f"{_plural(role)} can't edit tasks",
                f"{ask}, or comment on the task instead",
            )
        forbidden = sorted(action.fields - set(policy.edit_fields))
        if forbidden:
            return Permission(
                False,
                f"{role}.edit_fields",
                f"{_plural(role)} can't change a task's {' or '.join(_field_words(forbidden))}",
                f"{ask}",
            )
        return Permission(True, f"{role}.edit = {policy.edit}")
    return ALLOW


def _plural(role: str) -> str:
    return role[:1].upper() + role[1:] + "s"


def _field_words(fields: list[str]) -> list[str]:
    return ["people in charge" if f == "assignees" else f for f in fields]


def _lead_names(task: Task, projects: list[Project], members: list[Member]) -> str:
    by_id = {m.notion_user_id: m.name for m in members}
    names = [by_id[i] for p in projects if p.id in task.project_ids for i in p.lead_ids if i in by_id]
    return " or ".join(dict.fromkeys(names))


def permit_tool(requester: Member, tool: str, rule: ToolRule | None) -> Permission:
    """An extension tool's rule from the admin config: which roles may use it (default: all)."""
    if rule is None or rule.roles is None:
        return Permission(True, f"tools.{tool}: every role")
    if requester.role in rule.roles:
        return Permission(True, f"tools.{tool}.roles")
    allowed = " and ".join(_plural(r) for r in rule.roles) or "nobody"
    return Permission(
        False, f"tools.{tool}.roles", f"only {allowed} may use {tool}", "ask one of them to do it for you"
    )
