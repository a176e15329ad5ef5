"""update_task: commands and statements about one task."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.dates import find_date_phrase
from core.planner import PlannerInput
from core.planner.offline.comment import clean_comment
from core.planner.offline.text import Utterance, strip_polite
from core.planner.offline.vocabulary import (
    _MENTION,
    STATUS_ALT,
    Args,
    _projects,
    clean_phrase,
    iso,
    people_list,
    status_option,
    task_phrase,
)
from core.resolve import resolve_project
from core.tools import ToolCall

Rule = Callable[[Utterance, str, PlannerInput], Args | None]


def _task_args(msg: Utterance, task: str, **changes: Any) -> Args:
    args: Args = {k: v for k, v in changes.items() if v}
    if (named := task_phrase(msg, task)) is not None:
        args["task"] = named
    return args


def rule_rename(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:rename|retitle)\s+(?P<task>.+)\s+(?:to|as|into)\s+(?P<value>⟦\d+⟧)$",
        r"^(?:rename|retitle)\s+(?P<task>.+?)\s+(?:to|as|into)\s+(?P<value>.+)$",
        r"^(?:change|update|set|edit)\s+(?:the\s+)?(?:title|name)\s+(?:of|for|on)\s+(?P<task>.+?)"
        r"\s+to\s+(?P<value>.+)$",
        r"^(?:change|update|set|edit)\s+(?P<task>.+?)'s\s+(?:title|name)\s+to\s+(?P<value>.+)$",
    ]
    for pattern in patterns:
        if m := re.match(pattern, s, re.I):
            return _task_args(msg, m.group("task"), title=clean_phrase(msg, msg.typed(m.group("value"))))
    return None


def rule_description(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:set|change|update|make|add|put|edit|write)\s+(?:the\s+|a\s+)?"
        r"(?:description|desc|details|notes?)\s+(?:of|for|on|to)\s+(?P<task>.+?)\s*"
        r"(?:\s(?:to|as)\b|:|=|,? saying|,? reading)\s*(?P<value>.+)$",
        r"^(?:set|change|update|edit)\s+(?P<task>.+?)'s\s+(?:description|desc|details)\s*"
        r"(?:to|as|:)\s*(?P<value>.+)$",
        r"^describe\s+(?P<task>.+?)\s+as\s+(?P<value>.+)$",
        r"^(?:the\s+|new\s+)?(?:description|desc|details)\s+(?:for|of|on)\s+(?P<task>.+?)\s*(?::|=|-|—)\s*(?P<value>.+)$",
    ]
    for pattern in patterns:
        if m := re.match(pattern, s, re.I):
            value = clean_comment(msg, m.group("value"))
            return _task_args(msg, m.group("task"), description=value)
    return None


def rule_reassign(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:re-?assign|hand(?:\s+over)?|handover|transfer|pass|give)\s+(?P<task>.+)\s+"
        r"(?:over\s+|back\s+)?to\s+(?P<people>.+?)(?:\s+instead)?$",
        r"^assign\s+(?P<task>.+)\s+to\s+(?P<people>.+?)\s+instead$",
        r"^(?:change|switch|set|update)\s+(?:the\s+)?(?:assignee|owner|person in charge)s?\s+"
        r"(?:of|for|on)\s+(?P<task>.+?)\s+to\s+(?P<people>.+)$",
        r"^(?:make|let)\s+(?P<people>.+?)\s+(?:the\s+)?(?:owner|assignee|in charge)\s+(?:of|for)\s+"
        r"(?P<task>.+)$",
    ]
    for pattern in patterns:
        m = re.match(pattern, s, re.I)
        if m and (people := people_list(m.group("people"), ctx, loose=True)):
            return _task_args(msg, m.group("task"), assignees=people)
    # "assign Tom to the Devpost page": people first, then something that is not people
    m = re.match(r"^assign\s+(?P<people>.+?)\s+to\s+(?P<task>.+)$", s, re.I)
    if m and (people := people_list(m.group("people"), ctx)) and not people_list(m.group("task"), ctx):
        return _task_args(msg, m.group("task"), assignees=people)
    return None


def rule_add_people(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    m = re.match(
        r"^(?:add|put|include|loop in|also assign|get)\s+(?P<people>.+?)\s+"
        r"(?:to|on|onto|in on|as (?:an? )?(?:assignee|helper|owner)s? (?:on|to|for))\s+"
        r"(?P<task>.+?)(?:\s+(?:as well|too|also))?$",
        s,
        re.I,
    )
    if m and (people := people_list(m.group("people"), ctx)):
        return _task_args(msg, m.group("task"), add_assignees=people)
    return None


def rule_due_change(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:change|set|update|move|push|extend|make|bump|shift|put)\s+(?:back\s+)?(?:the\s+)?"
        r"(?:due\s+date|deadline|due|date)\s+(?:of|for|on)\s+(?P<task>.+?)\s+"
        r"(?:to|until|till|as|back to|out to)\s+(?P<date>.+)$",
        r"^(?:change|set|update|move|push|extend|bump|shift)\s+(?P<task>.+?)'s\s+"
        r"(?:due\s+date|deadline|due)\s+(?:to\s+|until\s+|back to\s+)?(?P<date>.+)$",
        r"^make\s+(?P<task>.+?)\s+due\s+(?:on\s+|by\s+)?(?P<date>.+)$",
        r"^(?:.*\b)?(?:an? )?(?:extension|more time)\s+(?:on|for)\s+(?P<task>.+?)\s+"
        r"(?:till|until|til|to|for)\s+(?P<date>.+)$",
    ]
    return _due_from(msg, s, ctx, patterns)


def rule_due_statement(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    """'the catering order is now due Friday' (a statement, never a question)."""
    patterns = [
        r"^(?P<task>.+?)\s+(?:is\s+now\s+|should\s+be\s+|is\s+|will\s+be\s+|now\s+)?"
        r"due\s+(?:on\s+|by\s+)?(?P<date>.+)$",
    ]
    m = re.match(r"^(?P<task>.+?)\s+(?:is\s+|are\s+)?due\b", s, re.I)
    if m and re.search(r"\b(?:tasks?|anything|everything|what|which|my|stuff|all)\b", m[1], re.I):
        return None  # "my tasks due friday" asks for a list
    return _due_from(msg, s, ctx, patterns)


def _due_from(msg: Utterance, s: str, ctx: PlannerInput, patterns: list[str]) -> Args | None:
    for pattern in patterns:
        m = re.match(pattern, s, re.I)
        if m and (due := iso(m.group("date"), ctx)):
            return _task_args(msg, m.group("task"), due=due)
    return None


_MOVE = re.compile(
    r"^(?:move|push|bump|postpone|delay|reschedule|shift|put|file|transfer|change|switch|"
    r"extend|set)\s+(?P<rest>.+)$",
    re.I,
)
_MOVE_SPLIT = re.compile(r"\s+(?:back\s+|out\s+|over\s+)?(?:to|into|under|until|till|til|for|in)"
                         r"\s+", re.I)  # fmt: skip


def rule_move(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    """'push X to next Friday' (due), 'move X to done' (status), 'move X into P' (project)."""
    m = _MOVE.match(s)
    if not m:
        return None
    rest = m.group("rest")
    for split in reversed(list(_MOVE_SPLIT.finditer(rest))):
        task, dest = rest[: split.start()], rest[split.end() :].strip(" .!")
        if option := status_option(re.sub(r"^(?:the\s+)?", "", dest)):
            return _task_args(msg, task, status=option)
        with_cue = rest[split.start() :].strip()  # "to fri": short weekdays need their cue
        dated = find_date_phrase(with_cue)
        if dated and dated[1][0] <= len(with_cue) - len(dest) + 4 and (due := iso(dated[0], ctx)):
            return _task_args(msg, task, due=due)
        project = re.sub(r"^(?:the\s+)", "", dest, flags=re.I)
        project = re.sub(r"\s+(?:project|proj|event)$", "", project, flags=re.I)
        explicit = re.search(r"\b(?:project|proj)$", dest, re.I) is not None
        found = resolve_project(project, _projects(ctx))
        if found.value or explicit:
            return _task_args(msg, task, project=found.value.name if found.value else project)
    return None


def rule_arrow(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    """'nav bug -> next friday', 'catering → done'."""
    m = re.match(r"^(?P<task>.+?)\s*(?:->|→|=>|-->)\s*(?P<dest>.+)$", s)
    if not m:
        return None
    dest = m.group("dest").strip(" .!")
    if option := status_option(dest):
        return _task_args(msg, m.group("task"), status=option)
    if due := iso(dest, ctx):
        return _task_args(msg, m.group("task"), due=due)
    if people := people_list(dest, ctx):
        return _task_args(msg, m.group("task"), assignees=people)
    return None


def rule_archive(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    m = re.match(r"^(?:archive|shelve|bin|trash|delete|scrap|cancel|kill)\s+(?P<task>.+)$", s, re.I)
    return _task_args(msg, m.group("task"), status="Archive") if m else None


def rule_mark(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    """'mark X as done', 'set X to in progress', 'tick off X', 'close X'."""
    patterns = [
        r"^(?:set|change|update|switch)\s+(?:the\s+)?status\s+(?:of|for|on)\s+(?P<task>.+?)\s+"
        rf"(?:to|as)\s+(?P<status>{STATUS_ALT})$",
        r"^(?:mark|set|move|put|change|flag|update|switch|make|tag|label)\s+(?P<task>.+?)\s+"
        rf"(?:as\s+|to\s+|into\s+|in\s+|=\s*)?(?:being\s+)?(?P<status>{STATUS_ALT})$",
    ]
    for pattern in patterns:
        if m := re.match(pattern, s, re.I):
            return _task_args(msg, m.group("task"), status=status_option(m.group("status")))
    m = re.match(r"^(?:tick|cross|check|sign)\s+off\s+(?P<task>.+)$|"
                 r"^(?:close|complete|finish|resolve)\s+(?:off\s+)?(?P<task2>.+)$", s, re.I)  # fmt: skip
    if m:
        return _task_args(msg, m.group("task") or m.group("task2"), status="Done")
    m = re.match(r"^(?:start|begin|kick off)\s+(?:on\s+|working on\s+)?(?P<task>.+)$", s, re.I)
    if m:
        return _task_args(msg, m.group("task"), status="In Progress")
    m = re.match(r"^(?:reopen|re-open|restart)\s+(?P<task>.+)$", s, re.I)
    if m:
        return _task_args(msg, m.group("task"), status="Not Started")
    return None


_SUBJECT = rf"(?:i|we|{_MENTION}|[a-z]+(?: [a-z]+)?)"
_AUX = r"(?:'ve|'s|'d|'m| have| has| had| am| is| was)?"
_ADVERBS = r"(?:\s+(?:just|finally|already|now|officially|totally|basically|completely|also))*"
_LEAD = rf"^(?:(?:{_SUBJECT}){_AUX}{_ADVERBS}\s+)?"
_STATEMENTS: list[tuple[str, str]] = [
    (rf"{_LEAD}(?:submitted|sent|put|handed in)\s+(?P<task>.+?)\s+(?:in\s+|up\s+)?for review$",
     "To Review"),
    (rf"{_LEAD}(?:finished|completed|done|wrapped up|sorted(?: out)?|nailed|knocked out|"
     r"ticked off|got through|smashed)(?:\s+(?:with|off))?\s+(?P<task>.+)$", "Done"),
    (rf"{_LEAD}(?:started|begun|began|kicked off|picked up|been working|working|now working)"
     r"(?:\s+(?:on|with|working on))?\s+(?P<task>.+)$", "In Progress"),
    (r"^(?:i'm|i am|we're|we are)\s+(?:now\s+)?(?:on|doing|tackling|handling)\s+(?P<task>.+)$",
     "In Progress"),
    (rf"{_LEAD}(?:(?:stuck|blocked|held up)\s+by|(?:stuck\s+)?waiting\s+(?:on|for))\s+.+?\s+"
     r"(?:on|for|with|about)\s+(?P<task>.+)$", "Blocked"),  # the blocker, then the task
    (rf"{_LEAD}(?:stuck|blocked|held up)(?:\s+(?:on|with|by))?\s+(?P<task>.+)$", "Blocked"),
    (rf"{_LEAD}can(?:'|no)t (?:finish|do|progress|continue)(?: with)?\s+(?P<task>.+)$",
     "Blocked"),
]  # fmt: skip
_STATEMENT_RES = [(re.compile(p, re.I), option) for p, option in _STATEMENTS]
_PAST = re.compile(
    r"^(?:(?:i|we)(?:'ve| have)?(?:\s+(?:just|finally|already|now|officially))*\s+)?"
    r"(?P<task>(?:[a-z]+ed|sent|wrote|written|made|built|bought|paid|ran|set up|did|got|"
    r"booked|drew|took|gave|sold|held|met|found|shot)\s+.+)$",
    re.I,
)
_NOT_DONE_VERBS = {"started", "begun", "decided", "wanted", "needed", "tried", "planned",
                   "hoped", "forgotten", "forgot", "assigned", "added", "created", "asked",
                   "noticed", "realised", "realized", "checked", "looked", "wondered",
                   "been", "got", "linked"}  # fmt: skip


# What a finished piece of work "is" ("the devpost page is up"), except these.
_PARTICIPLES: dict[str, str | None] = {
    "stalled": "Blocked", "paused": "Blocked", "cancelled": "Archive", "canceled": "Archive",
    "scrapped": "Archive", "delayed": None, "postponed": None, "assigned": None,
    "needed": None, "required": None, "overdue": None, "due": None, "planned": None,
    "supposed": None, "expected": None, "related": None, "based": None, "called": None,
    "named": None, "linked": None, "listed": None,
}  # fmt: skip


def rule_statement(msg: Utterance, s: str, ctx: PlannerInput) -> Args | None:
    """What people report: 'I've just finished X', "I'm stuck on X", "X's sorted",
    '<@id> has finished X, please mark it done'. The first clause naming a task wins."""
    status: str | None = None
    task: str | None = None
    for clause in _clauses(s):
        found = _statement(msg, clause)
        if found is None:
            continue
        clause_status, clause_task = found
        status = status or clause_status
        if task is None and clause_task is not None:
            task = clause_task
    if status is None or (task and re.search(r"\b(?:tasks|anything|everything|what|which)\b|"
                                              r"^(?:in|for|from|at)\b", task, re.I)):  # fmt: skip
        return None  # "hackathon tasks that are blocked" is a question
    args: Args = {"status": status}
    if task:
        args["task"] = task
    return args


def _clauses(s: str) -> list[str]:
    s = re.split(r"\s+(?:because|bc|b/c|cos|coz|cuz|'cause|as i|since i)\s+", s, flags=re.I)[0]
    parts = re.split(r"\s*(?:[,;.!]+\s+|\s+(?:so|and|but)\s+(?=(?:please|pls|can|could|mark|"
                     r"i|it|set)\b))\s*", s)  # fmt: skip
    return [strip_polite(p) for p in parts if p.strip()] or [s]


def _statement(msg: Utterance, clause: str) -> tuple[str, str | None] | None:
    for pattern, option in _STATEMENT_RES:
        if m := pattern.match(clause):
            return option, task_phrase(msg, m.group("task"))
    m = re.match(
        rf"^(?P<task>.+?)(?:'s|'re| is| are| has been| have been| was| were)?"
        rf"(?:\s+(?:now|all|finally|officially|totally|completely|been|fully|also))*\s+"
        rf"(?P<status>{STATUS_ALT})(?:\s+(?:now|already|finally|too))?$",
        clause,
        re.I,
    )
    if m and (option := status_option(m.group("status"))):
        return option, task_phrase(msg, m.group("task"))
    m = re.match(
        r"^(?P<task>.+?)(?:'s|'re| is| are| has been| have been| was| were)(?:\s+(?:now|all|finally|"
        r"officially|already))*\s+(?P<word>up|live|out|sent|paid|[a-z]+ed)(?:\s+(?:now|already))?$",
        clause,
        re.I,
    )
    if m and (option := _PARTICIPLES.get(m.group("word").lower(), "Done")):
        return option, task_phrase(msg, m.group("task"))
    m = re.match(rf"^(?P<status>{STATUS_ALT})\s*[:\-–—]\s*(?P<task>.+)$", clause, re.I)
    if m and (option := status_option(m.group("status"))):
        return option, task_phrase(msg, m.group("task"))
    m = _PAST.match(clause)
    verb = m.group("task").split()[0].lower() if m else ""
    if m and verb not in _NOT_DONE_VERBS and not verb.endswith("eed"):  # "need", "proceed"
        return "Done", task_phrase(msg, m.group("task"))
    m = re.match(rf"^(?:mark|set|make)\s+(?:it|that|this)\s+(?:as\s+)?(?P<status>{STATUS_ALT})$",
                 clause, re.I)  # fmt: skip
    if m:
        return status_option(m.group("status")) or "Done", None
    return None


UPDATE_RULES: list[Rule] = [
    rule_rename,
    rule_description,
    rule_due_change,
    rule_add_people,
    rule_reassign,
    rule_archive,
    rule_mark,
    rule_move,
    rule_arrow,
]


def plan_update(msg: Utterance, core: str, ctx: PlannerInput, question: bool) -> ToolCall | None:
    """A command about one task, or (unless a question) a statement about one."""
    rules = [*UPDATE_RULES] if question else [*UPDATE_RULES, rule_due_statement, rule_statement]
    for rule in rules:
        args = rule(msg, core, ctx)
        if args is not None and len(args) >= 1 and set(args) != {"task"}:
            return ToolCall(tool="update_task", args=args)
    return None
