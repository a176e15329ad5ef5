"""Step 1: spot the entities in what was typed, and mask them.

Every span that names a member (name, first name, handle, chat mention), a project (its
name, part of it, or "the <Name> project"), a date or a date range is found and replaced
by ⟨PERSON⟩, ⟨PROJECT⟩ or ⟨DATE⟩, an e-mail address by ⟨EMAIL⟩ and a quoted string by
⟨QUOTE⟩. The intent classifier reads the masked text, so it learns "assign ⟨QUOTE⟩ to
⟨PERSON⟩" once rather than once per name; the slot fillers read the spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.dates import find_date_phrase
from core.domain import Member, Project
from core.planner import PlannerInput
from core.resolve import project_score, resolve_project

MASKS = {"person": "⟨PERSON⟩", "project": "⟨PROJECT⟩", "date": "⟨DATE⟩", "email": "⟨EMAIL⟩",
         "quote": "⟨QUOTE⟩"}  # fmt: skip
MENTION_RE = re.compile(r"<@[!&]?[A-Za-z0-9]+(?:\|[^>]*)?>")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
QUOTE_RE = re.compile(r"⟦\d+⟧")


@dataclass
class Span:
    kind: str  # person, project, date, email, quote
    start: int
    end: int
    text: str
    value: str  # the member's handle, the project's name, the date phrase, …


@dataclass
class Entities:
    text: str
    spans: list[Span] = field(default_factory=list)

    def of(self, kind: str) -> list[Span]:
        return [s for s in self.spans if s.kind == kind]

    @property
    def masked(self) -> str:
        out, last = [], 0
        for s in sorted(self.spans, key=lambda s: s.start):
            out.append(self.text[last : s.start])
            out.append(MASKS[s.kind])
            last = s.end
        out.append(self.text[last:])
        return "".join(out)


@lru_cache(maxsize=64)
def _people_pattern(keys: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    names = sorted({k for k, _ in keys}, key=len, reverse=True)
    alternation = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w@<])(?:{alternation})(?![\w>])", re.I)


def _person_keys(members: list[Member]) -> tuple[tuple[str, str], ...]:
    keys: list[tuple[str, str]] = []
    for m in members:
        parts = m.name.split()
        keys += [(m.handle.lower(), m.handle), (m.name.lower(), m.handle)]
        if parts:
            keys.append((parts[0].lower(), m.handle))
    return tuple(sorted(set(keys)))


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or start >= b for a, b in taken)


def spot(text: str, ctx: PlannerInput) -> Entities:
    """Every entity span in `text` (already cleaned up: quotes are ⟦n⟧ placeholders)."""
    found = Entities(text=text)
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, value: str) -> None:
        if start < end and _free(taken, start, end):
            found.spans.append(Span(kind, start, end, text[start:end], value))
            taken.append((start, end))

    for m in QUOTE_RE.finditer(text):
        add("quote", m.start(), m.end(), m.group(0))
    for m in EMAIL_RE.finditer(text):
        add("email", m.start(), m.end(), m.group(0))
    for m in MENTION_RE.finditer(text):
        add("person", m.start(), m.end(), m.group(0))
    keys = _person_keys(ctx.members)
    if keys:
        by_key = dict(keys)
        for m in _people_pattern(keys).finditer(text):
            add("person", m.start(), m.end(), by_key.get(m.group(0).lower(), m.group(0)))
    _spot_projects(text, ctx, add)
    offset = 0
    while (dated := find_date_phrase(text[offset:])) is not None:
        phrase, (start, end) = dated
        add("date", start + offset, end + offset, phrase)
        offset += end
    return found


_NOT_PROJECT = {"task", "tasks", "my", "me", "i", "the", "what", "due", "is", "are", "have", "has",
                "do", "does", "show", "list", "all", "any", "anything", "which", "whats", "what's",
                "of", "in", "for", "s", "on", "to", "a", "and", "it"}  # fmt: skip


def _spot_projects(text: str, ctx: PlannerInput, add) -> None:  # type: ignore[no-untyped-def]
    projects = [Project(id=name, name=name) for name in ctx.projects]
    m = re.search(r"\b(?:the\s+)?(?P<p>(?:[A-Z0-9][\w&'-]*\s+){0,3}[A-Z0-9][\w&'-]*)\s+(?:project|event)\b",
                  text)  # fmt: skip
    if m:
        found = resolve_project(m.group("p"), projects)
        add("project", m.start(), m.end(), found.value.name if found.value else m.group("p"))
    tokens = list(re.finditer(r"[\w'&-]+", text))
    heads = _project_heads(tuple(ctx.projects))
    for size in (4, 3, 2, 1):
        for i in range(len(tokens) - size + 1):
            start, end = tokens[i].start(), tokens[i + size - 1].end()
            phrase = text[start:end]
            words = phrase.lower().split()
            if words[0] in _NOT_PROJECT or words[-1] in _NOT_PROJECT:
                continue
            if not any(w[:3] in heads for w in words):  # no word starts like a project's: skip
                continue
            name = _project_named(phrase, tuple(ctx.projects))
            if name is not None:
                add("project", start, end, name)


@lru_cache(maxsize=64)
def _project_heads(names: tuple[str, ...]) -> frozenset[str]:
    """The first three letters of every word of every project name (and of the name run
    together: "oweek"), to skip phrases that cannot name one."""
    heads: set[str] = set()
    for name in names:
        low = name.lower()
        heads.update(w[:3] for w in re.findall(r"[\w]+", low))
        heads.add(re.sub(r"[^a-z0-9]", "", low)[:3])
    return frozenset(heads)


@lru_cache(maxsize=4096)
def _project_named(phrase: str, names: tuple[str, ...]) -> str | None:
    projects = [Project(id=name, name=name) for name in names]
    found = resolve_project(phrase, projects)
    if found.value is None or project_score(phrase, found.value.name) < (0.86 if len(phrase) >= 6 else 0.9):
        return None  # a longer word may carry a slip ("hackaton")
    if " " not in phrase.strip() and len(phrase) < 5:  # "mark" is no "Marketing", "web" no website
        whole = {w.lower() for w in re.findall(r"[\w]+", found.value.name)}
        if phrase.lower() not in whole:
            return None
    return found.value.name


__all__ = ["MASKS", "Entities", "Span", "spot"]
