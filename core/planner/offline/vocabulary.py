"""Shared vocabulary: statuses, people, phrases and dates as the other parts read them."""

from __future__ import annotations

import re
from typing import Any

from core.dates import DateTooFar, find_date_phrase, resolve_date
from core.domain import Project
from core.lexicon import STATUS_ALT, STATUS_WORDS, status_option  # noqa: F401 (re-exported)
from core.planner import PlannerInput
from core.planner.offline.text import Utterance
from core.resolve import SELF_WORDS, resolve_person

Args = dict[str, Any]


_NOT_NAMES = {"the", "my", "our", "is", "are", "i", "i am", "i'm", "we", "we are", "we're", "am"}
_PRONOUNS = {"it", "that", "this", "them", "those", "these", "that one", "this one", "it all"}
_PEOPLE_SPLIT = re.compile(r"\s*(?:,|&|\+|/|\band\b|\bn\b)\s*", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = r"<@[!&]?[A-Za-z0-9]+(?:\|[^>]*)?>"


def _projects(ctx: PlannerInput) -> list[Project]:
    return [Project(id=name, name=name) for name in ctx.projects]


def is_person(phrase: str, ctx: PlannerInput, loose: bool = False) -> bool:
    """Does `phrase` name someone: "me", a mention, a member; `loose` also accepts an
    unknown capitalised name ("Kevin") where only a person can stand."""
    p = phrase.strip().lstrip("@")
    if not p:
        return False
    if p.lower() in SELF_WORDS or re.fullmatch(_MENTION, p):
        return True
    found = resolve_person(p, ctx.members, ctx.requester, ctx.platform)
    if found.value or found.candidates:
        return True
    return loose and bool(re.fullmatch(r"[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?", p))


def people_list(phrase: str, ctx: PlannerInput, loose: bool = False) -> list[str] | None:
    """'me and Bob' → ['me', 'Bob']; None unless every part names a person."""
    parts = [p.strip(" .!?").lstrip("@") for p in _PEOPLE_SPLIT.split(phrase.strip())]
    parts = [re.sub(r"^(?:the|to)\s+", "", p, flags=re.I) for p in parts if p]
    parts = ["me" if p.lower() in SELF_WORDS else p for p in parts]
    if not parts or not all(is_person(p, ctx, loose) for p in parts):
        return None
    return list(dict.fromkeys(parts))


def clean_phrase(msg: Utterance, s: str) -> str:
    """A task phrase or a title as typed, quotes restored, edges tidied."""
    s = msg.restore(s).strip()
    s = re.sub(r"^(?:on|with|the status of)\s+", "", s, flags=re.I)
    s = re.sub(r"(?:\s+(?:as well|too|also|now|already|please|thanks|then|for me|pls|over|back))+$",
               "", s, flags=re.I)  # fmt: skip
    return s.strip(" \t,.;:!?\"'`-–—").strip()


# How people point at a task rather than name it: "the one about X", "that X thing", "the X task".
_POINTING = re.compile(
    r"^(?:(?:the|that|this|my|our)\s+)?(?:one|thing|task|job|bit|card|ticket|item)s?\s+"
    r"(?:about|for|on|re|regarding|with|called|named|titled|to do with)\s+",
    re.I,
)
_POINTING_END = re.compile(r"(?<=\w)\s+(?:one|thing|task|job|bit|card|ticket|item|stuff)$", re.I)


# Reported speech: the task comes after it ("… and she reckons the newsletter is done").
_HEARSAY = re.compile(r"\b(?:reckons?|says|said|thinks|told me|mentioned|reckoned)(?:\s+that)?\s+"
                      r"(?=(?:the|my|our|his|her|their)\b)", re.I)  # fmt: skip
_HEDGE_END = re.compile(r"(?:\s+(?:is|are|'s|was|were))?(?:\s+(?:pretty much|basically|almost|nearly|"
                        r"mostly|kinda|kind of|sort of|more or less))+$", re.I)  # fmt: skip


def task_phrase(msg: Utterance, s: str) -> str | None:
    """A task as named, or None for a pronoun ("mark it done")."""
    s = _HEDGE_END.sub("", _HEARSAY.split(s)[-1])
    s = re.sub(r"\s+(?:is|are|'s)\s+(?:still\s+)?(?:broken|not working|failing|down|playing up)$", "", s,
               flags=re.I)  # how it is going is not its name
    cleaned = re.sub(rf"{_MENTION}\s*(?:'s)?\s*", "", clean_phrase(msg, s)).strip()
    cleaned = _POINTING_END.sub("", _POINTING.sub("", cleaned)).strip()
    cleaned = re.sub(r"^(?:that|this|those|these)\s+(?=\w)", "", cleaned, flags=re.I)
    dated = find_date_phrase(cleaned)
    if dated and dated[1][1] >= len(cleaned) - 1 and dated[1][0] > 0:  # "… today"
        cleaned = clean_phrase(msg, cleaned[: dated[1][0]])
        cleaned = re.sub(r"\s+(?:by|on|due)$", "", cleaned, flags=re.I)
    cleaned = re.sub(r"(?:'s)?\s+(?:deadline|due date)$", "", cleaned, flags=re.I)
    when = r"(?:^|\s+)(?:last night|this (?:morning|arvo|afternoon|evening)|earlier(?: today)?|just now)$"
    cleaned = re.sub(when, "", cleaned, flags=re.I)  # when it happened is not the task's name
    if not cleaned or cleaned.lower() in _PRONOUNS or cleaned.lower() in _NOT_NAMES:
        return None
    return cleaned


def iso(phrase: str, ctx: PlannerInput) -> str | None:
    """The day as ISO; a day past the calendar's end stays words, for the gate to explain."""
    try:
        found = resolve_date(phrase, ctx.now)
    except DateTooFar:
        return phrase
    return found.isoformat() if found else None

