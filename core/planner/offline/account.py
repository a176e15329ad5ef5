"""link_account, whoami and undo."""

from __future__ import annotations

import re

from core.planner.offline.text import Utterance
from core.planner.offline.vocabulary import _EMAIL
from core.tools import ToolCall

_LINK_WORDS = re.compile(
    r"\b(?:link|connect|verify|notion|e-?mail|mail|account|i'm|i am|it's|it is|me|my|"
    r"register|sign me up|use)\b",
    re.I,
)
_WRITE_VERBS = re.compile(r"^(?:assign|create|add|comment|rename|reassign|mark|move)\b", re.I)


def plan_link_account(msg: Utterance, core: str) -> ToolCall | None:
    """'my notion email is zoe@…', 'link my account to zoe@…', or a bare address."""
    found = _EMAIL.search(core)
    if not found or _WRITE_VERBS.match(core):
        return None
    rest = (core[: found.start()] + core[found.end() :]).strip(" .!,")
    if rest and not _LINK_WORDS.search(rest):
        return None
    return ToolCall(tool="link_account", args={"email": found.group(0).strip(".")})


_WHOAMI = re.compile(
    r"\bwho\s*am\s*i\b|\bwhoami\b|\bwho do you think i am\b|"
    r"\b(?:which|what) (?:notion )?(?:account|user|profile)\b.*\b(?:i|me|my)\b|"
    r"\bam i (?:linked|connected|verified|registered|logged in|signed in)\b|"
    r"\bwhat(?:'s| is) my (?:notion )?(?:account|name|handle|role|profile|identity)\b|"
    r"\bmy (?:notion )?(?:account|profile|identity) (?:details|info)\b",
    re.I,
)


def plan_whoami(core: str) -> ToolCall | None:
    return ToolCall(tool="whoami") if _WHOAMI.search(core) else None


_UNDO = re.compile(
    r"^(?:please\s+)?(?:undo|revert|reverse|take back|roll back)\b(?:\s+(?:that|it|this|the last"
    r"(?:\s+(?:change|one|thing|edit))?|my last(?:\s+(?:change|edit|one))?))?[\s.!]*$",
    re.I,
)


def plan_undo(core: str) -> ToolCall | None:
    """Only the whole message "undo (that)": "undo the catering order" is not a safe guess."""
    return ToolCall(tool="undo") if _UNDO.match(core.strip()) else None
