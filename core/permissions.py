"""Who may do what: the role policies of the admin config, and what each rule looks at.

Each tool states its own rule (`Tool.permit`, in its module under `core/actions/`); this module
holds what the rules share: the verdict, the description of a write, the requester's standing
(role, the tasks they own, the projects they lead), and the one entry point both the gate
(before asking for a confirmation) and the click-time re-check call, so a rule can never be
checked in one and forgotten in the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.config import RolePolicy, ToolRule
from core.domain import Member, Project, Task


@dataclass(frozen=True)
class Permission:
    allowed: bool
    rule: str  # which rule decided, for `explain` and the audit log
    reason: str = ""  # for people, when denied
    instead: str = ""  # what they may do instead


ALLOW = Permission(True, "allowed")
_POLICY_FIELD = {"project_id": "project", "assignee_ids": "assignees"}


def changed_fields(changes: dict[str, object]) -> set[str]:
    """The policy's names for the fields an update writes (`assignee_ids` → "assignees")."""
    return {_POLICY_FIELD.get(key, key) for key in changes}


@dataclass
class Write:
    """A write, described by what it touches."""

    tool: str
    task: Task | None = None
    fields: set[str] = field(default_factory=set)  # an update: the fields changed
    archive: bool = False
    assignee_ids: list[str] = field(default_factory=list)  # a create: who it is for
    # An archive: the projects the task left through the requester's own moves. Archiving in
    # "projects they lead" must hold where the task was before they moved it there.
    moved_from: list[str] = field(default_factory=list)

    @classmethod
    def of_changes(cls, tool: str, task: Task | None, changes: dict[str, Any], archive_status: str) -> Write:
        """An update of `task` by `changes`; setting the archive status is an archive."""
        return cls(
            tool, task=task, fields=changed_fields(changes), archive=changes.get("status") == archive_status
        )


@dataclass(frozen=True)
class Asker:
    """The requester as a rule sees them: their role's policy, what they own and lead."""

    member: Member
    policy: RolePolicy
    projects: list[Project]
    members: list[Member]

    @property
    def role(self) -> str:
        return self.member.role

    @property
    def plural(self) -> str:
        return plural(self.member.role)

    def owns(self, task: Task | None) -> bool:
        return task is not None and self.member.notion_user_id in task.assignee_ids

    def leads(self, task: Task) -> bool:
        return any(
            self.member.notion_user_id in p.lead_ids for p in self.projects if p.id in task.project_ids
        )

    def not_led(self, project_ids: list[str]) -> list[Project]:
        """Those of these projects the requester doesn't lead."""
        return [
            p for p in self.projects if p.id in project_ids and self.member.notion_user_id not in p.lead_ids
        ]

    def leads_of(self, projects: list[Project]) -> str:
        by_id = {m.notion_user_id: m.name for m in self.members}
        names = [by_id[i] for p in projects for i in p.lead_ids if i in by_id]
        return " or ".join(dict.fromkeys(names)) or "a lead"

    def ask_leads(self, task: Task) -> str:
        """Whom to ask instead: the task's project leads by name, else "a lead"."""
        by_id = {m.notion_user_id: m.name for m in self.members}
        names = [
            by_id[i] for p in self.projects if p.id in task.project_ids for i in p.lead_ids if i in by_id
        ]
        leads = " or ".join(dict.fromkeys(names))
        return f"ask {leads}" if leads else "ask a lead"


Rule = Callable[[Asker, Write], Permission]


def permit(
    rule: Rule,
    requester: Member,
    write: Write,
    policies: dict[str, RolePolicy],
    projects: list[Project],
    members: list[Member],
) -> Permission:
    """The requester's role policy, then the tool's rule on this write."""
    policy = policies.get(requester.role)
    if policy is None:
        return Permission(
            False,
            f"role {requester.role!r} is not configured",
            f"your role ({requester.role}) has no rules in Darcy's config",
        )
    return rule(Asker(requester, policy, projects, members), write)


def plural(role: str) -> str:
    return role[:1].upper() + role[1:] + "s"


def permit_tool(requester: Member, tool: str, rule: ToolRule | None, *, closed: bool = False) -> Permission:
    """A tool's rule from the admin config (`[tools.NAME]`): which roles may use it (default: all).
    A `closed` tool (an MCP server's: its code is not the admin's) with no rule is refused to
    every role until the admin writes one."""
    if rule is None and closed:
        return Permission(
            False,
            f"tools.{tool}: no rule",
            f"{tool} has no rule in Darcy's config yet, so no one may use it",
            f"ask an admin to add [tools.{tool}] with the roles that may use it",
        )
    if rule is None or rule.roles is None:
        return Permission(True, f"tools.{tool}: every role")
    if requester.role in rule.roles:
        return Permission(True, f"tools.{tool}.roles")
    allowed = " and ".join(plural(r) for r in rule.roles) or "nobody"
    return Permission(
        False, f"tools.{tool}.roles", f"only {allowed} may use {tool}", "ask one of them to do it for you"
    )


# The scopes of each policy field, weakest first (RolePolicy).
_SCOPES = {
    "comment": ("none", "own", "any"),
    "create_for": ("none", "self", "any"),
    "edit": ("none", "own", "any"),
    "archive": ("none", "own", "led", "any"),
}


def no_more_than(role: str, cap: str, roles: dict[str, RolePolicy], tools: dict[str, ToolRule]) -> bool:
    """Whether `role` may do nothing that `cap` may not: every scope, field, bulk change and
    extension tool rule. An unknown role is never within."""
    mine, limit = roles.get(role), roles.get(cap)
    if mine is None or limit is None:
        return False
    for name, order in _SCOPES.items():
        if order.index(getattr(mine, name)) > order.index(getattr(limit, name)):
            return False
    if not set(mine.edit_fields) <= set(limit.edit_fields) or (mine.bulk and not limit.bulk):
        return False
    return not any(
        rule.roles is not None and role in rule.roles and cap not in rule.roles for rule in tools.values()
    )


def clamped(role: str, roles: dict[str, RolePolicy], tools: dict[str, ToolRule], cap: str = "member") -> str:
    """`role`, or `cap` when `role` may do more: what a link made by the e-mail alone grants."""
    return role if role == cap or no_more_than(role, cap, roles, tools) else cap
