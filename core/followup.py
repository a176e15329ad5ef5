"""Follow-ups: short messages that only make sense after the previous turn.

"make it Friday instead" amends the call waiting for a confirmation, "also give
it to Carol" adds a person, "no, the other one" swaps a pick, "what about Bob's?"
repeats the last list for someone (or something) else. Each returns the amended
raw `ToolCall`, which then goes through the gate like any other; the service
cancels the confirmation it replaces.
"""

from __future__ import annotations

import re
from datetime import datetime

from core import resolve
from core.conversation import Conversation
from core.dates import DateTooFar, resolve_date
from core.domain import Member, Project
from core.tools import ToolCall

_LEAD = r"^(?:no|nah|oh|sorry|actually|wait|hmm|and|also|ok|okay)?[,!.]?\s*(?:actually,?\s*)?"
_END = r"\s*(?:instead|please|pls|then|too|as well)?[\s.!?]*$"
DATE_AMEND = re.compile(
    _LEAD + r"(?:make it|change it to|move it to|push it to|set it to|make that|make the due date|"
    r"due(?: date)?(?: is)?)\s+(?:due\s+)?(?:on\s+|by\s+)?(?P<when>[\w /-]+?)" + _END,
    re.I,
)
ADD_PERSON = re.compile(
    _LEAD + r"(?:also\s+)?(?:give|assign|add)\s+(?:it|this|that)\s+(?:to|for)\s+(?P<who>.+?)"
    r"\s+(?:too|as well)[\s.!?]*$|" + _LEAD + r"also\s+(?:give|assign)\s+(?:it|this|that)\s+(?:to|for)\s+"
    r"(?P<who2>.+?)[\s.!?]*$|" + _LEAD + r"(?:add|include)\s+(?P<who3>.+?)\s+(?:too|as well)[\s.!?]*$",
    re.I,
)
SWAP_PERSON = re.compile(
    _LEAD + r"(?:give|assign)\s+(?:it|this|that)\s+to\s+(?P<who>.+?)\s+instead[\s.!?]*$", re.I
)
OTHER_ONE = re.compile(_LEAD + r"(?:i meant\s+|i mean\s+)?the other one" + _END, re.I)
WHAT_ABOUT = re.compile(
    r"^(?:and\s+|ok\s+|okay\s+)?(?:what|how)\s+about\s+(?P<x>.+?)(?:'s|’s|s')?(?:\s+(?:ones|tasks|stuff))?\s*\??$",
    re.I,
)


def follow_up(
    text: str,
    convo: Conversation,
    now: datetime,
    members: list[Member],
    projects: list[Project],
    requester: Member | None,
) -> ToolCall | None:
    last = convo.last_call
    if last is None or last.tool is None:
        return None
    args = dict(last.args)
    writes = last.tool in ("create_task", "update_task")
    if writes and convo.open_pending and (m := DATE_AMEND.match(text)):
        try:
            when = resolve_date(m.group("when"), now)
        except DateTooFar:  # as words: the gate says why it can't use them
            return ToolCall(tool=last.tool, args={**args, "due": m.group("when")})
        if when is not None:
            return ToolCall(tool=last.tool, args={**args, "due": when.isoformat()})
    if writes and convo.open_pending and (m := SWAP_PERSON.match(text)):
        return ToolCall(tool=last.tool, args={**args, "assignees": [m.group("who")]})
    if writes and convo.open_pending and (m := ADD_PERSON.match(text)):
        who = m.group("who") or m.group("who2") or m.group("who3")
        if last.tool == "create_task":
            return ToolCall(
                tool=last.tool, args={**args, "assignees": [*(args.get("assignees") or ["me"]), who]}
            )
        return ToolCall(
            tool=last.tool, args={**args, "add_assignees": [*(args.get("add_assignees") or []), who]}
        )
    if convo.choice is not None and convo.choice.field in ("task", "project") and OTHER_ONE.match(text):
        choice = convo.choice
        others = [i for i in range(len(choice.options)) if i != choice.picked]
        if len(others) == 1:
            return ToolCall(
                tool=choice.tool, args={**choice.args, choice.field: choice.options[others[0]][0]}
            )
    if last.tool == "list_tasks" and (m := WHAT_ABOUT.match(text)):
        target = m.group("x").strip()
        person = resolve.resolve_person(target, members, requester)
        if person.value is not None:
            return ToolCall(tool="list_tasks", args={**args, "assignee": target})
        project = resolve.resolve_project(target, projects)
        if project.value is not None:
            return ToolCall(tool="list_tasks", args={**args, "project": target})
    return None
