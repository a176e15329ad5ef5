"""add_comment."""

from __future__ import annotations

import re

from core.planner.offline.text import Utterance
from core.planner.offline.vocabulary import Args, task_phrase
from core.tools import ToolCall

_COMMENT_PATTERNS = [
    re.compile(
        r"^(?:add|leave|post|write|put|drop|make|pop)?\s*(?:a |an |my )?(?:quick )?"
        r"(?:comment|note|remark|update|message)\s+(?P<text>⟦\d+⟧)\s+(?:on|to|for|under|in)\s+"
        r"(?P<task>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:add|leave|post|write|put|drop|make|pop)?\s*(?:a |an |my )?(?:quick )?"
        r"(?:comment|note|remark|update|message)\s+(?:on|to|for|under|in|against)\s+"
        r"(?P<task>.+?)\s*(?::|—|–| - |,? saying|,? that says|,? which says|,? to say|"
        r",? reading|,? that(?= ))\s*(?P<text>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:add|leave|post|write|put|drop|make|pop)?\s*(?:a |an |my )?(?:quick )?"
        r"(?:comment|note|remark|update|message)\s+(?:on|to|for|under|in|against)\s+"
        r"(?P<task>.+?)\s+(?P<text>⟦\d+⟧)$",
        re.I,
    ),
    re.compile(r"^comment\s+(?P<task>[^:]+?)\s*:\s*(?P<text>.+)$", re.I),
    # "on the nav bug: repro only on iOS", "add to the invoices task: two receipts missing"
    re.compile(r"^(?:(?:add|write|put|post)\s+(?:this\s+)?(?:to|on)|on|re|re:|about)\s+(?P<task>(?!(?:my|our|the|"
               r"a|your)\s+(?:to-?do\s+)?list\b)[^:]+?)\s*:\s*(?P<text>.+)$", re.I),
]


def plan_comment(msg: Utterance, core: str) -> ToolCall | None:
    """'comment on X: "…"', 'leave a note on X saying …'."""
    for pattern in _COMMENT_PATTERNS:
        m = pattern.match(core)
        if m:
            args: Args = {"text": clean_comment(msg, m.group("text"))}
            task = task_phrase(msg, m.group("task"))
            if task:
                args["task"] = task
            return ToolCall(tool="add_comment", args={k: v for k, v in args.items() if v})
    if re.match(r"^(?:add|leave|post|write)\s+(?:a |an )?(?:comment|note)\b", core, re.I):
        return ToolCall(tool="add_comment", args={})
    return None


def clean_comment(msg: Utterance, s: str) -> str:
    text = msg.verbatim(s).strip()
    return text.strip("\"'` ").strip()
